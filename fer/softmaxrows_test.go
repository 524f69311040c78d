package fer

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestRowProductsMatchGonum checks FitSoftmaxL2's row-sweep products against
// gonum's Dense.Mul, and that they give the same bits on 1 and 4 cores.
func TestRowProductsMatchGonum(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n, d, K := 517, 37, 7
	X := mat.NewDense(n, d, nil)
	for i := range n {
		for j := range d {
			X.Set(i, j, r.NormFloat64())
		}
	}
	W, b, Z := make([]float64, K*d), make([]float64, K), make([]float64, n*K)
	for i := range W {
		W[i] = r.NormFloat64()
	}
	for i := range b {
		b[i] = r.NormFloat64()
	}
	p := newRowProducts(X)
	p.logits(W, b, Z)
	var want mat.Dense
	want.Mul(X, mat.NewDense(K, d, W).T())
	for i := range n {
		for k := range K {
			if w := want.At(i, k) + b[k]; math.Abs(Z[i*K+k]-w) > 1e-12*(1+math.Abs(w)) {
				t.Fatalf("logit[%d][%d] = %v, gonum %v", i, k, Z[i*K+k], w)
			}
		}
	}
	G := make([]float64, K*d)
	p.gradW(Z, K, G)
	var wantG mat.Dense
	wantG.Mul(mat.NewDense(n, K, Z).T(), X)
	for k := range K {
		for j := range d {
			if w := wantG.At(k, j); math.Abs(G[k*d+j]-w) > 1e-11*(1+math.Abs(w)) {
				t.Fatalf("G[%d][%d] = %v, gonum %v", k, j, G[k*d+j], w)
			}
		}
	}

	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	Z1, G1 := make([]float64, n*K), make([]float64, K*d)
	p.logits(W, b, Z1)
	p.gradW(Z1, K, G1)
	runtime.GOMAXPROCS(4)
	Z4, G4 := make([]float64, n*K), make([]float64, K*d)
	p.logits(W, b, Z4)
	p.gradW(Z4, K, G4)
	for i := range Z1 {
		if math.Float64bits(Z1[i]) != math.Float64bits(Z4[i]) || math.Float64bits(Z1[i]) != math.Float64bits(Z[i]) {
			t.Fatalf("logit %d differs with the number of cores: %v %v %v", i, Z1[i], Z4[i], Z[i])
		}
	}
	for i := range G1 {
		if math.Float64bits(G1[i]) != math.Float64bits(G4[i]) || math.Float64bits(G1[i]) != math.Float64bits(G[i]) {
			t.Fatalf("G %d differs with the number of cores: %v %v %v", i, G1[i], G4[i], G[i])
		}
	}
}
