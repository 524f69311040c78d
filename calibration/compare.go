package calibration

import (
	"fmt"

	"gonum.org/v1/gonum/stat"
)

// Recalibration is the result of one recalibration map, fitted on validation
// logits, on test logits (see CompareRecalibrations).
type Recalibration struct {
	// Method names the map: "none: softmax(z)", "temperature scaling",
	// "histogram binning" or "vector scaling".
	Method string
	// Params is the number of fitted parameters.
	Params int
	// Report holds the test metrics. Accuracy is that of the map's
	// predictions; ECE, MCE, Bins and Confidence describe the calibrated
	// confidence of the predicted class; NLL and Brier the full calibrated
	// probability vectors (exact, from logits, where the map gives logits).
	Report Report
	// Changed counts test predictions that differ from the argmax of the raw
	// logits: always 0 for temperature scaling and histogram binning.
	Changed int
}

// CompareRecalibrations fits temperature scaling, histogram binning with m
// bins and vector scaling on validation logits and labels, and evaluates
// each of them, after the raw softmax, on test logits and labels with m
// bins: the side-by-side table of chapter 7's alternatives.
//
// Histogram binning is applied to the top class (HistogramBinning.Apply):
// its ECE and MCE come from the calibrated confidences, its NLL and Brier
// from HistogramBinning.ApplyProbs.
func CompareRecalibrations(valLogits [][]float64, valLabels []int, testLogits [][]float64, testLabels []int, m int) ([]Recalibration, error) {
	kv, err := checkShape(valLogits, valLabels)
	if err != nil {
		return nil, fmt.Errorf("validation logits: %w", err)
	}
	kt, err := checkShape(testLogits, testLabels)
	if err != nil {
		return nil, fmt.Errorf("test logits: %w", err)
	}
	if kv != kt {
		return nil, inputErr(-1, -1, "validation logits have %d classes, test logits %d", kv, kt)
	}
	if m < 1 {
		return nil, inputErr(-1, -1, "%d bins, want at least 1", m)
	}
	raw, err := EvaluateLogits(testLogits, testLabels, m)
	if err != nil {
		return nil, err
	}
	pred := make([]int, len(testLogits))
	for i, z := range testLogits {
		pred[i] = argmax(z)
	}
	changed := func(rows [][]float64) int {
		c := 0
		for i, r := range rows {
			if argmax(r) != pred[i] {
				c++
			}
		}
		return c
	}
	out := []Recalibration{{Method: "none: softmax(z)", Report: raw}}

	fit, err := FitTemperature(valLogits, valLabels)
	if err != nil {
		return nil, err
	}
	ts, err := fit.Apply(testLogits)
	if err != nil {
		return nil, err
	}
	r, err := Evaluate(ts, testLabels, m)
	if err != nil {
		return nil, err
	}
	if r.NLL, err = TemperatureNLL(testLogits, testLabels, fit.T); err != nil {
		return nil, err
	}
	out = append(out, Recalibration{Method: "temperature scaling", Params: 1, Report: r, Changed: changed(ts)})

	pv, err := Softmax(valLogits, 1)
	if err != nil {
		return nil, err
	}
	pt, err := Softmax(testLogits, 1)
	if err != nil {
		return nil, err
	}
	hb, err := FitHistogramBinning(pv, valLabels, m)
	if err != nil {
		return nil, err
	}
	hbPred, hbConf, err := hb.Apply(pt)
	if err != nil {
		return nil, err
	}
	hbProbs, err := hb.ApplyProbs(pt)
	if err != nil {
		return nil, err
	}
	if r, err = Evaluate(hbProbs, testLabels, m); err != nil {
		return nil, err
	}
	right := make([]bool, len(hbPred))
	c := 0
	for i, p := range hbPred {
		right[i] = p == testLabels[i]
		if p != pred[i] {
			c++
		}
	}
	if r.Bins, err = ReliabilityConf(hbConf, right, m); err != nil {
		return nil, err
	}
	r.Accuracy, r.Confidence, r.ECE, r.MCE = raw.Accuracy, stat.Mean(hbConf, nil), r.Bins.ECE(), r.Bins.MCE()
	out = append(out, Recalibration{Method: "histogram binning", Params: m, Report: r, Changed: c})

	vs, err := FitVectorScaling(valLogits, valLabels)
	if err != nil {
		return nil, err
	}
	vz, err := vs.Logits(testLogits)
	if err != nil {
		return nil, err
	}
	if r, err = EvaluateLogits(vz, testLabels, m); err != nil {
		return nil, err
	}
	out = append(out, Recalibration{Method: "vector scaling", Params: 2 * kv, Report: r, Changed: changed(vz)})
	return out, nil
}
