package calibration

import (
	"fmt"
	"math"
)

// SumTolerance is how far from 1 the sum of a row of probabilities may be.
// It admits float32 softmax outputs and probabilities written to a file with
// four decimals (7 classes × 0.00005 rounding error each).
const SumTolerance = 1e-3

// ProbEpsilon is the smallest probability NLL takes the logarithm of when it
// is given probabilities rather than logits: a true-class probability of 0 (or
// one that underflowed) would otherwise give an infinite NLL. −log(1e-15) ≈ 34.5
// caps the loss of a single example. NLLLogits needs no clipping.
const ProbEpsilon = 1e-15

// InputError reports a problem with the data given to a function of this
// package: which row (example) and, when it applies, which column (class).
type InputError struct {
	Row    int // 0-based row, or -1 when the problem is not in one row
	Col    int // 0-based column, or -1
	Reason string
}

// Error returns "calibration: row R, column C: reason", leaving out what
// does not apply.
func (e *InputError) Error() string {
	switch {
	case e.Row < 0:
		return "calibration: " + e.Reason
	case e.Col < 0:
		return fmt.Sprintf("calibration: row %d: %s", e.Row, e.Reason)
	default:
		return fmt.Sprintf("calibration: row %d, column %d: %s", e.Row, e.Col, e.Reason)
	}
}

func inputErr(row, col int, format string, args ...any) error {
	return &InputError{Row: row, Col: col, Reason: fmt.Sprintf(format, args...)}
}

// Rows reshapes a flat, row-major slice of n×k values into n rows of k
// values. The rows share memory with flat (no copy).
func Rows(flat []float64, k int) ([][]float64, error) {
	if k <= 0 {
		return nil, inputErr(-1, -1, "row length %d, want > 0", k)
	}
	if len(flat)%k != 0 {
		return nil, inputErr(-1, -1, "%d values do not split into rows of %d", len(flat), k)
	}
	rows := make([][]float64, len(flat)/k)
	for i := range rows {
		rows[i] = flat[i*k : (i+1)*k : (i+1)*k]
	}
	return rows, nil
}

// checkRows checks that there is at least one row, at least two classes,
// rows of equal length and finite values. It returns K, the row length.
func checkRows(rows [][]float64) (int, error) {
	if len(rows) == 0 {
		return 0, inputErr(-1, -1, "no rows")
	}
	k := len(rows[0])
	if k < 2 {
		return 0, inputErr(0, -1, "%d values, want at least 2 classes", k)
	}
	for i, r := range rows {
		if len(r) != k {
			return 0, inputErr(i, -1, "%d values, want %d like row 0", len(r), k)
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, inputErr(i, j, "value %v is not finite", v)
			}
		}
	}
	return k, nil
}

// checkShape is checkRows plus one label per row, each in 0..K-1.
func checkShape(rows [][]float64, labels []int) (int, error) {
	k, err := checkRows(rows)
	if err != nil {
		return 0, err
	}
	if len(labels) != len(rows) {
		return 0, inputErr(-1, -1, "%d rows but %d labels", len(rows), len(labels))
	}
	for i, y := range labels {
		if y < 0 || y >= k {
			return 0, inputErr(i, -1, "label %d outside 0..%d", y, k-1)
		}
	}
	return k, nil
}

// checkProbs is checkShape plus: every value in [0, 1] and every row summing
// to 1 within SumTolerance.
func checkProbs(probs [][]float64, labels []int) (int, error) {
	k, err := checkShape(probs, labels)
	if err != nil {
		return 0, err
	}
	for i, r := range probs {
		sum := 0.0
		for j, v := range r {
			if v < 0 || v > 1+SumTolerance {
				return 0, inputErr(i, j, "probability %v outside [0, 1]; were logits passed where probabilities are expected?", v)
			}
			sum += v
		}
		if math.Abs(sum-1) > SumTolerance {
			return 0, inputErr(i, -1, "probabilities sum to %v, want 1 (±%g); were logits passed where probabilities are expected?", sum, SumTolerance)
		}
	}
	return k, nil
}

// argmax returns the index of the largest value (the first one on ties).
func argmax(r []float64) int {
	best := 0
	for j, v := range r {
		if v > r[best] {
			best = j
		}
	}
	return best
}

// topLabel returns, for each row, the confidence (largest probability, capped
// at 1) and whether the argmax equals the label.
func topLabel(probs [][]float64, labels []int) (conf []float64, correct []bool) {
	conf = make([]float64, len(probs))
	correct = make([]bool, len(probs))
	for i, r := range probs {
		j := argmax(r)
		conf[i] = math.Min(r[j], 1)
		correct[i] = j == labels[i]
	}
	return conf, correct
}
