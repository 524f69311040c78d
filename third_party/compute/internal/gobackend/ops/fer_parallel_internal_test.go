// fer-thesis patch: tests of the block-copy and parallel paths against
// upstream's element-by-element loops.

package ops

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
)

func ferTestBackend(t *testing.T) *gobackend.Backend {
	t.Helper()
	b, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	return b.(*gobackend.Backend)
}

func ferRandomBuffer(b *gobackend.Backend, rng *rand.Rand, dims ...int) *gobackend.Buffer {
	buf := b.NewBuffer(shapes.Make(dtypes.Float32, dims...))
	flat := buf.Flat.([]float32)
	for i := range flat {
		flat[i] = rng.Float32()
	}
	return buf
}

// TestFerSliceMatchesScalar compares the block-copy Slice with upstream's
// loop on random shapes, starts, limits and strides, small and large (large
// ones run on several workers).
func TestFerSliceMatchesScalar(t *testing.T) {
	b := ferTestBackend(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		rank := 1 + rng.IntN(4)
		dims := make([]int, rank)
		for a := range dims {
			dims[a] = 1 + rng.IntN(9)
			if trial%10 == 0 {
				dims[a] = 1 + rng.IntN(40)
			}
		}
		operand := ferRandomBuffer(b, rng, dims...)
		p := &sliceNode{starts: make([]int, rank), limits: make([]int, rank), strides: make([]int, rank)}
		outDims := make([]int, rank)
		for a, d := range dims {
			p.starts[a] = rng.IntN(d)
			p.limits[a] = p.starts[a] + 1 + rng.IntN(d-p.starts[a])
			p.strides[a] = 1
			switch rng.IntN(4) {
			case 0:
				p.strides[a] = 1 + rng.IntN(3)
			case 1:
				p.starts[a], p.limits[a] = 0, d
			}
			outDims[a] = (p.limits[a] - p.starts[a] + p.strides[a] - 1) / p.strides[a]
		}
		got := b.NewBuffer(shapes.Make(dtypes.Float32, outDims...))
		want := b.NewBuffer(shapes.Make(dtypes.Float32, outDims...))
		execSliceGeneric[float32](b, operand, got, p)
		execSliceGenericScalar[float32](operand, want, p)
		if !slices.Equal(got.Flat.([]float32), want.Flat.([]float32)) {
			t.Fatalf("trial %d: dims %v starts %v limits %v strides %v: block copy differs from the element loop", trial, dims, p.starts, p.limits, p.strides)
		}
	}
}

// TestFerBinaryMatchesUpstream runs every float32 binary op through the
// parallel executors and upstream's, on large tensors (so that they are
// split), with equal shapes and with a single-value left or right operand.
func TestFerBinaryMatchesUpstream(t *testing.T) {
	b := ferTestBackend(t)
	rng := rand.New(rand.NewPCG(3, 4))
	dims := []int{6, 50, 3*parallelMinElements/(4*50) + 5}
	type testOp struct {
		opType         compute.OpType
		fast, upstream gobackend.NodeExecutor
		outDType       dtypes.DType
	}
	var ops []testOp
	for _, op := range ferBinaryOps {
		ops = append(ops, testOp{op.opType, ferParallelBinary(op.commutative, op.kernel, op.fallback), op.fallback, dtypes.Float32})
	}
	for _, op := range ferCompareOps {
		ops = append(ops, testOp{op.opType, ferParallelCompare(op.commutative, op.kernel, op.fallback), op.fallback, dtypes.Bool})
	}
	mk := func(layout string, side string) *gobackend.Buffer {
		var buf *gobackend.Buffer
		switch {
		case layout == "scalar-"+side:
			buf = ferRandomBuffer(b, rng)
		case layout == side+"-bias":
			buf = ferRandomBuffer(b, rng, 1, 1, dims[2])
		case layout == side+"-map":
			buf = ferRandomBuffer(b, rng, 1, dims[1], dims[2])
		case layout == side+"-odd":
			buf = ferRandomBuffer(b, rng, dims[0], 1, dims[2]) // not a suffix: upstream's loop
		default:
			buf = ferRandomBuffer(b, rng, dims...)
		}
		flat := buf.Flat.([]float32)
		for i := 0; i < len(flat); i += 7 {
			flat[i] = 0.5 // ties for the comparisons
		}
		return buf
	}
	for _, op := range ops {
		for _, layout := range []string{"same", "scalar-lhs", "scalar-rhs", "lhs-bias", "rhs-bias", "lhs-map", "rhs-map", "lhs-odd", "rhs-odd"} {
			lhs, rhs := mk(layout, "lhs"), mk(layout, "rhs")
			node := &gobackend.Node{OpType: op.opType, Shape: shapes.Make(op.outDType, dims...)}
			split, _ := ferSplittable(node, []*gobackend.Buffer{lhs, rhs})
			wantSplit := map[string]ferSplit{"same": ferElementwise, "scalar-lhs": ferElementwise, "scalar-rhs": ferElementwise,
				"lhs-bias": ferLHSRepeats, "lhs-map": ferLHSRepeats, "rhs-bias": ferRHSRepeats, "rhs-map": ferRHSRepeats}[layout]
			if split != wantSplit {
				t.Fatalf("%s, %s operands: split %d, want %d", op.opType, layout, split, wantSplit)
			}
			got, err := op.fast(b, node, []*gobackend.Buffer{lhs, rhs}, []bool{false, false})
			if err != nil {
				t.Fatal(err)
			}
			want, err := op.upstream(b, node, []*gobackend.Buffer{lhs, rhs}, []bool{false, false})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Flat, want.Flat) {
				t.Errorf("%s, %s operands: parallel result differs from upstream's", op.opType, layout)
			}
		}
	}
}

// TestFerWhere checks the parallel Where against a direct loop, with either
// side a scalar.
func TestFerWhere(t *testing.T) {
	b := ferTestBackend(t)
	rng := rand.New(rand.NewPCG(5, 6))
	n := 3*parallelMinElements + 11
	cond := b.NewBuffer(shapes.Make(dtypes.Bool, n))
	condFlat := cond.Flat.([]bool)
	for i := range condFlat {
		condFlat[i] = rng.IntN(2) == 0
	}
	for _, scalars := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		mk := func(scalar bool) *gobackend.Buffer {
			if scalar {
				return ferRandomBuffer(b, rng)
			}
			return ferRandomBuffer(b, rng, n)
		}
		onTrue, onFalse := mk(scalars[0]), mk(scalars[1])
		out := b.NewBuffer(shapes.Make(dtypes.Float32, n))
		execWhereGeneric[float32](b, cond, onTrue, onFalse, out)
		at := func(buf *gobackend.Buffer, i int) float32 {
			f := buf.Flat.([]float32)
			if len(f) == 1 {
				return f[0]
			}
			return f[i]
		}
		for i, c := range condFlat {
			want := at(onFalse, i)
			if c {
				want = at(onTrue, i)
			}
			if got := out.Flat.([]float32)[i]; got != want {
				t.Fatalf("scalars %v: element %d = %v, want %v", scalars, i, got, want)
			}
		}
	}
}
