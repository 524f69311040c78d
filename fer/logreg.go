package fer

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// LogisticModel is a (binary or multinomial) logistic regression model in the
// thesis's parametrisation: class 0 is the reference class with score 0, and
// class k ≥ 1 has score z_k = b_k + w_k·x, so P(Y=k|x) = softmax(z)_k. With two
// classes this is the familiar P(Y=1|x) = σ(b + w·x).
type LogisticModel struct {
	// Coef holds one row per non-reference class: [w_1 .. w_d, b].
	Coef [][]float64
}

// Classes returns the number of classes K.
func (m *LogisticModel) Classes() int { return len(m.Coef) + 1 }

// Scores returns z, with z_0 = 0.
func (m *LogisticModel) Scores(x []float64) []float64 {
	z := make([]float64, len(m.Coef)+1)
	for k, row := range m.Coef {
		s := row[len(row)-1]
		for j, v := range x {
			s += row[j] * v
		}
		z[k+1] = s
	}
	return z
}

// Proba returns P(Y=k|x) for k = 0..K-1.
func (m *LogisticModel) Proba(x []float64) []float64 { return softmaxF64(m.Scores(x)) }

// Classify returns the most probable class.
func (m *LogisticModel) Classify(x []float64) int { return argmax(m.Scores(x)) }

// LogLikelihood returns the mean log-likelihood (1/n) Σ log P(Y=y_i | x_i).
func (m *LogisticModel) LogLikelihood(X [][]float64, y []int) float64 {
	ll := 0.0
	for i, x := range X {
		z := m.Scores(x)
		ll += z[y[i]] - logSumExp(z)
	}
	return ll / float64(len(X))
}

// Trace records the mean log-likelihood after each iteration of a fit
// (entry 0 is the starting point, all coefficients zero).
type Trace struct {
	Method string
	LogLik []float64
}

func logSumExp(z []float64) float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, v)
	}
	s := 0.0
	for _, v := range z {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

func checkXY(X [][]float64, y []int, classes int) (d int, err error) {
	if classes < 2 {
		return 0, fmt.Errorf("logistic: %d classes, want at least 2", classes)
	}
	if len(X) == 0 || len(X) != len(y) {
		return 0, fmt.Errorf("logistic: %d examples and %d labels", len(X), len(y))
	}
	d = len(X[0])
	for i, x := range X {
		if len(x) != d {
			return 0, fmt.Errorf("logistic: example %d has %d features, want %d", i, len(x), d)
		}
		if y[i] < 0 || y[i] >= classes {
			return 0, fmt.Errorf("logistic: label %d of example %d outside 0..%d", y[i], i, classes-1)
		}
	}
	return d, nil
}

// gradient returns the gradient of the mean log-likelihood with respect to
// Coef, flattened row by row.
func (m *LogisticModel) gradient(X [][]float64, y []int) []float64 {
	K1, d1 := len(m.Coef), len(m.Coef[0])
	g := make([]float64, K1*d1)
	for i, x := range X {
		p := m.Proba(x)
		for k := 0; k < K1; k++ {
			r := -p[k+1]
			if y[i] == k+1 {
				r++
			}
			for j, v := range x {
				g[k*d1+j] += r * v
			}
			g[k*d1+d1-1] += r
		}
	}
	for i := range g {
		g[i] /= float64(len(X))
	}
	return g
}

func newLogistic(classes, d int) *LogisticModel {
	m := &LogisticModel{Coef: make([][]float64, classes-1)}
	for k := range m.Coef {
		m.Coef[k] = make([]float64, d+1)
	}
	return m
}

// FitLogisticGD maximises the log-likelihood by gradient ascent with a fixed
// learning rate, for iters full-batch iterations starting at zero.
func FitLogisticGD(X [][]float64, y []int, classes int, lr float64, iters int) (*LogisticModel, Trace, error) {
	d, err := checkXY(X, y, classes)
	if err != nil {
		return nil, Trace{}, err
	}
	if !(lr > 0) || iters < 0 {
		return nil, Trace{}, fmt.Errorf("logistic GD: learning rate %g and %d iterations (want lr > 0, iterations ≥ 0)", lr, iters)
	}
	m := newLogistic(classes, d)
	tr := Trace{Method: fmt.Sprintf("gradient ascent (lr=%g)", lr), LogLik: []float64{m.LogLikelihood(X, y)}}
	for it := 0; it < iters; it++ {
		g := m.gradient(X, y)
		for k := range m.Coef {
			for j := range m.Coef[k] {
				m.Coef[k][j] += lr * g[k*(d+1)+j]
			}
		}
		tr.LogLik = append(tr.LogLik, m.LogLikelihood(X, y))
	}
	return m, tr, nil
}

// ErrNotConverged is returned (wrapped) when Newton-Raphson meets a singular
// Hessian, as happens when the classes are perfectly separable and the
// maximum-likelihood estimate does not exist.
var ErrNotConverged = errors.New("did not converge")

// FitLogisticNewton maximises the log-likelihood by Newton-Raphson: each step
// solves H Δ = -g with the exact Hessian H of the mean log-likelihood. It stops
// after iters steps or when the log-likelihood improves by less than tol.
func FitLogisticNewton(X [][]float64, y []int, classes int, iters int, tol float64) (*LogisticModel, Trace, error) {
	d, err := checkXY(X, y, classes)
	if err != nil {
		return nil, Trace{}, err
	}
	m := newLogistic(classes, d)
	K1, d1 := classes-1, d+1
	P := K1 * d1
	tr := Trace{Method: "Newton-Raphson", LogLik: []float64{m.LogLikelihood(X, y)}}
	xe := make([]float64, d1)
	for it := 0; it < iters; it++ {
		g := m.gradient(X, y)
		// Negative Hessian: Σ_i (diag(p) - p pᵀ) ⊗ x̃ x̃ᵀ / n, over non-reference classes.
		H := mat.NewSymDense(P, nil)
		for _, x := range X {
			p := m.Proba(x)
			copy(xe, x)
			xe[d] = 1
			for a := 0; a < K1; a++ {
				for b := a; b < K1; b++ {
					w := -p[a+1] * p[b+1]
					if a == b {
						w += p[a+1]
					}
					for r := 0; r < d1; r++ {
						cStart := 0
						if a == b {
							cStart = r
						}
						for c := cStart; c < d1; c++ {
							ri, ci := a*d1+r, b*d1+c
							H.SetSym(ri, ci, H.At(ri, ci)+w*xe[r]*xe[c]/float64(len(X)))
						}
					}
				}
			}
		}
		var chol mat.Cholesky
		if ok := chol.Factorize(H); !ok {
			return m, tr, fmt.Errorf("newton step %d: Hessian not positive definite (separable data?): %w", it+1, ErrNotConverged)
		}
		var delta mat.VecDense
		if err := chol.SolveVecTo(&delta, mat.NewVecDense(P, g)); err != nil {
			return m, tr, fmt.Errorf("newton step %d: %w", it+1, err)
		}
		for k := range m.Coef {
			for j := range m.Coef[k] {
				m.Coef[k][j] += delta.AtVec(k*d1 + j)
			}
		}
		ll := m.LogLikelihood(X, y)
		tr.LogLik = append(tr.LogLik, ll)
		if math.Abs(ll-tr.LogLik[len(tr.LogLik)-2]) < tol {
			break
		}
	}
	return m, tr, nil
}
