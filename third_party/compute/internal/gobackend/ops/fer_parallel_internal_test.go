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

func ferTestBackend(t testing.TB) *gobackend.Backend {
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

// TestFerPad checks the parallel Pad (zero and non-zero fill, interior
// padding, large and small tensors) against a direct index mapping.
func TestFerPad(t *testing.T) {
	b := ferTestBackend(t)
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 200 {
		rank := 1 + rng.IntN(4)
		dims := make([]int, rank)
		cfg := make([]compute.PadAxis, rank)
		outDims := make([]int, rank)
		for a := range dims {
			dims[a] = 1 + rng.IntN(6)
			if trial%20 == 0 {
				dims[a] = 1 + rng.IntN(30)
			}
			if rng.IntN(3) > 0 {
				cfg[a] = compute.PadAxis{Start: rng.IntN(3), End: rng.IntN(3), Interior: rng.IntN(2)}
			}
			outDims[a] = dims[a] + cfg[a].Start + cfg[a].End + (dims[a]-1)*cfg[a].Interior
		}
		operand := ferRandomBuffer(b, rng, dims...)
		fill := b.NewBuffer(shapes.Make(dtypes.Float32))
		if trial%2 == 1 {
			fill.Flat.([]float32)[0] = -7
		}
		node := &gobackend.Node{OpType: compute.OpTypePad, Shape: shapes.Make(dtypes.Float32, outDims...), Data: &padNode{axesConfig: cfg}}
		got, err := execPad(b, node, []*gobackend.Buffer{operand, fill}, []bool{false, false})
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float32, shapes.Make(dtypes.Float32, outDims...).Size())
		for i := range want {
			want[i] = fill.Flat.([]float32)[0]
		}
		outStrides := shapes.Make(dtypes.Float32, outDims...).Strides()
		idx := make([]int, rank)
		for _, v := range operand.Flat.([]float32) {
			o := 0
			for a := range idx {
				o += (cfg[a].Start + idx[a]*(1+cfg[a].Interior)) * outStrides[a]
			}
			want[o] = v
			for a := rank - 1; a >= 0; a-- {
				idx[a]++
				if idx[a] < dims[a] {
					break
				}
				idx[a] = 0
			}
		}
		if !slices.Equal(got.Flat.([]float32), want) {
			t.Fatalf("trial %d: dims %v pad %v: output differs from the index mapping", trial, dims, cfg)
		}
	}
}

// TestFerTranspose compares the parallel float32 Transpose with upstream's
// iterator on random shapes and permutations.
func TestFerTranspose(t *testing.T) {
	b := ferTestBackend(t)
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := range 100 {
		rank := 2 + rng.IntN(3)
		dims := make([]int, rank)
		for a := range dims {
			dims[a] = 1 + rng.IntN(40)
		}
		perm := rng.Perm(rank)
		operand := ferRandomBuffer(b, rng, dims...)
		outDims := make([]int, rank)
		for a, p := range perm {
			outDims[a] = dims[p]
		}
		got := b.NewBuffer(shapes.Make(dtypes.Float32, outDims...))
		want := b.NewBuffer(shapes.Make(dtypes.Float32, outDims...))
		ferTranspose[float32](b, operand, got, NewTransposeIterator(operand.RawShape, perm))
		execTransposeGeneric[float32](operand, want, NewTransposeIterator(operand.RawShape, perm))
		if !slices.Equal(got.Flat.([]float32), want.Flat.([]float32)) {
			t.Fatalf("trial %d: dims %v permutation %v: differs from upstream's loop", trial, dims, perm)
		}
	}
}

// TestFerReduceSum compares the parallel float32 ReduceSum with upstream's
// loop bit for bit, over leading and trailing blocks of axes.
func TestFerReduceSum(t *testing.T) {
	b := ferTestBackend(t)
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 100 {
		rank := 2 + rng.IntN(3)
		dims := make([]int, rank)
		for a := range dims {
			dims[a] = 1 + rng.IntN(30)
		}
		k := 1 + rng.IntN(rank-1)
		var axes []int
		if trial%2 == 0 {
			for a := range k {
				axes = append(axes, a)
			}
		} else {
			for a := rank - k; a < rank; a++ {
				axes = append(axes, a)
			}
		}
		var outDims []int
		for a, d := range dims {
			if !slices.Contains(axes, a) {
				outDims = append(outDims, d)
			}
		}
		operand := ferRandomBuffer(b, rng, dims...)
		for i, v := range operand.Flat.([]float32) {
			operand.Flat.([]float32)[i] = (v - 0.5) * 1000 // rounding shows up if the order changes
		}
		got := b.NewBuffer(shapes.Make(dtypes.Float32, outDims...))
		want := b.NewBuffer(shapes.Make(dtypes.Float32, outDims...))
		done := ferReduceSum(b, operand, got, axes)
		if operand.RawShape.Size() < parallelMinElements {
			if done {
				t.Fatalf("trial %d: small operand %v taken by the fast path", trial, dims)
			}
			continue
		}
		if !done {
			t.Fatalf("trial %d: dims %v axes %v not taken by the fast path", trial, dims, axes)
		}
		if err := execReduceSumGeneric[float32](operand, want, NewReduceOutputIterator(dims, axes), dtypes.Float32); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Flat.([]float32), want.Flat.([]float32)) {
			t.Fatalf("trial %d: dims %v axes %v: differs from upstream's loop", trial, dims, axes)
		}
	}
	operand := ferRandomBuffer(b, rng, 40, 40, 40)
	if ferReduceSum(b, operand, b.NewBuffer(shapes.Make(dtypes.Float32, 40, 40)), []int{1}) {
		t.Error("a middle axis was taken by the fast path")
	}
}

// TestFerConcatenate checks the parallel Concatenate against a direct index
// mapping, on every axis, small and large.
func TestFerConcatenate(t *testing.T) {
	b := ferTestBackend(t)
	rng := rand.New(rand.NewPCG(13, 14))
	for trial := range 60 {
		rank := 1 + rng.IntN(4)
		dims := make([]int, rank)
		for a := range dims {
			dims[a] = 1 + rng.IntN(8)
			if trial%6 == 0 {
				dims[a] = 1 + rng.IntN(40)
			}
		}
		axis := rng.IntN(rank)
		var inputs []*gobackend.Buffer
		outDims := slices.Clone(dims)
		outDims[axis] = 0
		for range 1 + rng.IntN(9) {
			d := slices.Clone(dims)
			d[axis] = 1 + rng.IntN(5)
			outDims[axis] += d[axis]
			inputs = append(inputs, ferRandomBuffer(b, rng, d...))
		}
		node := &gobackend.Node{OpType: compute.OpTypeConcatenate, Shape: shapes.Make(dtypes.Float32, outDims...), Data: axis}
		got, err := execConcatenate(b, node, inputs, make([]bool, len(inputs)))
		if err != nil {
			t.Fatal(err)
		}
		outer := 1
		for a := range axis {
			outer *= outDims[a]
		}
		inner := 1
		for a := axis + 1; a < rank; a++ {
			inner *= outDims[a]
		}
		var want []float32
		for o := range outer {
			for _, in := range inputs {
				n := in.RawShape.Dimensions[axis] * inner
				want = append(want, in.Flat.([]float32)[o*n:(o+1)*n]...)
			}
		}
		if !slices.Equal(got.Flat.([]float32), want) {
			t.Fatalf("trial %d: dims %v axis %d: differs from the direct mapping", trial, outDims, axis)
		}
	}
}
