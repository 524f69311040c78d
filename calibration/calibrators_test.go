package calibration

import (
	"math"
	"strings"
	"testing"
)

func TestHistogramBinningHandWorked(t *testing.T) {
	// fiveRows with 5 bins: (0.4,0.6] has accuracy 1/2, (0.6,0.8] 0, (0.8,1] 1/2;
	// (0,0.2] and (0.2,0.4] are empty and map confidences to themselves.
	h, err := FitHistogramBinning(fiveRows.probs, fiveRows.labels, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ in, out float64 }{{0.9, 0.5}, {0.55, 0.5}, {0.7, 0}, {0.8, 0}, {0.3, 0.3}, {0.1, 0.1}, {1, 0.5}} {
		if got := h.Map(c.in); got != c.out {
			t.Errorf("Map(%v) = %v, want %v", c.in, got, c.out)
		}
	}
	pred, conf, err := h.Apply([][]float64{{0.9, 0.05, 0.05}, {0.1, 0.2, 0.7}})
	if err != nil || pred[0] != 0 || pred[1] != 2 || conf[0] != 0.5 || conf[1] != 0 {
		t.Errorf("Apply = %v %v, %v", pred, conf, err)
	}
	rows, err := h.ApplyProbs([][]float64{{0.9, 0.05, 0.05}, {0.1, 0.2, 0.7}, {0, 0, 1}})
	if err != nil {
		t.Fatal(err)
	}
	// θ = 0.5 shared as 0.25, 0.25; θ = 0 leaves 1 split 1:2; a one-hot row splits 1 − 0.5 equally.
	want := [][]float64{{0.5, 0.25, 0.25}, {1.0 / 3, 2.0 / 3, 0}, {0.25, 0.25, 0.5}}
	for i := range want {
		for k := range want[i] {
			if !near(rows[i][k], want[i][k], 1e-15) {
				t.Errorf("ApplyProbs row %d = %v, want %v", i, rows[i], want[i])
				break
			}
		}
	}
	if _, _, err := (HistogramBinning{}).Apply(fiveRows.probs); err == nil {
		t.Error("unfitted calibrator: want error")
	}
	if _, err := FitHistogramBinning(fiveRows.probs, []int{0, 1, 2, 3, 0}, 5); err == nil || !strings.Contains(err.Error(), "row 3") {
		t.Errorf("bad label: err = %v", err)
	}
}

func TestHistogramBinningCalibratesHeldOutData(t *testing.T) {
	uv, yv := synthetic(4000, 5, 1.5, 21)
	ut, yt := synthetic(4000, 5, 1.5, 22)
	val, _ := Softmax(scaleRows(uv, 3), 1)
	test, _ := Softmax(scaleRows(ut, 3), 1)
	h, err := FitHistogramBinning(val, yv, 10)
	if err != nil {
		t.Fatal(err)
	}
	// On the fitting data every bin's confidence becomes its accuracy: ECE 0.
	pred, conf, _ := h.Apply(val)
	right := make([]bool, len(pred))
	for i := range pred {
		right[i] = pred[i] == yv[i]
	}
	b, _ := ReliabilityConf(conf, right, 10)
	if b.ECE() > 1e-12 {
		t.Errorf("ECE on the fitting data after histogram binning = %v, want 0", b.ECE())
	}
	// On held-out data ECE and NLL both improve, and the predictions do not change.
	before, _ := Evaluate(test, yt, 10)
	pred, conf, _ = h.Apply(test)
	right = make([]bool, len(pred))
	for i := range pred {
		right[i] = pred[i] == yt[i]
		if pred[i] != argmax(test[i]) {
			t.Fatalf("row %d: prediction changed", i)
		}
	}
	b, _ = ReliabilityConf(conf, right, 10)
	probs, _ := h.ApplyProbs(test)
	nll, _ := NLL(probs, yt)
	if !(b.ECE() < before.ECE/3) || !(nll < before.NLL) {
		t.Errorf("test ECE %.4f → %.4f, NLL %.4f → %.4f", before.ECE, b.ECE(), before.NLL, nll)
	}
	t.Logf("histogram binning on test: ECE %.4f → %.4f, NLL %.4f → %.4f", before.ECE, b.ECE(), before.NLL, nll)
}

