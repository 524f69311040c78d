package fer

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"
)

// GaussianClasses is a K-class model where class k has prior probability
// Priors[k] and its examples are Gaussian with mean Means[k] and covariance
// Covs[k]. Chapter 2 uses it as a simulated problem whose Bayes classifier is
// known exactly, so an estimated rule can be compared with the optimal one.
type GaussianClasses struct {
	Priors []float64
	Means  [][]float64
	Covs   []*mat.SymDense
	dists  []*distmv.Normal
}

// NewGaussianClasses validates the parameters and returns the model.
// Priors must be positive and sum to 1; covariances must be positive definite.
func NewGaussianClasses(priors []float64, means [][]float64, covs []*mat.SymDense) (*GaussianClasses, error) {
	if len(priors) < 2 || len(means) != len(priors) || len(covs) != len(priors) {
		return nil, fmt.Errorf("gaussian classes: %d priors, %d means, %d covariances (want the same number, at least 2)", len(priors), len(means), len(covs))
	}
	sum := 0.0
	for k, p := range priors {
		if !(p > 0) {
			return nil, fmt.Errorf("gaussian classes: prior %d is %g, want > 0", k, p)
		}
		sum += p
	}
	if math.Abs(sum-1) > 1e-9 {
		return nil, fmt.Errorf("gaussian classes: priors sum to %g, want 1", sum)
	}
	g := &GaussianClasses{Priors: priors, Means: means, Covs: covs}
	for k := range priors {
		if covs[k].SymmetricDim() != len(means[k]) {
			return nil, fmt.Errorf("gaussian classes: class %d mean has %d dims but covariance %d", k, len(means[k]), covs[k].SymmetricDim())
		}
		d, ok := distmv.NewNormal(means[k], covs[k], nil)
		if !ok {
			return nil, fmt.Errorf("gaussian classes: covariance of class %d is not positive definite", k)
		}
		g.dists = append(g.dists, d)
	}
	return g, nil
}

// Classes returns the number of classes.
func (g *GaussianClasses) Classes() int { return len(g.Priors) }

// Sample draws n labelled examples with the given seed: first the class from
// the priors, then the point from that class's Gaussian.
func (g *GaussianClasses) Sample(n int, seed uint64) (X [][]float64, y []int) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	dists := make([]*distmv.Normal, len(g.Priors))
	for k := range dists {
		dists[k], _ = distmv.NewNormal(g.Means[k], g.Covs[k], rng)
	}
	X, y = make([][]float64, n), make([]int, n)
	for i := range X {
		u, k := rng.Float64(), 0
		for acc := g.Priors[0]; u > acc && k < len(g.Priors)-1; {
			k++
			acc += g.Priors[k]
		}
		y[i] = k
		X[i] = dists[k].Rand(nil)
	}
	return X, y
}

// Posterior returns P(Y=k | X=x) for every class k, computed in log space.
func (g *GaussianClasses) Posterior(x []float64) []float64 {
	logp := make([]float64, len(g.Priors))
	for k, d := range g.dists {
		logp[k] = math.Log(g.Priors[k]) + d.LogProb(x)
	}
	return softmaxF64(logp)
}

// Classify returns the Bayes rule: the class with the largest posterior.
func (g *GaussianClasses) Classify(x []float64) int { return argmax(g.Posterior(x)) }

// ErrorRate returns the fraction of examples that classify misclassifies.
func ErrorRate(classify func([]float64) int, X [][]float64, y []int) float64 {
	if len(X) == 0 {
		return math.NaN()
	}
	wrong := 0
	for i, x := range X {
		if classify(x) != y[i] {
			wrong++
		}
	}
	return float64(wrong) / float64(len(X))
}

// FitPlugIn estimates a GaussianClasses model from labelled data: class
// frequencies as priors, sample means, and either one pooled covariance
// (shared=true: linear discriminant analysis) or one covariance per class
// (quadratic discriminant analysis). Plugging these estimates into the Bayes
// rule gives the "plug-in" classifier of chapter 2.
func FitPlugIn(X [][]float64, y []int, classes int, shared bool) (*GaussianClasses, error) {
	if len(X) == 0 || len(X) != len(y) {
		return nil, fmt.Errorf("plug-in: %d examples and %d labels", len(X), len(y))
	}
	d := len(X[0])
	counts := make([]float64, classes)
	means := make([][]float64, classes)
	for k := range means {
		means[k] = make([]float64, d)
	}
	for i, x := range X {
		if y[i] < 0 || y[i] >= classes {
			return nil, fmt.Errorf("plug-in: label %d of example %d outside 0..%d", y[i], i, classes-1)
		}
		if len(x) != d {
			return nil, fmt.Errorf("plug-in: example %d has %d features, want %d", i, len(x), d)
		}
		counts[y[i]]++
		for j := range x {
			means[y[i]][j] += x[j]
		}
	}
	for k := range means {
		if counts[k] < 2 {
			return nil, fmt.Errorf("plug-in: class %d has %g examples, want at least 2", k, counts[k])
		}
		for j := range means[k] {
			means[k][j] /= counts[k]
		}
	}
	scatter := make([]*mat.SymDense, classes)
	for k := range scatter {
		scatter[k] = mat.NewSymDense(d, nil)
	}
	diff := make([]float64, d)
	for i, x := range X {
		k := y[i]
		for j := range x {
			diff[j] = x[j] - means[k][j]
		}
		scatter[k].SymRankOne(scatter[k], 1, mat.NewVecDense(d, diff))
	}
	priors := make([]float64, classes)
	covs := make([]*mat.SymDense, classes)
	n := float64(len(X))
	if shared {
		pooled := mat.NewSymDense(d, nil)
		for k := range scatter {
			pooled.AddSym(pooled, scatter[k])
		}
		pooled.ScaleSym(1/(n-float64(classes)), pooled)
		for k := range covs {
			covs[k] = pooled
		}
	} else {
		for k := range covs {
			covs[k] = mat.NewSymDense(d, nil)
			covs[k].ScaleSym(1/(counts[k]-1), scatter[k])
		}
	}
	for k := range priors {
		priors[k] = counts[k] / n
	}
	return NewGaussianClasses(priors, means, covs)
}

func softmaxF64(z []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, v)
	}
	out := make([]float64, len(z))
	sum := 0.0
	for i, v := range z {
		out[i] = math.Exp(v - m)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

func argmax(v []float64) int {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}
