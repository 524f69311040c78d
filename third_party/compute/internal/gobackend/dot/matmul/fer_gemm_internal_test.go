// fer-thesis patch: tests and benchmarks of fer_gemm.go against upstream's
// large kernel (AVX-512, or AVX2 on CPUs without it).

//go:build amd64 && goexperiment.simd

package matmul

import (
	"fmt"
	"math"
	"math/rand/v2"
	"simd/archsimd"
	"testing"
	"unsafe"

	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot"
)

func ferTestBackend(t testing.TB) *gobackend.Backend {
	t.Helper()
	if !FerGemmAvailable {
		t.Skip("neither AVX-512 nor AVX2 on this CPU")
	}
	b, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	return b.(*gobackend.Backend)
}

// ferUpstreamLarge is upstream's large kernel for this CPU: the one ferGemm
// replaces and must match bit for bit.
func ferUpstreamLarge(backend *gobackend.Backend, lhs, rhs []float32, batch, m, n, k int, out []float32) {
	if ferAVX512 {
		avx512LargeFloat32(backend, dot.LayoutNonTransposed, lhs, rhs, batch, m, n, k, out)
	} else {
		avx2LargeFloat32(backend, dot.LayoutNonTransposed, lhs, rhs, batch, m, n, k, out)
	}
}

func ferRandom(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// TestFerGemmMatchesUpstream checks ferGemm against upstream's large kernel bit
// for bit: shapes with row tails (m not a multiple of 6), several
// contracting panels with a partial last one, n from 64 to 256, batches, and
// the thesis CNNs' im2col shapes.
func TestFerGemmMatchesUpstream(t *testing.T) {
	backend := ferTestBackend(t)
	r := rand.New(rand.NewPCG(1, 2))
	type shape struct{ batch, m, k, n int }
	shapes := []shape{
		{1, 1, 1, 64}, {1, 5, 3, 64}, {1, 6, 128, 64}, {1, 7, 129, 64}, {1, 13, 300, 128},
		{3, 20, 257, 64}, {2, 11, 64, 128}, {1, 100, 9, 64},
		{1, 1000, 576, 64}, // fer-cnn's second convolution, a tenth of its rows
		{1, 387, 256, 64},  // an input-gradient tap of its third
		{1, 250, 1024, 128}, {1, 31, 700, 192}, {2, 17, 1000, 256},
		// Large rhs (more than ferGemmMaxRHS values): packed panels, or in
		// place for 64 columns; fer-cnn's kernel-gradient shapes, scaled down.
		{1, 9, 5000, 64}, {2, 7, 4500, 64}, {1, 64, 1700, 576}, {1, 33, 800, 2304}, {3, 5, 2100, 128},
	}
	for i := 0; i < 20; i++ {
		shapes = append(shapes, shape{1 + r.IntN(2), 1 + r.IntN(50), 1 + r.IntN(400), 64 * (1 + r.IntN(4))})
	}
	for _, s := range shapes {
		t.Run(fmt.Sprintf("%dx%dx%dx%d", s.batch, s.m, s.k, s.n), func(t *testing.T) {
			if !ferGemmApplies(s.n) {
				t.Fatalf("ferGemmApplies(%d) = false", s.n)
			}
			lhs, rhs := ferRandom(r, s.batch*s.m*s.k), ferRandom(r, s.batch*s.k*s.n)
			want := make([]float32, s.batch*s.m*s.n)
			got := make([]float32, len(want))
			for i := range got {
				got[i] = float32(math.NaN()) // must be overwritten
			}
			ferUpstreamLarge(backend, lhs, rhs, s.batch, s.m, s.n, s.k, want)
			ferGemm(backend, lhs, rhs, got, s.batch, s.m, s.n, s.k)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("output[%d] = %v, upstream's kernel gives %v", i, got[i], want[i])
				}
			}
		})
	}
	if ferGemmApplies(32) || ferGemmApplies(100) || ferGemmApplies(0) {
		t.Error("ferGemmApplies accepts a width it has no kernel for")
	}
}

