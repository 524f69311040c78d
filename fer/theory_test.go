package fer

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func twoGaussians(t *testing.T) *GaussianClasses {
	t.Helper()
	cov := mat.NewSymDense(2, []float64{1, 0.3, 0.3, 1})
	g, err := NewGaussianClasses([]float64{0.5, 0.5}, [][]float64{{0, 0}, {2, 1}}, []*mat.SymDense{cov, cov})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestBayesErrorMatchesClosedForm(t *testing.T) {
	g := twoGaussians(t)
	// Equal priors and covariance: Bayes error = Φ(-Δ/2), Δ the Mahalanobis distance.
	var inv mat.SymDense
	var chol mat.Cholesky
	chol.Factorize(g.Covs[0])
	if err := chol.InverseTo(&inv); err != nil {
		t.Fatal(err)
	}
	dm := mat.NewVecDense(2, []float64{2, 1})
	delta := math.Sqrt(mat.Inner(dm, &inv, dm))
	want := 0.5 * math.Erfc(delta/2/math.Sqrt2)
	X, y := g.Sample(200000, 1)
	got := ErrorRate(g.Classify, X, y)
	se := math.Sqrt(want * (1 - want) / float64(len(X)))
	if math.Abs(got-want) > 4*se {
		t.Errorf("Bayes error: Monte Carlo %.4f, closed form %.4f (4σ = %.4f)", got, want, 4*se)
	}
	p := g.Posterior([]float64{1, 0.5})
	if math.Abs(p[0]+p[1]-1) > 1e-12 {
		t.Errorf("posterior sums to %g", p[0]+p[1])
	}
}

func TestPlugInApproachesBayes(t *testing.T) {
	g := twoGaussians(t)
	Xtest, ytest := g.Sample(50000, 2)
	bayes := ErrorRate(g.Classify, Xtest, ytest)
	X, y := g.Sample(5000, 3)
	for _, shared := range []bool{true, false} {
		pi, err := FitPlugIn(X, y, 2, shared)
		if err != nil {
			t.Fatal(err)
		}
		if e := ErrorRate(pi.Classify, Xtest, ytest); e < bayes-0.01 || e > bayes+0.01 {
			t.Errorf("plug-in (shared=%v) error %.4f far from Bayes %.4f", shared, e, bayes)
		}
	}
	if _, err := FitPlugIn(X, y, 3, true); err == nil {
		t.Error("plug-in with an empty class: want error")
	}
}

func multinomialData(t *testing.T) ([][]float64, []int) {
	t.Helper()
	cov := mat.NewSymDense(2, []float64{1, 0, 0, 1})
	g, err := NewGaussianClasses([]float64{0.3, 0.3, 0.4}, [][]float64{{0, 0}, {2, 0}, {1, 2}}, []*mat.SymDense{cov, cov, cov})
	if err != nil {
		t.Fatal(err)
	}
	return g.Sample(600, 7)
}

func TestLogisticGradientFiniteDifferences(t *testing.T) {
	X, y := multinomialData(t)
	m := newLogistic(3, 2)
	m.Coef[0] = []float64{0.3, -0.2, 0.1}
	m.Coef[1] = []float64{-0.1, 0.4, -0.3}
	g := m.gradient(X, y)
	const h = 1e-6
	for k := range m.Coef {
		for j := range m.Coef[k] {
			old := m.Coef[k][j]
			m.Coef[k][j] = old + h
			up := m.LogLikelihood(X, y)
			m.Coef[k][j] = old - h
			down := m.LogLikelihood(X, y)
			m.Coef[k][j] = old
			fd := (up - down) / (2 * h)
			if math.Abs(fd-g[k*3+j]) > 1e-7 {
				t.Errorf("d/dCoef[%d][%d]: analytic %.9f, finite differences %.9f", k, j, g[k*3+j], fd)
			}
		}
	}
}

func TestNewtonReachesMaximumAndGDApproachesIt(t *testing.T) {
	X, y := multinomialData(t)
	mn, trN, err := FitLogisticNewton(X, y, 3, 50, 1e-12)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range mn.gradient(X, y) {
		if math.Abs(v) > 1e-8 {
			t.Errorf("gradient[%d] = %g at the Newton solution, want ≈ 0", i, v)
		}
	}
	if len(trN.LogLik) > 12 {
		t.Errorf("Newton took %d iterations, expected quadratic convergence in < 12", len(trN.LogLik)-1)
	}
	for i := 1; i < len(trN.LogLik); i++ {
		if trN.LogLik[i] < trN.LogLik[i-1]-1e-12 {
			t.Errorf("Newton log-likelihood decreased at step %d", i)
		}
	}
	_, trG, err := FitLogisticGD(X, y, 3, 0.5, 2000)
	if err != nil {
		t.Fatal(err)
	}
	best := trN.LogLik[len(trN.LogLik)-1]
	if got := trG.LogLik[len(trG.LogLik)-1]; got > best+1e-12 || best-got > 1e-4 {
		t.Errorf("GD reached %.8f, Newton maximum %.8f", got, best)
	}
}

func TestNewtonSeparableDataErrors(t *testing.T) {
	X := [][]float64{{0}, {1}, {2}, {3}}
	y := []int{0, 0, 1, 1}
	if _, _, err := FitLogisticNewton(X, y, 2, 100, 0); err == nil {
		t.Error("separable data: want a non-convergence error")
	}
}
