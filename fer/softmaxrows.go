package fer

import (
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Why not mat.Dense.Mul for the two products of FitSoftmaxL2's objective
// (Z = X Wᵀ and G = Zᵀ X, X n × d, W K × d, K = 7 classes): with so few
// output columns gonum's blocked Dgemm ran at about 1.4 GFLOP/s on a 2-core
// machine (chapter 8's full fit, 28,709 × 2,304 pixels: 18 min for 800
// L-BFGS iterations). Both products are one sweep over the rows of X, each
// row K dot products (Z) or K axpys (G) on gonum's own assembly kernels
// (floats.Dot, floats.AddScaled). The rows are cut into softmaxChunks fixed
// chunks, spread over the cores; G's per-chunk sums are added in chunk
// order, so the results do not depend on the number of cores.

// softmaxChunks is the number of row chunks (fixed, for reproducibility).
const softmaxChunks = 32

// rowProducts computes X Wᵀ and Zᵀ X for one design matrix X.
type rowProducts struct {
	X       *mat.Dense
	n, d    int
	partial [][]float64 // per chunk, K·d values of G
}

func newRowProducts(X *mat.Dense) *rowProducts {
	n, d := X.Dims()
	return &rowProducts{X: X, n: n, d: d}
}

// chunk returns the rows [start, end) of chunk c.
func (p *rowProducts) chunk(c int) (start, end int) {
	return c * p.n / softmaxChunks, (c + 1) * p.n / softmaxChunks
}

// forChunks runs fn for every chunk, on up to GOMAXPROCS goroutines.
func forChunks(fn func(c int)) {
	workers := min(runtime.GOMAXPROCS(0), softmaxChunks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := int(next.Add(1) - 1); c < softmaxChunks; c = int(next.Add(1) - 1) {
				fn(c)
			}
		}()
	}
	wg.Wait()
}

// logits writes Z[i, k] = x_i · W_k + b_k (Z n × K, row-major; W K × d
// row-major).
func (p *rowProducts) logits(W, b, Z []float64) {
	K, d := len(b), p.d
	forChunks(func(c int) {
		start, end := p.chunk(c)
		for i := start; i < end; i++ {
			x := p.X.RawRowView(i)
			z := Z[i*K : (i+1)*K]
			for k := range z {
				z[k] = floats.Dot(x, W[k*d:(k+1)*d]) + b[k]
			}
		}
	})
}

// gradW writes G[k, j] = Σ_i Z[i, k] X[i, j] (G K × d row-major).
func (p *rowProducts) gradW(Z []float64, K int, G []float64) {
	d := p.d
	if len(p.partial) == 0 {
		p.partial = make([][]float64, softmaxChunks)
		for c := range p.partial {
			p.partial[c] = make([]float64, K*d)
		}
	}
	forChunks(func(c int) {
		part := p.partial[c]
		clear(part)
		start, end := p.chunk(c)
		for i := start; i < end; i++ {
			x := p.X.RawRowView(i)
			for k, v := range Z[i*K : (i+1)*K] {
				if v != 0 {
					floats.AddScaled(part[k*d:(k+1)*d], v, x)
				}
			}
		}
	})
	clear(G)
	for _, part := range p.partial {
		floats.Add(G, part)
	}
}
