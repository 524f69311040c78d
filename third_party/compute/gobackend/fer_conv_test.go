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
