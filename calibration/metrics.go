package calibration

import (
	"fmt"
	"math"
)

// Bin is one confidence bin of a reliability diagram: the examples whose
// confidence c satisfies Lo < c ≤ Hi (and c = 0 for the first bin).
type Bin struct {
	Lo, Hi     float64 // edges: (Lo, Hi]
	Count      int     // examples in the bin
	Correct    int     // of which the prediction was right
	Confidence float64 // mean confidence of the examples in the bin; 0 when empty
	Accuracy   float64 // Correct / Count; 0 when empty
	Gap        float64 // |Accuracy − Confidence|, the thesis's "gap"; 0 when empty
}

// Bins are the M bins of a reliability diagram, in increasing confidence.
type Bins []Bin

// N returns the number of examples in all bins.
func (b Bins) N() int {
	n := 0
	for _, bin := range b {
		n += bin.Count
	}
	return n
}

// ECE returns the expected calibration error: Σ_m (n_m / N)·|acc_m − conf_m|,
// the gap of each bin weighted by the fraction of examples in it. It is 0 for
// no examples.
func (b Bins) ECE() float64 {
	n := b.N()
	if n == 0 {
		return 0
	}
	e := 0.0
	for _, bin := range b {
		e += float64(bin.Count) * bin.Gap
	}
	return e / float64(n)
}

// MCE returns the maximum calibration error: the largest gap over non-empty
// bins (0 if all are empty). A bin with a single example can set it, so read
// it with the counts.
func (b Bins) MCE() float64 {
	m := 0.0
	for _, bin := range b {
		if bin.Count > 0 {
			m = math.Max(m, bin.Gap)
		}
	}
	return m
}

// BinIndex returns the 0-based bin of confidence c among m equal-width bins
// ((i/m, (i+1)/m] for bin i, with c = 0 in bin 0). The edges are compared as
// the float64 values i/m, so a confidence of exactly 0.28 falls in
// (0.24, 0.28] of 25 bins even though 0.28·25 rounds to 7.000000000000001.
// Values outside [0, 1] are clamped.
func BinIndex(c float64, m int) int {
	if c <= 0 || math.IsNaN(c) {
		return 0
	}
	if c >= 1 {
		return m - 1
	}
	i := int(math.Ceil(c*float64(m))) - 1
	// Correct the rounding of c·m against the edges the bins are defined by.
	for i > 0 && c <= float64(i)/float64(m) {
		i--
	}
	for i < m-1 && c > float64(i+1)/float64(m) {
		i++
	}
	return max(0, min(i, m-1))
}

// ReliabilityConf bins examples given by their confidence (in [0, 1]) and
// whether their prediction was right into m equal-width bins. It is the core
// of Reliability, for predictions that do not come as rows of probabilities
// (e.g. the output of HistogramBinning.Apply).
func ReliabilityConf(conf []float64, correct []bool, m int) (Bins, error) {
	if m < 1 {
		return nil, inputErr(-1, -1, "%d bins, want at least 1", m)
	}
	if len(conf) != len(correct) {
		return nil, inputErr(-1, -1, "%d confidences but %d correctness flags", len(conf), len(correct))
	}
	b := make(Bins, m)
	sum := make([]float64, m)
	for i := range b {
		b[i].Lo, b[i].Hi = float64(i)/float64(m), float64(i+1)/float64(m)
	}
	for i, c := range conf {
		if !(c >= 0 && c <= 1) {
			return nil, inputErr(i, -1, "confidence %v outside [0, 1]", c)
		}
		j := BinIndex(c, m)
		b[j].Count++
		sum[j] += c
		if correct[i] {
			b[j].Correct++
		}
	}
	for i := range b {
		if b[i].Count > 0 {
			b[i].Confidence = sum[i] / float64(b[i].Count)
			b[i].Accuracy = float64(b[i].Correct) / float64(b[i].Count)
			b[i].Gap = math.Abs(b[i].Accuracy - b[i].Confidence)
		}
	}
	return b, nil
}

// Reliability bins the rows of probabilities by confidence (their largest
// probability) into m equal-width bins and returns, for each bin, the count,
// mean confidence, accuracy and gap: the data of a reliability diagram.
func Reliability(probs [][]float64, labels []int, m int) (Bins, error) {
	if _, err := checkProbs(probs, labels); err != nil {
		return nil, fmt.Errorf("reliability: %w", err)
	}
	conf, correct := topLabel(probs, labels)
	return ReliabilityConf(conf, correct, m)
}