// BenchmarkFerGemm compares ferGemm with upstream's packed kernel on the
// matmuls of fer-cnn's training step (batch 32).
func BenchmarkFerGemm(b *testing.B) {
	backend := ferTestBackend(b)
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range []struct {
		name    string
		m, k, n int
	}{
		{"conv1-forward", 73728, 9, 64},
		{"conv2-forward", 16928, 576, 64},
		{"conv2-dx-tap", 16928, 64, 64},
		{"conv3-dx-tap", 3872, 256, 64},
		{"conv3-forward", 3872, 576, 256},
		{"conv4-forward", 800, 2304, 256},
		{"conv1-dkernel", 9, 73728, 64},
		{"conv2-dkernel", 64, 16928, 576},
		{"conv4-dkernel", 256, 800, 2304},
		{"conv4-dx-tap", 800, 256, 256},
		{"mnist-conv1-forward", 21632, 9, 256},
	} {
		lhs, rhs := ferRandom(r, s.m*s.k), ferRandom(r, s.k*s.n)
		out := make([]float32, s.m*s.n)
		flops := 2 * float64(s.m) * float64(s.k) * float64(s.n)
		b.Run(s.name+"/upstream", func(b *testing.B) {
			for range b.N {
				ferUpstreamLarge(backend, lhs, rhs, 1, s.m, s.n, s.k, out)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(s.name+"/fer", func(b *testing.B) {
			for range b.N {
				ferGemm(backend, lhs, rhs, out, 1, s.m, s.n, s.k)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// archsimdAVX2FMA reports whether the CPU runs the AVX2 kernels.
func archsimdAVX2FMA() bool { return archsimd.X86.AVX2() && archsimd.X86.FMA() }

// TestFerGemmAsmMatchesGo checks the assembly AVX2 micro-kernel against its
// archsimd form, bit for bit: contracting lengths 0–130, rhs strides of 32
// and more columns, first and later panels (output written or added to),
// special values.
func TestFerGemmAsmMatchesGo(t *testing.T) {
	if !archsimdAVX2FMA() {
		t.Skip("no AVX2+FMA on this CPU")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for trial := range 400 {
		kLen := trial % 131
		cols := 32 + 8*r.IntN(12) // rhs row length, ≥ the 32 columns read
		l0, l1 := ferRandom(r, kLen+1), ferRandom(r, kLen+1)
		rhs := ferRandom(r, (kLen+1)*cols)
		if trial%7 == 0 && kLen > 0 {
			l0[r.IntN(kLen)] = float32(math.Inf(1))
			rhs[r.IntN(kLen*cols)] = float32(math.NaN())
			l1[r.IntN(kLen)] = float32(math.Copysign(0, -1))
		}
		first := trial%2 == 0
		init := ferRandom(r, 64)
		var outs [2][]float32
		for i, goKernel := range []bool{true, false} {
			o := append([]float32(nil), init...)
			ferGemmGoKernels = goKernel
			ferPanel2x32AVX2(unsafe.Pointer(&l0[0]), unsafe.Pointer(&l1[0]), unsafe.Pointer(&rhs[0]), uintptr(cols)*4, kLen,
				unsafe.Pointer(&o[0]), unsafe.Pointer(&o[32]), first)
			outs[i] = o
		}
		ferGemmGoKernels = false
		for i := range outs[0] {
			if math.Float32bits(outs[0][i]) != math.Float32bits(outs[1][i]) {
				t.Fatalf("trial %d (k %d, row length %d, first %v): output %d: assembly %g, Go %g", trial, kLen, cols, first, i, outs[1][i], outs[0][i])
			}
		}
	}
}

// BenchmarkFerPanel2x32AVX2 times the micro-kernel alone, in L1 (a 128×32
// panel), assembly against archsimd.
func BenchmarkFerPanel2x32AVX2(b *testing.B) {
	if !archsimdAVX2FMA() {
		b.Skip("no AVX2+FMA on this CPU")
	}
	r := rand.New(rand.NewPCG(1, 1))
	l0, l1, rhs, out := ferRandom(r, 128), ferRandom(r, 128), ferRandom(r, 128*64), make([]float32, 64)
	for _, goKernel := range []bool{false, true} {
		name := "asm"
		if goKernel {
			name = "go"
		}
		b.Run(name, func(b *testing.B) {
			ferGemmGoKernels = goKernel
			defer func() { ferGemmGoKernels = false }()
			for b.Loop() {
				ferPanel2x32AVX2(unsafe.Pointer(&l0[0]), unsafe.Pointer(&l1[0]), unsafe.Pointer(&rhs[0]), 64*4, 128,
					unsafe.Pointer(&out[0]), unsafe.Pointer(&out[32]), true)
			}
			b.ReportMetric(2*2*32*128*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
