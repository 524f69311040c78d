// fer-thesis patch: tests and benchmarks of fer_conv.go.

//go:build amd64 && goexperiment.simd

package matmul

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// ferConvReference is the convolution of FerConv2D computed directly in
// float64.
func ferConvReference(x []float32, batch, h, w, cin int, k []float32, kh, kw, cout, sh, sw int, padH, padW [2]int, outH, outW int) []float64 {
	out := make([]float64, batch*outH*outW*cout)
	for b := range batch {
		for oh := range outH {
			for ow := range outW {
				for o := range cout {
					var sum float64
					for i := range kh {
						for j := range kw {
							ih, iw := oh*sh+i-padH[0], ow*sw+j-padW[0]
							if ih < 0 || ih >= h || iw < 0 || iw >= w {
								continue
							}
							for c := range cin {
								sum += float64(x[((b*h+ih)*w+iw)*cin+c]) * float64(k[((i*kw+j)*cin+c)*cout+o])
							}
						}
					}
					out[((b*outH+oh)*outW+ow)*cout+o] = sum
				}
			}
		}
	}
	return out
}

func TestFerConv2D(t *testing.T) {
	backend := ferTestBackend(t)
	r := rand.New(rand.NewPCG(3, 4))
	type conv struct {
		batch, h, w, cin, kh, kw, cout, sh, sw int
		padH, padW                             [2]int
	}
	cases := []conv{
		{1, 5, 5, 3, 3, 3, 64, 1, 1, [2]int{1, 1}, [2]int{1, 1}},   // "same"
		{2, 7, 6, 16, 3, 3, 128, 1, 1, [2]int{0, 0}, [2]int{0, 0}}, // "valid"
		{3, 9, 9, 8, 2, 2, 64, 2, 2, [2]int{0, 1}, [2]int{0, 1}},   // stride 2, odd padding
		{1, 4, 4, 5, 5, 5, 64, 1, 1, [2]int{2, 2}, [2]int{2, 2}},   // kernel larger than most of the image
		{1, 3, 3, 64, 3, 3, 192, 1, 1, [2]int{1, 1}, [2]int{1, 1}}, // odd number of pixels
		{4, 11, 11, 64, 3, 3, 256, 1, 1, [2]int{1, 1}, [2]int{1, 1}},
		{2, 1, 1, 7, 1, 1, 64, 1, 1, [2]int{}, [2]int{}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			outH := (c.h+c.padH[0]+c.padH[1]-c.kh)/c.sh + 1
			outW := (c.w+c.padW[0]+c.padW[1]-c.kw)/c.sw + 1
			x := ferRandom(r, c.batch*c.h*c.w*c.cin)
			k := ferRandom(r, c.kh*c.kw*c.cin*c.cout)
			got := make([]float32, c.batch*outH*outW*c.cout)
			for i := range got {
				got[i] = float32(math.NaN())
			}
			FerConv2D(backend, x, c.batch, c.h, c.w, c.cin, k, c.kh, c.kw, c.cout, c.sh, c.sw, c.padH, c.padW, got, outH, outW)
			want := ferConvReference(x, c.batch, c.h, c.w, c.cin, k, c.kh, c.kw, c.cout, c.sh, c.sw, c.padH, c.padW, outH, outW)
			// Each output sums kh·kw·cin products of N(0,1) values: float32
			// rounding is about 1e-7 · that many terms · their size.
			tol := 1e-5 * float64(c.kh*c.kw*c.cin)
			for i := range want {
				if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol) {
					t.Fatalf("out[%d] = %v, want %v (difference %.3g > %.3g)", i, got[i], want[i], d, tol)
				}
			}
		})
	}
}

// BenchmarkFerConv2D times fer-cnn's second convolution (batch 32, 23×23×64
// → 64, 3×3 "same") as FerConv2D and as the matmul of its im2col patches
// (the patches already built: the im2col copy itself is not counted).
func BenchmarkFerConv2D(b *testing.B) {
	backend := ferTestBackend(b)
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name                string
		batch, h, cin, cout int
	}{{"conv2", 32, 23, 64, 64}, {"conv3", 32, 11, 64, 256}, {"conv4", 32, 5, 256, 256}} {
		x := ferRandom(r, c.batch*c.h*c.h*c.cin)
		k := ferRandom(r, 9*c.cin*c.cout)
		out := make([]float32, c.batch*c.h*c.h*c.cout)
		flops := 2 * float64(c.batch*c.h*c.h) * float64(9*c.cin) * float64(c.cout)
		b.Run(c.name+"/implicit", func(b *testing.B) {
			for range b.N {
				FerConv2D(backend, x, c.batch, c.h, c.h, c.cin, k, 3, 3, c.cout, 1, 1, [2]int{1, 1}, [2]int{1, 1}, out, c.h, c.h)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		patches := ferRandom(r, c.batch*c.h*c.h*9*c.cin)
		b.Run(c.name+"/patches-matmul", func(b *testing.B) {
			for range b.N {
				ferGemm(backend, patches, k, out, 1, c.batch*c.h*c.h, c.cout, 9*c.cin)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