// ECE returns the expected calibration error of probs with m bins (see
// Bins.ECE).
func ECE(probs [][]float64, labels []int, m int) (float64, error) {
	b, err := Reliability(probs, labels, m)
	if err != nil {
		return 0, err
	}
	return b.ECE(), nil
}

// MCE returns the maximum calibration error of probs with m bins (see
// Bins.MCE).
func MCE(probs [][]float64, labels []int, m int) (float64, error) {
	b, err := Reliability(probs, labels, m)
	if err != nil {
		return 0, err
	}
	return b.MCE(), nil
}

// Accuracy returns the fraction of rows whose argmax (first one on ties)
// equals the label. Rows may be probabilities or logits.
func Accuracy(rows [][]float64, labels []int) (float64, error) {
	if _, err := checkShape(rows, labels); err != nil {
		return 0, fmt.Errorf("accuracy: %w", err)
	}
	right := 0
	for i, r := range rows {
		if argmax(r) == labels[i] {
			right++
		}
	}
	return float64(right) / float64(len(rows)), nil
}

// MeanConfidence returns the mean over rows of the largest probability. A
// calibrated model's mean confidence is close to its accuracy.
func MeanConfidence(probs [][]float64) (float64, error) {
	if _, err := checkProbs(probs, make([]int, len(probs))); err != nil {
		return 0, fmt.Errorf("mean confidence: %w", err)
	}
	s := 0.0
	for _, r := range probs {
		s += math.Min(r[argmax(r)], 1)
	}
	return s / float64(len(probs)), nil
}

// NLL returns the mean negative log-likelihood −(1/N) Σ log p_{i,y_i} of the
// labels under rows of probabilities. Probabilities below ProbEpsilon are
// raised to it before the logarithm (one example then costs at most about
// 34.5 nats); with logits at hand, NLLLogits is exact.
func NLL(probs [][]float64, labels []int) (float64, error) {
	if _, err := checkProbs(probs, labels); err != nil {
		return 0, fmt.Errorf("NLL: %w", err)
	}
	s := 0.0
	for i, r := range probs {
		s -= math.Log(math.Max(r[labels[i]], ProbEpsilon))
	}
	return s / float64(len(probs)), nil
}

// NLLLogits returns the mean negative log-likelihood of the labels under
// softmax(logits), computed as log Σ_k exp(z_k) − z_y with the log-sum-exp
// shifted by the largest logit, so it neither overflows nor needs clipping.
func NLLLogits(logits [][]float64, labels []int) (float64, error) {
	if _, err := checkShape(logits, labels); err != nil {
		return 0, fmt.Errorf("NLL from logits: %w", err)
	}
	return nllScaled(logits, labels, 1), nil
}

// Brier returns the multiclass Brier score: the mean over rows of
// Σ_k (p_k − 1{y = k})², the squared distance between the probability vector
// and the one-hot label. It lies in [0, 2]; predicting uniform probabilities
// over K classes scores 1 − 1/K. (Some texts divide by K, or score only the
// top class; this is Brier's original multiclass form.)
func Brier(probs [][]float64, labels []int) (float64, error) {
	if _, err := checkProbs(probs, labels); err != nil {
		return 0, fmt.Errorf("brier: %w", err)
	}
	return brier(probs, labels), nil
}

func brier(probs [][]float64, labels []int) float64 {
	s := 0.0
	for i, r := range probs {
		for k, p := range r {
			d := p
			if k == labels[i] {
				d = p - 1
			}
			s += d * d
		}
	}
	return s / float64(len(probs))
}

// ClasswiseECE returns the class-wise ECE (Kull et al. 2019): for each class
// k, the examples are binned by p_k into m bins and the ECE compares the mean
// p_k with the fraction of examples whose label is k; the result is the mean
// over classes. Unlike ECE it also looks at the probabilities of the classes
// that were not predicted.
func ClasswiseECE(probs [][]float64, labels []int, m int) (float64, error) {
	k, err := checkProbs(probs, labels)
	if err != nil {
		return 0, fmt.Errorf("classwise ECE: %w", err)
	}
	return classwiseECE(probs, labels, k, m)
}

func classwiseECE(probs [][]float64, labels []int, k, m int) (float64, error) {
	conf := make([]float64, len(probs))
	isK := make([]bool, len(probs))
	total := 0.0
	for c := 0; c < k; c++ {
		for i, r := range probs {
			conf[i] = math.Min(r[c], 1)
			isK[i] = labels[i] == c
		}
		b, err := ReliabilityConf(conf, isK, m)
		if err != nil {
			return 0, fmt.Errorf("classwise ECE, class %d: %w", c, err)
		}
		total += b.ECE()
	}
	return total / float64(k), nil
}

