// fer-thesis patch: tests and benchmarks of fer_kgrad.go.

//go:build amd64 && goexperiment.simd

package matmul

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// ferKGradReference is FerConvKernelGrad's sum computed directly in float64.
func ferKGradReference(x []float32, batch, h, w, cin int, dy []float32, outH, outW, cout, kh, kw, sh, sw, padH0, padW0 int) []float64 {
	dk := make([]float64, kh*kw*cin*cout)
	for i := range kh {
		for j := range kw {
			for c := range cin {
				for o := range cout {
					var sum float64
					for b := range batch {
						for oh := range outH {
							for ow := range outW {
								ih, iw := oh*sh+i-padH0, ow*sw+j-padW0
								if ih < 0 || ih >= h || iw < 0 || iw >= w {
									continue
								}
								sum += float64(x[((b*h+ih)*w+iw)*cin+c]) * float64(dy[((b*outH+oh)*outW+ow)*cout+o])
							}
						}
					}
					dk[((i*kw+j)*cin+c)*cout+o] = sum
				}
			}
		}
	}
	return dk
}

func TestFerConvKernelGrad(t *testing.T) {
	if !FerKGradAvailable {
		t.Skip("needs an AVX2 CPU without AVX-512")
	}
	backend := ferTestBackend(t)
	r := rand.New(rand.NewPCG(5, 6))
	type conv struct {
		batch, h, w, cin, kh, kw, cout, sh, sw int
		padH, padW                             [2]int
	}
	cases := []conv{
		{1, 5, 5, 2, 3, 3, 32, 1, 1, [2]int{1, 1}, [2]int{1, 1}},     // "same", smallest channels
		{2, 7, 6, 16, 3, 3, 64, 1, 1, [2]int{0, 0}, [2]int{0, 0}},    // "valid", non-square
		{3, 9, 9, 8, 2, 2, 96, 2, 2, [2]int{0, 1}, [2]int{0, 1}},     // stride 2, odd padding
		{1, 4, 4, 6, 5, 5, 32, 1, 1, [2]int{2, 2}, [2]int{2, 2}},     // kernel larger than most of the image
		{2, 9, 8, 4, 3, 3, 32, 2, 3, [2]int{1, 0}, [2]int{2, 1}},     // different strides and paddings per axis
		{4, 11, 11, 64, 3, 3, 256, 1, 1, [2]int{1, 1}, [2]int{1, 1}}, // fer-cnn's third convolution, 4 images
		{5, 23, 23, 64, 3, 3, 64, 1, 1, [2]int{1, 1}, [2]int{1, 1}},  // several pixel blocks
		{2, 1, 1, 10, 1, 1, 32, 1, 1, [2]int{}, [2]int{}},
		{1, 2, 2, 2, 3, 3, 32, 1, 1, [2]int{0, 0}, [2]int{0, 0}}, // no output pixels
		{2, 0, 3, 2, 1, 1, 32, 1, 1, [2]int{1, 1}, [2]int{0, 0}}, // an empty image: output pixels in the padding only
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			outH := max(0, (c.h+c.padH[0]+c.padH[1]-c.kh)/c.sh+1)
			outW := max(0, (c.w+c.padW[0]+c.padW[1]-c.kw)/c.sw+1)
			if c.h+c.padH[0]+c.padH[1] < c.kh {
				outH = 0
			}
			x := ferRandom(r, c.batch*c.h*c.w*c.cin)
			dy := ferRandom(r, c.batch*outH*outW*c.cout)
			got := make([]float32, c.kh*c.kw*c.cin*c.cout)
			for i := range got {
				got[i] = float32(math.NaN()) // must be overwritten
			}
			FerConvKernelGrad(backend, x, c.batch, c.h, c.w, c.cin, dy, outH, outW, c.cout, c.kh, c.kw, c.sh, c.sw, c.padH[0], c.padW[0], got)
			want := ferKGradReference(x, c.batch, c.h, c.w, c.cin, dy, outH, outW, c.cout, c.kh, c.kw, c.sh, c.sw, c.padH[0], c.padW[0])
			tol := 1e-5 * float64(max(1, c.batch*outH*outW))
			for i := range want {
				if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol) {
					t.Fatalf("dk[%d] = %v, want %v (difference %.3g > %.3g)", i, got[i], want[i], d, tol)
				}
			}
		})
	}
}

// BenchmarkFerConvKernelGrad times the kernel gradients of fer-cnn's second
// to fourth convolutions (batch 32, 3×3 "same") as FerConvKernelGrad and as
// the matmul dyᵀ·p the im2col lowering runs (p and dyᵀ already built: the
// im2col copy and the transposes are not counted).
func BenchmarkFerConvKernelGrad(b *testing.B) {
	if !FerKGradAvailable {
		b.Skip("needs an AVX2 CPU without AVX-512")
	}
	backend := ferTestBackend(b)
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name                string
		batch, h, cin, cout int
	}{{"conv2", 32, 23, 64, 64}, {"conv3", 32, 11, 64, 256}, {"conv4", 32, 5, 256, 256}} {
		n := c.batch * c.h * c.h
		x := ferRandom(r, n*c.cin)
		dy := ferRandom(r, n*c.cout)
		dk := make([]float32, 9*c.cin*c.cout)
		flops := 2 * float64(n) * float64(9*c.cin) * float64(c.cout)
		b.Run(c.name+"/direct", func(b *testing.B) {
			for range b.N {
				FerConvKernelGrad(backend, x, c.batch, c.h, c.h, c.cin, dy, c.h, c.h, c.cout, 3, 3, 1, 1, 1, 1, dk)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		dyT := ferRandom(r, n*c.cout)
		patches := ferRandom(r, n*9*c.cin)
		b.Run(c.name+"/patches-matmul", func(b *testing.B) {
			for range b.N {
				ferGemm(backend, dyT, patches, dk, 1, c.cout, 9*c.cin, n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
