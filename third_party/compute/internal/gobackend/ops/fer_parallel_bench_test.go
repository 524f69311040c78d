// fer-thesis patch: benchmarks of the patched ops against upstream's loops,
// at the size of the FER CNN's first block (batch 32, 48×48, 64 channels).
//
//	cd third_party/compute && go test ./internal/gobackend/ops -run '^$' -bench Fer

package ops

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
)

var ferBenchDims = []int{32, 48, 48, 64}

func BenchmarkFerSlice(b *testing.B) {
	be := ferTestBackend(b)
	rng := rand.New(rand.NewPCG(1, 1))
	operand := ferRandomBuffer(be, rng, 32, 50, 50, 64) // padded input, one im2col tap
	p := &sliceNode{starts: []int{0, 1, 2, 0}, limits: []int{32, 49, 50, 64}, strides: []int{1, 1, 1, 1}}
	out := be.NewBuffer(shapes.Make(dtypes.Float32, ferBenchDims...))
	b.Run("patched", func(b *testing.B) {
		for b.Loop() {
			execSliceGeneric[float32](be, operand, out, p)
		}
	})
	b.Run("upstream", func(b *testing.B) {
		for b.Loop() {
			execSliceGenericScalar[float32](operand, out, p)
		}
	})
}

func BenchmarkFerAdd(b *testing.B) {
	be := ferTestBackend(b)
	rng := rand.New(rand.NewPCG(2, 2))
	x := ferRandomBuffer(be, rng, ferBenchDims...)
	for _, c := range []struct {
		name string
		rhs  *gobackend.Buffer
	}{{"same-shape", ferRandomBuffer(be, rng, ferBenchDims...)}, {"bias", ferRandomBuffer(be, rng, 1, 1, 1, 64)}} {
		node := &gobackend.Node{OpType: compute.OpTypeAdd, Shape: shapes.Make(dtypes.Float32, ferBenchDims...)}
		fast := ferParallelBinary(true, execAddNumericGeneric[float32], execAdd)
		b.Run(c.name+"/patched", func(b *testing.B) {
			for b.Loop() {
				out, _ := fast(be, node, []*gobackend.Buffer{x, c.rhs}, []bool{false, false})
				be.PutBuffer(out)
			}
		})
		b.Run(c.name+"/upstream", func(b *testing.B) {
			for b.Loop() {
				out, _ := execAdd(be, node, []*gobackend.Buffer{x, c.rhs}, []bool{false, false})
				be.PutBuffer(out)
			}
		})
	}
}

func BenchmarkFerTranspose(b *testing.B) {
	be := ferTestBackend(b)
	rng := rand.New(rand.NewPCG(3, 3))
	operand := ferRandomBuffer(be, rng, ferBenchDims...)
	perm := []int{3, 1, 2, 0}
	out := be.NewBuffer(shapes.Make(dtypes.Float32, 64, 48, 48, 32))
	b.Run("patched", func(b *testing.B) {
		for b.Loop() {
			ferTranspose[float32](be, operand, out, NewTransposeIterator(operand.RawShape, perm))
		}
	})
	b.Run("upstream", func(b *testing.B) {
		for b.Loop() {
			execTransposeGeneric[float32](operand, out, NewTransposeIterator(operand.RawShape, perm))
		}
	})
}

func BenchmarkFerReduceSum(b *testing.B) {
	be := ferTestBackend(b)
	rng := rand.New(rand.NewPCG(4, 4))
	operand := ferRandomBuffer(be, rng, ferBenchDims...)
	axes := []int{0, 1, 2} // a bias gradient
	out := be.NewBuffer(shapes.Make(dtypes.Float32, 64))
	b.Run("patched", func(b *testing.B) {
		for b.Loop() {
			ferReduceSum(be, operand, out, axes)
		}
	})
	b.Run("upstream", func(b *testing.B) {
		for b.Loop() {
			_ = execReduceSumGeneric[float32](operand, out, NewReduceOutputIterator(ferBenchDims, axes), dtypes.Float32)
		}
	})
}
