package calibration_test

import (
	"fmt"

	"github.com/fer-thesis/fer/calibration"
)

// Five predictions over three classes: the model says 75% on average but is
// right only 40% of the time. Temperature scaling then softens a set of
// overconfident logits.
func Example() {
	probs := [][]float64{
		{0.9, 0.05, 0.05},
		{0.8, 0.1, 0.1},
		{0.3, 0.6, 0.1},
		{0.5, 0.25, 0.25},
		{0.05, 0.95, 0},
	}
	labels := []int{0, 1, 1, 2, 0}
	r, err := calibration.Evaluate(probs, labels, 5)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("accuracy %.2f, confidence %.2f, ECE %.3f, MCE %.2f, NLL %.4f, Brier %.3f\n",
		r.Accuracy, r.Confidence, r.ECE, r.MCE, r.NLL, r.Brier)
	for _, b := range r.Bins {
		if b.Count > 0 {
			fmt.Printf("(%.1f, %.1f]  n=%d  conf %.3f  acc %.2f  gap %.3f\n", b.Lo, b.Hi, b.Count, b.Confidence, b.Accuracy, b.Gap)
		}
	}

	// Three right by a margin of 6 and one wrong by 6: with x = exp(6/T) the
	// NLL's derivative vanishes at x = 6, so T = 6/ln 6 ≈ 3.3487.
	logits := [][]float64{{6, 0, 0}, {0, 6, 0}, {0, 0, 6}, {6, 0, 0}}
	fit, err := calibration.FitTemperature(logits, []int{0, 1, 2, 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("T = %.4f, NLL %.4f → %.4f\n", fit.T, fit.NLLBefore, fit.NLLAfter)
	// Output:
	// accuracy 0.40, confidence 0.75, ECE 0.350, MCE 0.80, NLL 1.4602, Brier 0.883
	// (0.4, 0.6]  n=2  conf 0.550  acc 0.50  gap 0.050
	// (0.6, 0.8]  n=1  conf 0.800  acc 0.00  gap 0.800
	// (0.8, 1.0]  n=2  conf 0.925  acc 0.50  gap 0.425
	// T = 3.3487, NLL 1.5049 → 0.7356
}
