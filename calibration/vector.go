package calibration

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"
)

// VectorScaling is a fitted vector-scaling calibrator (Guo et al. 2017): the
// calibrated probabilities are softmax(a ∘ z + b), with one scale a_k and one
// bias b_k per class. Temperature scaling is the special case a_k = 1/T,
// b_k = 0.
//
// Unlike temperature scaling, vector scaling CAN change the predicted class:
// a larger scale or bias for one class moves examples towards it, so accuracy
// may go up or down. With 2K parameters instead of one it also needs more
// validation data to avoid overfitting.
type VectorScaling struct {
	A, B []float64 // per-class scale and bias
	// NLLBefore and NLLAfter are the mean NLL of the fitting data with the
	// raw logits and with the fitted scaling.
	NLLBefore, NLLAfter float64
	// Status is gonum/optimize's reason for stopping (e.g.
	// "GradientThreshold" or "FunctionConvergence").
	Status string
}

// FitVectorScaling fits a and b by minimising the mean NLL of
// softmax(a ∘ z + b) on validation logits, with gonum/optimize's L-BFGS and
// the analytic gradient: for one example with p = softmax(a ∘ z + b) and
// one-hot label y, ∂NLL/∂b_k = p_k − y_k and ∂NLL/∂a_k = (p_k − y_k)·z_k. It
// starts from a = 1, b = 0 (the raw logits). The biases are defined up to a
// common shift; the gradient never moves their sum, so they stay centred.
//
// On data the logits separate perfectly the NLL has no minimum (it keeps
// falling as a grows); the fit then stops at the iteration limit and Status
// says so.
func FitVectorScaling(logits [][]float64, labels []int) (VectorScaling, error) {
	k, err := checkShape(logits, labels)
	if err != nil {
		return VectorScaling{}, fmt.Errorf("fit vector scaling: %w", err)
	}
	n := float64(len(logits))
	p := make([]float64, k)
	w := make([]float64, k)
	scaled := func(x []float64, z []float64) {
		for j := range z {
			w[j] = x[j]*z[j] + x[k+j]
		}
	}
	problem := optimize.Problem{
		Func: func(x []float64) float64 {
			s := 0.0
			for i, z := range logits {
				scaled(x, z)
				s += logSumExp(w, 1) - w[labels[i]]
			}
			return s / n
		},
		Grad: func(grad, x []float64) {
			clear(grad)
			for i, z := range logits {
				scaled(x, z)
				softmaxInto(p, w, 1)
				for j := range z {
					d := p[j]
					if j == labels[i] {
						d--
					}
					grad[j] += d * z[j]
					grad[k+j] += d
				}
			}
			for j := range grad {
				grad[j] /= n
			}
		},
	}
	x0 := make([]float64, 2*k)
	for j := 0; j < k; j++ {
		x0[j] = 1
	}
	before := problem.Func(x0)
	// Stop when no gradient component exceeds 1e-7: the NLL is then within
	// ~1e-14 of its minimum, and asking for less makes the line search fail on
	// rounding noise.
	settings := &optimize.Settings{GradientThreshold: 1e-7, MajorIterations: 1000}
	res, err := optimize.Minimize(problem, x0, settings, &optimize.LBFGS{})
	if res == nil || math.IsNaN(res.F) || res.F > before {
		if err == nil {
			err = fmt.Errorf("no improvement on the raw logits")
		}
		return VectorScaling{}, fmt.Errorf("fit vector scaling: %w", err)
	}
	// A line search that fails next to the optimum (the NLL is flat to
	// rounding there) still leaves a good point: keep it, report the status.
	v := VectorScaling{
		A:         append([]float64(nil), res.X[:k]...),
		B:         append([]float64(nil), res.X[k:]...),
		NLLBefore: before,
		NLLAfter:  res.F,
		Status:    res.Status.String(),
	}
	if err != nil {
		v.Status += " (" + err.Error() + ")"
	}
	return v, nil
}

// Logits returns a ∘ z + b for each row of logits z.
func (v VectorScaling) Logits(logits [][]float64) ([][]float64, error) {
	k, err := checkRows(logits)
	if err != nil {
		return nil, fmt.Errorf("apply vector scaling: %w", err)
	}
	if len(v.A) != k || len(v.B) != k {
		return nil, inputErr(-1, -1, "vector scaling fitted for %d classes, logits have %d", len(v.A), k)
	}
	out := make([][]float64, len(logits))
	for i, z := range logits {
		out[i] = make([]float64, k)
		for j := range z {
			out[i][j] = v.A[j]*z[j] + v.B[j]
		}
	}
	return out, nil
}

// Apply returns the calibrated probabilities softmax(a ∘ z + b).
func (v VectorScaling) Apply(logits [][]float64) ([][]float64, error) {
	w, err := v.Logits(logits)
	if err != nil {
		return nil, err
	}
	return Softmax(w, 1)
}
