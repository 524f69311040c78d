// fer-thesis patch: tests and benchmarks of fer_pool.go's max-pool paths
// against upstream's ReduceWindow and SelectAndScatter executors.

package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
)

// ferPoolValues fills a buffer with few distinct values (many ties), and
// with NaN, ±Inf and ±0 in some trials.
func ferPoolValues(b *gobackend.Backend, rng *rand.Rand, special bool, dims ...int) *gobackend.Buffer {
	buf := b.NewBuffer(shapes.Make(dtypes.Float32, dims...))
	for i := range buf.Flat.([]float32) {
		v := float32(rng.IntN(5)) - 2
		if special {
			switch rng.IntN(12) {
			case 0:
				v = float32(math.NaN())
			case 1:
				v = float32(math.Inf(-1))
			case 2:
				v = float32(math.Inf(1))
			case 3:
				v = float32(math.Copysign(0, -1))
			}
		}
		buf.Flat.([]float32)[i] = v
	}
	return buf
}

func ferSameBits(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestFerMaxPoolMatchesUpstream runs random NHWC max-pools (window and
// stride per spatial axis, with ties, NaN, infinities and signed zeros)
// through fer_pool.go and through upstream's executors, forward
// (ReduceWindow) and backward (SelectAndScatterMax): bit for bit equal to
// upstream's loops (the gradient to their order on one goroutine).
// Operations fer_pool.go does not take (padding, pooling over the channels)
// must fall back to upstream.
func TestFerMaxPoolMatchesUpstream(t *testing.T) {
	b := ferTestBackend(t)
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 300 {
		batch, h, w, c := 1+rng.IntN(4), 1+rng.IntN(12), 1+rng.IntN(12), 1+rng.IntN(20)
		if trial%25 == 0 {
			batch, h, w, c = 8, 13, 11, 64 // several workers
		}
		kh, kw := 1+rng.IntN(min(h, 3)), 1+rng.IntN(min(w, 3))
		window := []int{1, kh, kw, 1}
		strides := []int{1, 1 + rng.IntN(3), 1 + rng.IntN(3), 1}
		var paddings [][2]int
		fast := true
		switch {
		case trial%7 == 3:
			strides = nil // defaults to the window
		case trial%11 == 5:
			paddings = [][2]int{{0, 0}, {1, 0}, {0, 1}, {0, 0}}
			fast = false
		case trial%13 == 6 && c > 1:
			window[3] = 2 // pools over channels: upstream's
			fast = false
		}
		effStrides := strides
		if effStrides == nil {
			effStrides = window
		}
		outDims := []int{batch, 0, 0, 0}
		for a, d := range []int{batch, h, w, c} {
			pad := 0
			if paddings != nil {
				pad = paddings[a][0] + paddings[a][1]
			}
			outDims[a] = (d+pad-window[a])/effStrides[a] + 1
		}
		x := ferPoolValues(b, rng, trial%3 == 0, batch, h, w, c)
		if _, ok := ferPoolNHWC(dtypes.Float32, []int{batch, h, w, c}, window, strides, paddings); ok != fast {
			t.Fatalf("trial %d: ferPoolNHWC says %v, want %v", trial, ok, fast)
		}
		name := fmt.Sprintf("trial %d: x %v window %v strides %v paddings %v", trial, []int{batch, h, w, c}, window, strides, paddings)

		fwd := &gobackend.Node{OpType: compute.OpTypeReduceWindow, Shape: shapes.Make(dtypes.Float32, outDims...),
			Data: &reduceWindowNode{reductionType: compute.ReduceOpMax, windowDimensions: window, strides: strides, paddings: paddings}}
		got, err := execFerReduceWindow(b, fwd, []*gobackend.Buffer{x}, []bool{false})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := execReduceWindow(b, fwd, []*gobackend.Buffer{x}, []bool{false})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if i := ferSameBits(got.Flat.([]float32), want.Flat.([]float32)); i >= 0 {
			t.Fatalf("%s: forward differs at %d", name, i)
		}

		dy := ferPoolValues(b, rng, false, outDims...)
		for i, v := range dy.Flat.([]float32) { // values whose sums round
			dy.Flat.([]float32)[i] = v + float32(rng.Float64())*1e-3
		}
		bwd := &gobackend.Node{OpType: compute.OpTypeSelectAndScatterMax, Shape: x.RawShape,
			Data: &selectAndScatterNode{windowDimensions: window, strides: strides, paddings: paddings}}
		// A recycled output buffer must not leak old values into the sums.
		for range 2 {
			got, err = execFerSelectAndScatterMax(b, bwd, []*gobackend.Buffer{x, dy}, []bool{false, false})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if fast {
				// Upstream's loop run on one goroutine: its order of the sums.
				// (Upstream splits a batch of one across workers and adds
				// their partial outputs, which rounds differently; batches
				// of more are split by batch element, in this same order.)
				want = b.NewBuffer(x.RawShape)
				want.Zeros() // a new buffer may be a recycled one; the loop adds into it
				execSelectAndScatterGeneric[float32](nil, x, dy, want, window, effStrides, make([][2]int, 4), false)
			} else if want, err = execSelectAndScatter(b, bwd, []*gobackend.Buffer{x, dy}, []bool{false, false}); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if batch > 1 {
				par, err := execSelectAndScatter(b, bwd, []*gobackend.Buffer{x, dy}, []bool{false, false})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if i := ferSameBits(par.Flat.([]float32), want.Flat.([]float32)); i >= 0 {
					t.Fatalf("%s: upstream's parallel gradient differs from its sequential one at %d", name, i)
				}
			}
			if i := ferSameBits(got.Flat.([]float32), want.Flat.([]float32)); i >= 0 {
				t.Fatalf("%s: gradient differs at %d: %g, upstream %g", name, i, got.Flat.([]float32)[i], want.Flat.([]float32)[i])
			}
			b.PutBuffer(got)
		}
	}
}

// BenchmarkFerMaxPool times fer-cnn's first max-pool (3×3, stride 2, on
// 32×48×48×64) and its gradient, fer_pool.go against upstream.
func BenchmarkFerMaxPool(bm *testing.B) {
	b := ferTestBackend(bm)
	rng := rand.New(rand.NewPCG(1, 1))
	x := ferRandomBuffer(b, rng, 32, 48, 48, 64)
	out := []int{32, 23, 23, 64}
	dy := ferRandomBuffer(b, rng, out...)
	window, strides := []int{1, 3, 3, 1}, []int{1, 2, 2, 1}
	fwd := &gobackend.Node{OpType: compute.OpTypeReduceWindow, Shape: shapes.Make(dtypes.Float32, out...),
		Data: &reduceWindowNode{reductionType: compute.ReduceOpMax, windowDimensions: window, strides: strides}}
	bwd := &gobackend.Node{OpType: compute.OpTypeSelectAndScatterMax, Shape: x.RawShape,
		Data: &selectAndScatterNode{windowDimensions: window, strides: strides}}
	for _, c := range []struct {
		name string
		fn   func() (*gobackend.Buffer, error)
	}{
		{"forward/fer", func() (*gobackend.Buffer, error) { return execFerReduceWindow(b, fwd, []*gobackend.Buffer{x}, nil) }},
		{"forward/upstream", func() (*gobackend.Buffer, error) { return execReduceWindow(b, fwd, []*gobackend.Buffer{x}, nil) }},
		{"gradient/fer", func() (*gobackend.Buffer, error) {
			return execFerSelectAndScatterMax(b, bwd, []*gobackend.Buffer{x, dy}, nil)
		}},
		{"gradient/upstream", func() (*gobackend.Buffer, error) {
			return execSelectAndScatter(b, bwd, []*gobackend.Buffer{x, dy}, nil)
		}},
	} {
		bm.Run(c.name, func(bm *testing.B) {
			for bm.Loop() {
				o, err := c.fn()
				if err != nil {
					bm.Fatal(err)
				}
				b.PutBuffer(o)
			}
		})
	}
}