func TestVectorScalingBeatsTemperatureOnClasswiseDistortions(t *testing.T) {
	// Each class's logit is distorted differently: z_k = s_k·u_k + c_k. One
	// temperature cannot undo that; a ∘ z + b with a_k = 1/s_k, b_k = −c_k/s_k can.
	s := []float64{3, 1, 0.5, 2, 1}
	c := []float64{1, 0, -1, 0.5, 0}
	distort := func(u [][]float64) [][]float64 {
		z := make([][]float64, len(u))
		for i := range u {
			z[i] = make([]float64, len(s))
			for k := range s {
				z[i][k] = s[k]*u[i][k] + c[k]
			}
		}
		return z
	}
	uv, yv := synthetic(4000, 5, 1.5, 31)
	ut, yt := synthetic(4000, 5, 1.5, 32)
	zv, zt := distort(uv), distort(ut)

	v, err := FitVectorScaling(zv, yv)
	if err != nil {
		t.Fatal(err)
	}
	if !(v.NLLAfter < v.NLLBefore) || v.Status != "GradientThreshold" {
		t.Errorf("validation NLL %v → %v (%s)", v.NLLBefore, v.NLLAfter, v.Status)
	}
	for k := range s {
		if math.Abs(v.A[k]*s[k]-1) > 0.2 {
			t.Errorf("a[%d] = %.3f, want about 1/%v", k, v.A[k], s[k])
		}
	}
	if sum := v.B[0] + v.B[1] + v.B[2] + v.B[3] + v.B[4]; math.Abs(sum) > 1e-9 {
		t.Errorf("biases drift: sum %v", sum)
	}
	temp, err := FitTemperature(zv, yv)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := EvaluateLogits(zt, yt, 15)
	ts, _ := EvaluateLogits(scaleRows(zt, 1/temp.T), yt, 15)
	w, err := v.Logits(zt)
	if err != nil {
		t.Fatal(err)
	}
	vs, _ := EvaluateLogits(w, yt, 15)
	if !(vs.NLL < ts.NLL && ts.NLL < raw.NLL) || !(vs.ECE < raw.ECE) {
		t.Errorf("test NLL raw %.4f, temperature %.4f, vector %.4f; ECE raw %.4f, vector %.4f", raw.NLL, ts.NLL, vs.NLL, raw.ECE, vs.ECE)
	}
	// Vector scaling changes predictions (here for the better: it removes the biases).
	changed := 0
	for i := range zt {
		if argmax(w[i]) != argmax(zt[i]) {
			changed++
		}
	}
	if changed == 0 || ts.Accuracy != raw.Accuracy || !(vs.Accuracy > raw.Accuracy) {
		t.Errorf("%d predictions changed; accuracy raw %.4f, temperature %.4f, vector %.4f", changed, raw.Accuracy, ts.Accuracy, vs.Accuracy)
	}
	t.Logf("test NLL raw %.4f, T=%.3f %.4f, vector %.4f; accuracy %.4f → %.4f (%d changed); %s", raw.NLL, temp.T, ts.NLL, vs.NLL, raw.Accuracy, vs.Accuracy, changed, v.Status)

	if _, err := v.Apply([][]float64{{1, 2}}); err == nil {
		t.Error("2 classes for a 5-class scaling: want error")
	}
	p, err := v.Apply(zt[:1])
	if err != nil || !near(p[0][0]+p[0][1]+p[0][2]+p[0][3]+p[0][4], 1, 1e-12) {
		t.Errorf("Apply = %v, %v", p, err)
	}
}

func TestVectorScalingSurvivesSeparableData(t *testing.T) {
	z := [][]float64{{1e4, -1e4}, {-1e4, 1e4}, {3, 1}, {0, 2}}
	v, err := FitVectorScaling(z, []int{0, 1, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range append(v.A, v.B...) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t.Fatalf("parameters %v %v", v.A, v.B)
		}
	}
	if v.NLLAfter > v.NLLBefore {
		t.Errorf("NLL %v → %v", v.NLLBefore, v.NLLAfter)
	}
}

func TestBootstrap(t *testing.T) {
	u, y := synthetic(3589, 7, 1.5, 41) // the size of FER2013's test set
	p, _ := Softmax(scaleRows(u, 2), 1)
	bs := Bootstrap{Resamples: 300, Level: 0.9, Seed: 7}
	a, err := bs.ECE(p, y, 10)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := bs.ECE(p, y, 10)
	if a != b {
		t.Errorf("same seed, different intervals: %+v vs %+v", a, b)
	}
	bs.Seed = 8
	c, _ := bs.ECE(p, y, 10)
	if c.Lo == a.Lo && c.Hi == a.Hi {
		t.Errorf("seeds 7 and 8 gave the same interval %+v", a)
	}
	ece, _ := ECE(p, y, 10)
	if !near(a.Estimate, ece, 1e-12) || !(a.Lo < a.Hi) || a.Resamples != 300 || a.Level != 0.9 || !(a.StdErr > 0) {
		t.Errorf("interval %+v, ECE %v", a, ece)
	}
	t.Logf("ECE %.4f, 90%% bootstrap interval [%.4f, %.4f], s.e. %.4f", a.Estimate, a.Lo, a.Hi, a.StdErr)

	// The bootstrap standard error of a proportion is close to √(p(1−p)/n).
	right := make([]float64, len(y))
	for i := range y {
		if argmax(p[i]) == y[i] {
			right[i] = 1
		}
	}
	acc, err := Bootstrap{Resamples: 400, Seed: 1}.Interval(len(right), func(idx []int) float64 {
		s := 0.0
		for _, i := range idx {
			s += right[i]
		}
		return s / float64(len(idx))
	})
	if err != nil {
		t.Fatal(err)
	}
	se := math.Sqrt(acc.Estimate * (1 - acc.Estimate) / float64(len(right)))
	if math.Abs(acc.StdErr/se-1) > 0.15 || !(acc.Lo < acc.Estimate && acc.Estimate < acc.Hi) || acc.Level != 0.95 {
		t.Errorf("accuracy %+v, binomial s.e. %v", acc, se)
	}

	for _, bad := range []Bootstrap{{Resamples: 1}, {Level: 1}, {Level: -0.5}} {
		if _, err := bad.ECE(p, y, 10); err == nil {
			t.Errorf("%+v: want error", bad)
		}
	}
	if _, err := bs.ECE(p, y[:10], 10); err == nil {
		t.Error("labels of the wrong length: want error")
	}
}