// Softmax returns softmax(z/t) for each row of logits z: the probabilities
// of temperature t > 0 (t = 1 is the plain softmax). It subtracts the row's
// maximum before exponentiating, so logits of any finite size are safe.
func Softmax(logits [][]float64, t float64) ([][]float64, error) {
	if !(t > 0) || math.IsInf(t, 0) {
		return nil, inputErr(-1, -1, "temperature %v, want a finite T > 0", t)
	}
	if _, err := checkRows(logits); err != nil {
		return nil, fmt.Errorf("softmax: %w", err)
	}
	out := make([][]float64, len(logits))
	for i, z := range logits {
		out[i] = make([]float64, len(z))
		softmaxInto(out[i], z, 1/t)
	}
	return out, nil
}

// softmaxInto writes softmax(beta·z) into p and returns log Σ exp(beta·z).
func softmaxInto(p, z []float64, beta float64) float64 {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, beta*v)
	}
	s := 0.0
	for k, v := range z {
		p[k] = math.Exp(beta*v - mx)
		s += p[k]
	}
	for k := range p {
		p[k] /= s
	}
	return mx + math.Log(s)
}

// logSumExp returns log Σ_k exp(beta·z_k), shifted by the maximum.
func logSumExp(z []float64, beta float64) float64 {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, beta*v)
	}
	s := 0.0
	for _, v := range z {
		s += math.Exp(beta*v - mx)
	}
	return mx + math.Log(s)
}

// nllScaled is the mean NLL of softmax(beta·z); inputs already checked.
func nllScaled(logits [][]float64, labels []int, beta float64) float64 {
	s := 0.0
	for i, z := range logits {
		s += logSumExp(z, beta) - beta*z[labels[i]]
	}
	return s / float64(len(logits))
}

// Report gathers the calibration metrics of one set of predictions.
type Report struct {
	N            int     // examples
	Classes      int     // K
	Accuracy     float64 // fraction of argmax predictions that are right
	Confidence   float64 // mean largest probability
	ECE          float64 // expected calibration error (Bins.ECE)
	MCE          float64 // maximum calibration error (Bins.MCE)
	NLL          float64 // mean negative log-likelihood, nats
	Brier        float64 // multiclass Brier score (see Brier)
	ClasswiseECE float64 // see ClasswiseECE
	Bins         Bins    // the reliability diagram's bins
}

// Evaluate computes every metric of Report for rows of probabilities with m
// bins. NLL clips at ProbEpsilon (see NLL); use EvaluateLogits when the
// logits are available.
func Evaluate(probs [][]float64, labels []int, m int) (Report, error) {
	k, err := checkProbs(probs, labels)
	if err != nil {
		return Report{}, fmt.Errorf("evaluate: %w", err)
	}
	return evaluate(probs, labels, k, m, func() float64 {
		s := 0.0
		for i, r := range probs {
			s -= math.Log(math.Max(r[labels[i]], ProbEpsilon))
		}
		return s / float64(len(probs))
	})
}

// EvaluateLogits computes every metric of Report for rows of logits with m
// bins: the probabilities are softmax(logits) and NLL is computed from the
// logits with log-sum-exp (no clipping).
func EvaluateLogits(logits [][]float64, labels []int, m int) (Report, error) {
	probs, err := Softmax(logits, 1)
	if err != nil {
		return Report{}, fmt.Errorf("evaluate logits: %w", err)
	}
	k, err := checkShape(logits, labels)
	if err != nil {
		return Report{}, fmt.Errorf("evaluate logits: %w", err)
	}
	return evaluate(probs, labels, k, m, func() float64 { return nllScaled(logits, labels, 1) })
}

func evaluate(probs [][]float64, labels []int, k, m int, nll func() float64) (Report, error) {
	conf, correct := topLabel(probs, labels)
	bins, err := ReliabilityConf(conf, correct, m)
	if err != nil {
		return Report{}, fmt.Errorf("evaluate: %w", err)
	}
	r := Report{N: len(probs), Classes: k, Bins: bins, ECE: bins.ECE(), MCE: bins.MCE(), NLL: nll(), Brier: brier(probs, labels)}
	for i := range conf {
		r.Confidence += conf[i]
		if correct[i] {
			r.Accuracy++
		}
	}
	r.Confidence /= float64(r.N)
	r.Accuracy /= float64(r.N)
	if r.ClasswiseECE, err = classwiseECE(probs, labels, k, m); err != nil {
		return Report{}, fmt.Errorf("evaluate: %w", err)
	}
	return r, nil
}
