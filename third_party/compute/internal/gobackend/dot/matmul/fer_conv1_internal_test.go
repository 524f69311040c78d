// fer-thesis patch: tests of fer_conv1.go.

//go:build amd64 && goexperiment.simd

package matmul

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

type ferConv1Case struct {
	batch, h, w, kh, kw, cout, sh, sw int
	padH, padW                        [2]int
}

func ferConv1Cases() []ferConv1Case {
	return []ferConv1Case{
		{2, 6, 5, 3, 3, 64, 1, 1, [2]int{1, 1}, [2]int{1, 1}},   // "same"
		{3, 7, 7, 3, 3, 32, 1, 1, [2]int{0, 0}, [2]int{0, 0}},   // "valid", an odd number of pixels
		{2, 9, 8, 2, 2, 96, 2, 2, [2]int{0, 1}, [2]int{0, 1}},   // stride 2, even kernel, 4 taps
		{1, 5, 7, 5, 5, 32, 1, 2, [2]int{2, 2}, [2]int{1, 3}},   // per-axis strides and paddings, 25 taps
		{4, 13, 12, 3, 3, 64, 1, 1, [2]int{1, 1}, [2]int{1, 1}}, // several pixel blocks
		{1, 0, 4, 1, 1, 32, 1, 1, [2]int{1, 0}, [2]int{0, 0}},   // an empty image: padding only
	}
}

func (c ferConv1Case) out() (int, int) {
	return (c.h+c.padH[0]+c.padH[1]-c.kh)/c.sh + 1, (c.w+c.padW[0]+c.padW[1]-c.kw)/c.sw + 1
}

// TestFerConv2D1 checks the single-channel forward path against a float64
// convolution and, bit for bit, against ferGemm on the im2col matrix.
func TestFerConv2D1(t *testing.T) {
	if !FerKGradAvailable {
		t.Skip("needs an AVX2 CPU without AVX-512")
	}
	backend := ferTestBackend(t)
	r := rand.New(rand.NewPCG(7, 8))
	for _, c := range ferConv1Cases() {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			outH, outW := c.out()
			x := ferRandom(r, c.batch*c.h*c.w)
			k := ferRandom(r, c.kh*c.kw*c.cout)
			got := make([]float32, c.batch*outH*outW*c.cout)
			for i := range got {
				got[i] = float32(math.NaN())
			}
			FerConv2D1(backend, x, c.batch, c.h, c.w, k, c.kh, c.kw, c.cout, c.sh, c.sw, c.padH, c.padW, got, outH, outW)
			want := ferConvReference(x, c.batch, c.h, c.w, 1, k, c.kh, c.kw, c.cout, c.sh, c.sw, c.padH, c.padW, outH, outW)
			for i := range want {
				if d := math.Abs(float64(got[i]) - want[i]); !(d <= 1e-5*float64(c.kh*c.kw)) {
					t.Fatalf("out[%d] = %v, want %v", i, got[i], want[i])
				}
			}
			if c.cout%64 != 0 {
				return
			}
			patches := ferPatches1(x, c, outH, outW)
			gemm := make([]float32, len(got))
			ferGemm(backend, patches, k, gemm, 1, c.batch*outH*outW, c.cout, c.kh*c.kw)
			for i := range gemm {
				if math.Float32bits(gemm[i]) != math.Float32bits(got[i]) {
					t.Fatalf("out[%d] = %v, the im2col product through ferGemm %v", i, got[i], gemm[i])
				}
			}
		})
	}
}

// TestFerConvKernelGrad1 checks the single-channel kernel gradient against
// a float64 sum and, bit for bit, against ferGemm on the transposed im2col
// matrix (pᵀ·dy).
func TestFerConvKernelGrad1(t *testing.T) {
	if !FerKGradAvailable {
		t.Skip("needs an AVX2 CPU without AVX-512")
	}
	backend := ferTestBackend(t)
	r := rand.New(rand.NewPCG(9, 10))
	for _, c := range ferConv1Cases() {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			outH, outW := c.out()
			x := ferRandom(r, c.batch*c.h*c.w)
			dy := ferRandom(r, c.batch*outH*outW*c.cout)
			got := make([]float32, c.kh*c.kw*c.cout)
			for i := range got {
				got[i] = float32(math.NaN())
			}
			FerConvKernelGrad1(backend, x, c.batch, c.h, c.w, dy, outH, outW, c.cout, c.kh, c.kw, c.sh, c.sw, c.padH[0], c.padW[0], got)
			want := ferKGradReference(x, c.batch, c.h, c.w, 1, dy, outH, outW, c.cout, c.kh, c.kw, c.sh, c.sw, c.padH[0], c.padW[0])
			tol := 1e-5 * float64(max(1, c.batch*outH*outW))
			for i := range want {
				if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol) {
					t.Fatalf("dk[%d] = %v, want %v", i, got[i], want[i])
				}
			}
			if c.cout%64 != 0 || c.batch*outH*outW == 0 {
				return
			}
			n, taps := c.batch*outH*outW, c.kh*c.kw
			patches := ferPatches1(x, c, outH, outW)
			pT := make([]float32, len(patches))
			for p := range n {
				for tp := range taps {
					pT[tp*n+p] = patches[p*taps+tp]
				}
			}
			gemm := make([]float32, len(got))
			ferGemm(backend, pT, dy, gemm, 1, taps, c.cout, n)
			for i := range gemm {
				if math.Float32bits(gemm[i]) != math.Float32bits(got[i]) {
					t.Fatalf("dk[%d] = %v, pᵀ·dy through ferGemm %v", i, got[i], gemm[i])
				}
			}
		})
	}
}

// ferPatches1 is the im2col matrix [pixels, kh·kw] of a single-channel image.
func ferPatches1(x []float32, c ferConv1Case, outH, outW int) []float32 {
	taps := c.kh * c.kw
	p := make([]float32, c.batch*outH*outW*taps)
	for b := range c.batch {
		for oh := range outH {
			for ow := range outW {
				row := ((b*outH+oh)*outW + ow) * taps
				for i := range c.kh {
					for j := range c.kw {
						ih, iw := oh*c.sh+i-c.padH[0], ow*c.sw+j-c.padW[0]
						if ih >= 0 && ih < c.h && iw >= 0 && iw < c.w {
							p[row+i*c.kw+j] = x[(b*c.h+ih)*c.w+iw]
						}
					}
				}
			}
		}
	}
	return p
}
