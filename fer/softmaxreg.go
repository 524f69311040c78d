package fer

import (
	"errors"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// Standardizer centres and scales every feature with the mean and standard
// deviation (ddof 0) of a training set, like scikit-learn's StandardScaler; a
// constant feature is only centred.
type Standardizer struct {
	Mean, Scale []float64
}

// FitStandardizer computes the per-feature mean and standard deviation of X.
func FitStandardizer(X *mat.Dense) *Standardizer {
	n, d := X.Dims()
	s := &Standardizer{Mean: make([]float64, d), Scale: make([]float64, d)}
	for i := 0; i < n; i++ {
		row := X.RawRowView(i)
		for j, v := range row {
			s.Mean[j] += v
		}
	}
	for j := range s.Mean {
		s.Mean[j] /= float64(n)
	}
	for i := 0; i < n; i++ {
		row := X.RawRowView(i)
		for j, v := range row {
			dv := v - s.Mean[j]
			s.Scale[j] += dv * dv
		}
	}
	for j := range s.Scale {
		s.Scale[j] = math.Sqrt(s.Scale[j] / float64(n))
		if s.Scale[j] == 0 {
			s.Scale[j] = 1
		}
	}
	return s
}

// Transform standardizes X in place and returns it.
func (s *Standardizer) Transform(X *mat.Dense) *mat.Dense {
	n, _ := X.Dims()
	for i := 0; i < n; i++ {
		row := X.RawRowView(i)
		for j := range row {
			row[j] = (row[j] - s.Mean[j]) / s.Scale[j]
		}
	}
	return X
}

// SoftmaxRegression is a multinomial logistic regression with one weight row
// and one intercept per class (the symmetric parametrisation scikit-learn
// uses with an L2 penalty, which makes the optimum unique).
type SoftmaxRegression struct {
	W *mat.Dense // classes × features
	B []float64  // classes
}

// FitInfo describes how an L-BFGS fit ended.
type FitInfo struct {
	Iterations, Evaluations int
	Objective               float64 // final value of the objective
	GradNorm                float64 // infinity norm of the final gradient
	Status                  string  // gonum's termination status
	Converged               bool    // stopped by the gradient or function-change test
	Duration                time.Duration
}

// SoftmaxL2Options configures FitSoftmaxL2. Zero values take scikit-learn's
// LogisticRegression defaults (C=1, max_iter=100, tol=1e-4).
type SoftmaxL2Options struct {
	C       float64 // inverse regularisation strength
	MaxIter int     // L-BFGS iterations
	Tol     float64 // stop when the gradient's infinity norm is below Tol
	// Progress, if set, is called after every major iteration with the
	// iteration number, the objective and the gradient's infinity norm.
	Progress func(iter int, objective, gradNorm float64)
}

// progressRecorder adapts SoftmaxL2Options.Progress to gonum's Recorder.
type progressRecorder struct {
	f func(iter int, objective, gradNorm float64)
}

func (r progressRecorder) Init() error { return nil }

func (r progressRecorder) Record(loc *optimize.Location, op optimize.Operation, stats *optimize.Stats) error {
	if op&optimize.MajorIteration != 0 {
		g := 0.0
		for _, v := range loc.Gradient {
			g = math.Max(g, math.Abs(v))
		}
		r.f(stats.MajorIterations, loc.F, g)
	}
	return nil
}

// FitSoftmaxL2 fits a multinomial logistic regression by L-BFGS (gonum's
// optimize.LBFGS), minimising, as scikit-learn 1.2's lbfgs solver does,
//
//	(1/n) Σ_i −log softmax(W x_i + b)_{y_i} + ‖W‖² / (2 C n)
//
// (intercepts not penalised). It stops when the gradient's infinity norm falls
// below Tol, when the objective stops decreasing (relative change below
// 64·machine epsilon), or after MaxIter iterations (Converged is false then).
func FitSoftmaxL2(X *mat.Dense, y []int, classes int, opts SoftmaxL2Options) (*SoftmaxRegression, FitInfo, error) {
	if opts.C == 0 {
		opts.C = 1
	}
	if opts.MaxIter == 0 {
		opts.MaxIter = 100
	}
	if opts.Tol == 0 {
		opts.Tol = 1e-4
	}
	n, d := X.Dims()
	if n == 0 || n != len(y) {
		return nil, FitInfo{}, fmt.Errorf("softmax regression: %d examples and %d labels", n, len(y))
	}
	if !(opts.C > 0) {
		return nil, FitInfo{}, fmt.Errorf("softmax regression: C = %g, want > 0", opts.C)
	}
	for i, v := range y {
		if v < 0 || v >= classes {
			return nil, FitInfo{}, fmt.Errorf("softmax regression: label %d of example %d outside 0..%d", v, i, classes-1)
		}
	}
	K := classes
	alpha := 1 / (opts.C * float64(n))
	rows := newRowProducts(X)
	Z := make([]float64, n*K)
	G := make([]float64, K*d)
	// gonum's line search asks for the objective and then the gradient at
	// the same point: the logits of the last objective-only call are kept
	// (Z is overwritten by the gradient's residuals otherwise).
	zTheta, zValid := make([]float64, K*d+K), false
	objective := func(theta, grad []float64) float64 {
		b := theta[K*d:]
		if !zValid || !floats.Equal(zTheta, theta) {
			rows.logits(theta[:K*d], b, Z)
		}
		zValid = false
		loss := 0.0
		for i := 0; i < n; i++ {
			z := Z[i*K : (i+1)*K]
			m := math.Inf(-1)
			for k := range z {
				m = math.Max(m, z[k])
			}
			s := 0.0
			for k := range z {
				s += math.Exp(z[k] - m)
			}
			lse := m + math.Log(s)
			loss += lse - z[y[i]]
			if grad != nil { // z becomes (p - onehot) / n
				for k := range z {
					z[k] = math.Exp(z[k] - lse)
				}
				z[y[i]]--
				for k := range z {
					z[k] /= float64(n)
				}
			}
		}
		reg := 0.0
		for _, v := range theta[:K*d] {
			reg += v * v
		}
		if grad != nil {
			rows.gradW(Z, K, G)
			gw := grad[:K*d]
			copy(gw, G)
			for j, v := range theta[:K*d] {
				gw[j] += alpha * v
			}
			gb := grad[K*d:]
			for k := range gb {
				gb[k] = 0
			}
			for i := 0; i < n; i++ {
				for k, v := range Z[i*K : (i+1)*K] {
					gb[k] += v
				}
			}
		} else {
			copy(zTheta, theta)
			zValid = true
		}
		return loss/float64(n) + 0.5*alpha*reg
	}
	problem := optimize.Problem{
		Func: func(theta []float64) float64 { return objective(theta, nil) },
		Grad: func(grad, theta []float64) { objective(theta, grad) },
	}
	// Func and Grad at the same point are evaluated together by FuncGrad.
	start := time.Now()
	settings := &optimize.Settings{
		GradientThreshold: opts.Tol,
		MajorIterations:   opts.MaxIter,
		Converger:         &optimize.FunctionConverge{Relative: 64 * 2.220446049250313e-16, Iterations: 1},
	}
	if opts.Progress != nil {
		settings.Recorder = progressRecorder{opts.Progress}
	}
	theta0 := make([]float64, K*d+K)
	res, err := optimize.Minimize(problem, theta0, settings, &optimize.LBFGS{Store: 10})
	if err != nil && (res == nil || res.Status != optimize.IterationLimit) {
		return nil, FitInfo{}, fmt.Errorf("softmax regression: L-BFGS: %w", err)
	}
	info := FitInfo{
		Iterations:  res.Stats.MajorIterations,
		Evaluations: res.Stats.FuncEvaluations + res.Stats.GradEvaluations,
		Objective:   res.F,
		Status:      res.Status.String(),
		Converged:   res.Status == optimize.GradientThreshold || res.Status == optimize.FunctionConvergence,
		Duration:    time.Since(start),
	}
	if res.Gradient != nil {
		for _, g := range res.Gradient {
			info.GradNorm = math.Max(info.GradNorm, math.Abs(g))
		}
	}
	W := mat.NewDense(K, d, append([]float64(nil), res.X[:K*d]...))
	return &SoftmaxRegression{W: W, B: append([]float64(nil), res.X[K*d:]...)}, info, nil
}

// Logits returns W x + b for every row of X (n × classes).
func (m *SoftmaxRegression) Logits(X *mat.Dense) *mat.Dense {
	n, _ := X.Dims()
	K, _ := m.W.Dims()
	Z := mat.NewDense(n, K, nil)
	Z.Mul(X, m.W.T())
	for i := 0; i < n; i++ {
		row := Z.RawRowView(i)
		for k := range row {
			row[k] += m.B[k]
		}
	}
	return Z
}

// PredictClasses returns the most probable class of every row of X.
func (m *SoftmaxRegression) PredictClasses(X *mat.Dense) []int {
	Z := m.Logits(X)
	n, _ := Z.Dims()
	out := make([]int, n)
	for i := range out {
		out[i] = argmax(Z.RawRowView(i))
	}
	return out
}

// ErrEmpty is returned when a data set has no examples.
var ErrEmpty = errors.New("no examples")

// Accuracy returns the fraction of predictions equal to the labels.
func Accuracy(pred, labels []int) (float64, error) {
	if len(pred) == 0 {
		return 0, ErrEmpty
	}
	if len(pred) != len(labels) {
		return 0, fmt.Errorf("accuracy: %d predictions and %d labels", len(pred), len(labels))
	}
	ok := 0
	for i := range pred {
		if pred[i] == labels[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(pred)), nil
}
