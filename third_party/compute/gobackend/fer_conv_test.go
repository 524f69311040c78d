// fer-thesis patch: ConvGeneral through the backend's public API, on the
// layouts that the patched executor (internal/gobackend/ops/fer_conv_amd64.go)
// takes and on one it leaves to upstream's loop.

package gobackend

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/support/testutil"
)

// ferConv2DReference is a float64 NHWC/HWIO convolution.
func ferConv2DReference(x []float32, batch, h, w, cin int, k []float32, kh, kw, cout, s int, padH, padW [2]int, outH, outW int) []float64 {
	out := make([]float64, batch*outH*outW*cout)
	for b := range batch {
		for oh := range outH {
			for ow := range outW {
				for o := range cout {
					var sum float64
					for i := range kh {
						for j := range kw {
							ih, iw := oh*s+i-padH[0], ow*s+j-padW[0]
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

func TestFerConvGeneralNHWC(t *testing.T) {
	backend, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Finalize()
	nhwc := compute.ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
		KernelInputChannels: 2, KernelOutputChannels: 3, KernelSpatial: []int{0, 1},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		batch, h, w, cin, kh, kw, cout, stride int
		padH, padW                             [2]int
	}{
		{2, 6, 5, 3, 3, 3, 64, 1, [2]int{1, 1}, [2]int{1, 1}},   // the fast path
		{1, 7, 7, 16, 2, 2, 128, 2, [2]int{0, 1}, [2]int{0, 1}}, // the fast path, stride 2
		{3, 5, 5, 64, 3, 3, 192, 1, [2]int{0, 0}, [2]int{0, 0}}, // the fast path, valid
		{2, 5, 5, 4, 3, 3, 10, 1, [2]int{1, 1}, [2]int{1, 1}},   // cout not a multiple of 64: upstream's loop
	} {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			outH := (c.h+c.padH[0]+c.padH[1]-c.kh)/c.stride + 1
			outW := (c.w+c.padW[0]+c.padW[1]-c.kw)/c.stride + 1
			x := make([]float32, c.batch*c.h*c.w*c.cin)
			k := make([]float32, c.kh*c.kw*c.cin*c.cout)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			for i := range k {
				k[i] = float32(r.NormFloat64())
			}
			got, err := testutil.Exec1(backend, nil, func(f compute.Function, _ []compute.Value) (compute.Value, error) {
				xv, err := f.Constant(x, c.batch, c.h, c.w, c.cin)
				if err != nil {
					return nil, err
				}
				kv, err := f.Constant(k, c.kh, c.kw, c.cin, c.cout)
				if err != nil {
					return nil, err
				}
				y, err := f.ConvGeneral(xv, kv, nhwc, []int{c.stride, c.stride}, [][2]int{c.padH, c.padW}, nil, nil, 1, 1)
				if err != nil {
					return nil, err
				}
				y, err = f.ConvertDType(y, dtypes.Float64)
				if err != nil {
					return nil, err
				}
				return f.Reshape(y, c.batch*outH*outW*c.cout)
			})
			if err != nil {
				t.Fatal(err)
			}
			want := ferConv2DReference(x, c.batch, c.h, c.w, c.cin, k, c.kh, c.kw, c.cout, c.stride, c.padH, c.padW, outH, outW)
			flat := got.([]float64)
			if len(flat) != len(want) {
				t.Fatalf("got %d values, want %d", len(flat), len(want))
			}
			tol := 1e-5 * float64(c.kh*c.kw*c.cin)
			for i := range want {
				if d := math.Abs(flat[i] - want[i]); !(d <= tol) {
					t.Fatalf("output[%d] = %v, want %v", i, flat[i], want[i])
				}
			}
		})
	}
}

// TestFerConvGeneralKernelGradNHWC runs, through the public ConvGeneral, the
// kernel gradient of NHWC convolutions in the layout the patched executor
// computes with FerConvKernelGrad (x's channels as the batch axis, its batch
// as the channel axis, dy as the kernel, the forward stride as a kernel
// dilation), against a float64 sum; and, with an odd number of input
// channels, the same layout on upstream's loop, which checks that the layout
// means what the fast path computes.
func TestFerConvGeneralKernelGradNHWC(t *testing.T) {
	backend, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Finalize()
	kgrad := compute.ConvolveAxesConfig{
		InputBatch: 3, InputChannels: 0, InputSpatial: []int{1, 2},
		KernelInputChannels: 0, KernelOutputChannels: 3, KernelSpatial: []int{1, 2},
		OutputBatch: 2, OutputChannels: 3, OutputSpatial: []int{0, 1},
	}
	r := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct {
		batch, h, w, cin, kh, kw, cout, stride int
		padH, padW                             [2]int
	}{
		{2, 6, 5, 4, 3, 3, 64, 1, [2]int{1, 1}, [2]int{1, 1}},  // "same"
		{3, 7, 7, 16, 2, 2, 32, 2, [2]int{0, 1}, [2]int{0, 1}}, // stride 2
		{2, 5, 6, 8, 3, 3, 96, 1, [2]int{0, 0}, [2]int{0, 0}},  // "valid"
		{2, 5, 5, 3, 3, 3, 32, 1, [2]int{1, 1}, [2]int{1, 1}},  // odd cin: upstream's loop
		{2, 7, 7, 3, 3, 3, 32, 2, [2]int{1, 1}, [2]int{1, 1}},  // odd cin, stride 2: upstream's loop
	} {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			outH := (c.h+c.padH[0]+c.padH[1]-c.kh)/c.stride + 1
			outW := (c.w+c.padW[0]+c.padW[1]-c.kw)/c.stride + 1
			// The trailing padding that makes the output kh×kw when the
			// stride does not divide the padded size.
			padH := [2]int{c.padH[0], c.kh + (outH-1)*c.stride - c.h - c.padH[0]}
			padW := [2]int{c.padW[0], c.kw + (outW-1)*c.stride - c.w - c.padW[0]}
			x := make([]float32, c.batch*c.h*c.w*c.cin)
			dy := make([]float32, c.batch*outH*outW*c.cout)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			for i := range dy {
				dy[i] = float32(r.NormFloat64())
			}
			got, err := testutil.Exec1(backend, nil, func(f compute.Function, _ []compute.Value) (compute.Value, error) {
				xv, err := f.Constant(x, c.batch, c.h, c.w, c.cin)
				if err != nil {
					return nil, err
				}
				dyv, err := f.Constant(dy, c.batch, outH, outW, c.cout)
				if err != nil {
					return nil, err
				}
				dk, err := f.ConvGeneral(xv, dyv, kgrad, []int{1, 1}, [][2]int{padH, padW}, nil, []int{c.stride, c.stride}, 1, 1)
				if err != nil {
					return nil, err
				}
				dk, err = f.ConvertDType(dk, dtypes.Float64)
				if err != nil {
					return nil, err
				}
				return f.Reshape(dk, c.kh*c.kw*c.cin*c.cout)
			})
			if err != nil {
				t.Fatal(err)
			}
			flat := got.([]float64)
			if len(flat) != c.kh*c.kw*c.cin*c.cout {
				t.Fatalf("got %d values, want %d", len(flat), c.kh*c.kw*c.cin*c.cout)
			}
			tol := 1e-5 * float64(c.batch*outH*outW)
			for i := range c.kh {
				for j := range c.kw {
					for ci := range c.cin {
						for o := range c.cout {
							var want float64
							for b := range c.batch {
								for oh := range outH {
									for ow := range outW {
										ih, iw := oh*c.stride+i-c.padH[0], ow*c.stride+j-c.padW[0]
										if ih < 0 || ih >= c.h || iw < 0 || iw >= c.w {
											continue
										}
										want += float64(x[((b*c.h+ih)*c.w+iw)*c.cin+ci]) * float64(dy[((b*outH+oh)*outW+ow)*c.cout+o])
									}
								}
							}
							idx := ((i*c.kw+j)*c.cin+ci)*c.cout + o
							if d := math.Abs(flat[idx] - want); !(d <= tol) {
								t.Fatalf("dk[%d, %d, %d, %d] = %v, want %v", i, j, ci, o, flat[idx], want)
							}
						}
					}
				}
			}
		})
	}
}
