// fer-thesis patch: tests of the word-at-a-time RNGBitGenerator and of the
// vector form of ferReduceSum's leading-axes sum.

package ops

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
)

// TestFerRNGBitsMatchUpstream compares RNGBitGenerator's bytes and new
// state with upstream's byte-by-byte loop, for outputs of every length
// modulo 8.
func TestFerRNGBitsMatchUpstream(t *testing.T) {
	b := ferTestBackend(t)
	for _, n := range []int{0, 1, 3, 7, 8, 9, 15, 16, 17, 63, 1000, 1 << 16} {
		state := b.NewBuffer(compute.RNGStateShape)
		copy(state.Flat.([]uint64), []uint64{0x1234 + uint64(n), 0x9abc, 0})
		want0, want1 := state.Flat.([]uint64)[0], state.Flat.([]uint64)[1]
		node := &gobackend.Node{OpType: compute.OpTypeRNGBitGenerator,
			MultiOutputsShapes: []shapes.Shape{compute.RNGStateShape, shapes.Make(dtypes.Uint8, n)}}
		outs, err := execRNGBitGenerator(b, node, []*gobackend.Buffer{state}, []bool{false})
		if err != nil {
			t.Fatal(err)
		}
		// Upstream's loop.
		rng := rand.NewPCG(want0, want1)
		want := make([]byte, n)
		var bits uint64
		for i := range want {
			if i%8 == 0 {
				bits = rng.Uint64()
			}
			want[i] = byte(bits & 0xFF)
			bits >>= 8
		}
		got, _ := outs[1].MutableBytes()
		if !slices.Equal(got, want) {
			t.Fatalf("%d bytes: differ from upstream's loop", n)
		}
		// The new state is upstream's: its PCG after the draws, marshalled
		// and read back as upstream does.
		m, err := rng.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if a, c := outs[0].Flat.([]uint64)[0], outs[0].Flat.([]uint64)[1]; a != binary.LittleEndian.Uint64(m[4:12]) || c != binary.LittleEndian.Uint64(m[12:20]) {
			t.Fatalf("%d bytes: new state %x %x differs from upstream's", n, a, c)
		}
	}
}

// TestFerSumRowsMatchesScalar compares the selected ferSumRows (the AVX2
// form in a GOEXPERIMENT=simd build on an AVX2 CPU) with the scalar loop,
// bit for bit, on widths around the 8- and 64-column blocks.
func TestFerSumRowsMatchesScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, period := range []int{1, 7, 8, 9, 63, 64, 65, 130, 256, 576} {
		for _, rows := range []int{1, 2, 37} {
			in := make([]float32, rows*period)
			for i := range in {
				in[i] = (rng.Float32() - 0.5) * 1000
			}
			for _, start := range []int{0, period / 3} {
				n := period - start
				got, want := make([]float32, n), make([]float32, n)
				ferSumRows(got, in, rows, period, start)
				ferSumRowsScalar(want, in, rows, period, start)
				if !slices.Equal(got, want) {
					t.Fatalf("period %d, rows %d, start %d: differs from the scalar loop", period, rows, start)
				}
			}
		}
	}
}
