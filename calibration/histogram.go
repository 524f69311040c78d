package calibration

import (
	"fmt"
	"math"
)

// HistogramBinning is a fitted histogram-binning calibrator (Zadrozny & Elkan
// 2001, one of the baselines of Guo et al. 2017): confidences are cut into
// equal-width bins and every confidence in a bin is replaced by the accuracy
// the validation examples of that bin had.
//
// With several classes it is applied to the top-class confidence only (the
// "top-label" form): the predicted class stays the argmax of the original
// probabilities and only how sure the model says it is changes. This keeps
// one calibrator for all classes, which matters with few examples per class,
// and it is exactly what ECE and the reliability diagram look at. Per-class
// one-vs-rest binning followed by renormalisation is the other common choice;
// it can change predictions and needs K times the data.
//
// The map is a step function, so it loses the ordering of confidences within
// a bin; a bin whose validation examples were all right (or all wrong) maps
// to 1 (or 0), which NLL punishes heavily on test data. Temperature scaling
// has neither problem; histogram binning makes no assumption on the shape of
// the miscalibration.
type HistogramBinning struct {
	// Bins are the validation bins the map was fitted from.
	Bins Bins
}

// FitHistogramBinning fits histogram binning with m bins on validation
// probabilities.
func FitHistogramBinning(probs [][]float64, labels []int, m int) (HistogramBinning, error) {
	b, err := Reliability(probs, labels, m)
	if err != nil {
		return HistogramBinning{}, fmt.Errorf("fit histogram binning: %w", err)
	}
	return HistogramBinning{Bins: b}, nil
}

// Map returns the calibrated value of confidence c: the validation accuracy
// of c's bin, or c itself when no validation example fell in that bin.
func (h HistogramBinning) Map(c float64) float64 {
	if len(h.Bins) == 0 {
		return c
	}
	b := h.Bins[BinIndex(c, len(h.Bins))]
	if b.Count == 0 {
		return c
	}
	return b.Accuracy
}

// Apply returns, for each row of probabilities, the predicted class (the
// argmax, unchanged) and its calibrated confidence. Feed them to
// ReliabilityConf to measure ECE after calibration.
func (h HistogramBinning) Apply(probs [][]float64) (pred []int, conf []float64, err error) {
	if len(h.Bins) == 0 {
		return nil, nil, inputErr(-1, -1, "histogram binning has not been fitted")
	}
	if _, err := checkProbs(probs, make([]int, len(probs))); err != nil {
		return nil, nil, fmt.Errorf("apply histogram binning: %w", err)
	}
	pred = make([]int, len(probs))
	conf = make([]float64, len(probs))
	for i, r := range probs {
		pred[i] = argmax(r)
		conf[i] = h.Map(math.Min(r[pred[i]], 1))
	}
	return pred, conf, nil
}

// ApplyProbs returns full rows of probabilities: the predicted class gets its
// calibrated confidence θ and the other classes share 1 − θ in their original
// proportions (equally if they were all 0), so NLL and Brier can be computed.
// When θ is small another class can end up larger than θ, so the argmax of a
// returned row is not always the prediction: compute ECE from Apply.
func (h HistogramBinning) ApplyProbs(probs [][]float64) ([][]float64, error) {
	pred, conf, err := h.Apply(probs)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(probs))
	for i, r := range probs {
		out[i] = make([]float64, len(r))
		top, theta := pred[i], conf[i]
		rest := 0.0
		for k, p := range r {
			if k != top {
				rest += p
			}
		}
		for k, p := range r {
			switch {
			case k == top:
				out[i][k] = theta
			case rest > 0:
				out[i][k] = (1 - theta) * p / rest
			default:
				out[i][k] = (1 - theta) / float64(len(r)-1)
			}
		}
	}
	return out, nil
}
