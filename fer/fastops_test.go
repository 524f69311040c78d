package fer

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// withFastOps builds f with fastops.go's lowerings enabled or not (graphs are
// built synchronously inside Exec, so the switch only affects f).
func withFastOps[T any](on bool, f func() T) T {
	saved := fastOpsOff
	fastOpsOff = !on
	defer func() { fastOpsOff = saved }()
	return f()
}

// tiedTensor returns a tensor of small integers in [-levels, levels]: plenty
// of exact ties and exact zeros, to test tie rules.
func tiedTensor(rng *rand.Rand, dtype dtypes.DType, levels int, dims ...int) *tensors.Tensor {
	t := randomTensor(rng, dtype, dims...)
	f := flat64(t)
	for i := range f {
		f[i] = float64(rng.IntN(2*levels+1) - levels)
	}
	if dtype == dtypes.Float32 {
		f32 := make([]float32, len(f))
		for i, v := range f {
			f32[i] = float32(v)
		}
		return tensors.FromFlatDataAndDimensions(f32, dims...)
	}
	return tensors.FromFlatDataAndDimensions(f, dims...)
}

// TestReLUFast checks relu on the Go backend (Where) against GoMLX's
// activation.Relu (Max(x, 0)): same values, and the gradient v·(x > 0) —
// which is Max's gradient except at x == 0, where relu's derivative is 0 (as
// in Keras) and Max's is 1. The tied inputs have many exact zeros.
func TestReLUFast(t *testing.T) {
	backend := goBackendForTest(t)
	rng := rand.New(rand.NewPCG(21, 22))
	for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		for _, tied := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/tied=%v", dtype, tied), func(t *testing.T) {
				x := randomTensor(rng, dtype, 3, 5, 4, 6)
				if tied {
					x = tiedTensor(rng, dtype, 2, 3, 5, 4, 6)
				}
				r := randomTensor(rng, dtype, 3, 5, 4, 6)
				outs := MustNewExec(backend, func(x, r *Node) []*Node {
					var res []*Node
					for _, on := range []bool{false, true} {
						y := withFastOps(on, func() *Node { return relu(x) })
						res = append(res, y, Gradient(ReduceAllSum(Mul(y, r)), x)[0])
					}
					return res
				}).MustExec(x, r)
				if !slices.Equal(flat64(outs[2]), flat64(outs[0])) {
					t.Errorf("relu values differ from Max(x, 0)")
				}
				xs, rs, maxGrad, got := flat64(x), flat64(r), flat64(outs[1]), flat64(outs[3])
				for i := range xs {
					want := 0.0
					if xs[i] > 0 {
						want = rs[i]
					}
					if got[i] != want {
						t.Fatalf("relu gradient at x=%g: got %g, want %g", xs[i], got[i], want)
					}
					if xs[i] != 0 && got[i] != maxGrad[i] {
						t.Fatalf("relu gradient at x=%g: got %g, Max's is %g", xs[i], got[i], maxGrad[i])
					}
				}
			})
		}
	}
}

// TestReLUCommutesWithMaxPool checks what reluCommutesWithNext relies on:
// with the fast ops, relu(maxPool2D(x)) has the values and the gradient of
// maxPool2D(relu(x)), also with ties and exact zeros.
func TestReLUCommutesWithMaxPool(t *testing.T) {
	backend := goBackendForTest(t)
	rng := rand.New(rand.NewPCG(25, 26))
	for _, c := range maxPoolCases() {
		for _, tied := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/tied=%v", c, tied), func(t *testing.T) {
				x := randomTensor(rng, dtypes.Float64, 2, c.h, c.w, c.c)
				if tied {
					x = tiedTensor(rng, dtypes.Float64, 1, 2, c.h, c.w, c.c)
				}
				outs := MustNewExec(backend, func(x *Node) []*Node {
					pool := func(x *Node) *Node { return maxPool2D(x, c.window, c.stride, c.padding) }
					a := withFastOps(true, func() *Node { return pool(relu(x)) })
					b := withFastOps(true, func() *Node { return relu(pool(x)) })
					r := Sin(Add(IotaFull(x.Graph(), a.Shape()), ScalarOne(x.Graph(), a.DType())))
					return []*Node{a, b,
						Gradient(ReduceAllSum(Mul(a, r)), x)[0],
						Gradient(ReduceAllSum(Mul(b, r)), x)[0]}
				}).MustExec(x)
				if !slices.Equal(flat64(outs[1]), flat64(outs[0])) {
					t.Errorf("values differ")
				}
				assertClose(t, "gradient", flat64(outs[3]), flat64(outs[2]), 1e-12)
			})
		}
	}
}

// logitsAndGradients runs model m on x, with fastops.go's lowerings on or
// off, and returns its logits and the gradients of sum(logits²) with respect
// to every trainable weight, in the store's order.
func logitsAndGradients(t *testing.T, m *Model, x *tensors.Tensor, fast bool) []*tensors.Tensor {
	t.Helper()
	e, err := model.NewExec(m.backend, m.store, func(scope *model.Scope, x *Node) []*Node {
		return withFastOps(fast, func() []*Node {
			y := m.ModelFn()(scope, x)
			loss := ReduceAllSum(Mul(y, y))
			var wrt []*Node
			for v := range m.store.IterVariables() {
				if v.Trainable && v.InUseByGraph(x.Graph()) {
					wrt = append(wrt, v.NodeValue(x.Graph()))
				}
			}
			return append([]*Node{y}, Gradient(loss, wrt...)...)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Call(x)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestModelReLUAfterPool checks a model whose Conv2D(relu) → MaxPool2D pairs
// are built with the ReLU after the pool (reluCommutesWithNext) against the
// same model built with GoMLX's graphs (Max-based ReLU, pool.go's Max chain):
// logits and gradients of all weights, on continuous inputs (no exact zeros).
func TestModelReLUAfterPool(t *testing.T) {
	needBackend(t)
	m := mustSequential("relu-pool", Input(9, 9, 2),
		Conv2D{Filters: 3, Kernel: 2, Activation: ActReLU}, MaxPool2D{Pool: 2},
		Conv2D{Filters: 4, Kernel: 2, Padding: Same, Activation: ActReLU}, MaxPool2D{Pool: 3, Stride: 2},
		Flatten{}, Dense{Units: 3})
	if err := m.ensureBackend(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(27, 28))
	x := randomTensor(rng, dtypes.Float64, 4, 9, 9, 2)
	results := make(map[bool][]*tensors.Tensor)
	for _, on := range []bool{false, true} {
		results[on] = logitsAndGradients(t, m, x, on)
	}
	if len(results[true]) != 7 {
		t.Fatalf("got %d outputs, want logits and 6 gradients", len(results[true]))
	}
	for i := range results[true] {
		assertClose(t, fmt.Sprintf("output %d", i), flat64(results[true][i]), flat64(results[false][i]), 1e-12)
	}
}

// maxPoolCase is one max-pooling configuration under test.
type maxPoolCase struct {
	h, w, c, window, stride int
	padding                 Padding
}

func (c maxPoolCase) String() string {
	return fmt.Sprintf("%dx%dx%d_w%d_s%d_%s", c.h, c.w, c.c, c.window, c.stride, c.padding)
}

// maxPoolCases cover the models' pools (2/2 on even and odd sizes, 3/2 on
// even and odd sizes), overlapping and strided windows, and Same padding.
func maxPoolCases() []maxPoolCase {
	return []maxPoolCase{
		{8, 8, 3, 2, 2, Valid}, {7, 5, 2, 2, 2, Valid}, {3, 3, 4, 2, 2, Valid},
		{10, 9, 3, 3, 2, Valid}, {11, 11, 2, 3, 2, Valid}, {5, 6, 2, 3, 2, Valid},
		{6, 7, 2, 3, 1, Valid}, {9, 8, 2, 2, 3, Valid}, {7, 7, 2, 3, 3, Valid},
		{5, 7, 2, 2, 2, Same}, {7, 6, 2, 3, 2, Same},
	}
}

// TestMaxPoolFastMatchesReference checks maxPool2DFast (the Go backend's
// lowering of maxPool2D) against pool.go's chain of Max and, for Valid
// padding and continuous inputs (no ties), against GoMLX's MaxPool
// (ReduceWindow; its gradient is SelectAndScatter): values and gradients.
// With ties (small integer inputs) the fast path must route the gradient as
// the Max chain does (up to the order of additions where windows overlap):
// it goes to the first maximum of each window in row-major
// order.
//
// On the patched backend (nativeMaxPool) float32 pools are GoMLX's MaxPool
// themselves; they are checked both ways (twoPass: the 1D passes).
func TestMaxPoolFastMatchesReference(t *testing.T) {
	backend := goBackendForTest(t)
	rng := rand.New(rand.NewPCG(23, 24))
	defer func(saved bool) { nativeMaxPoolOff = saved }(nativeMaxPoolOff)
	for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		for _, c := range maxPoolCases() {
			for _, v := range []struct{ tied, twoPass bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
				tied := v.tied
				nativeMaxPoolOff = v.twoPass
				if v.twoPass && dtype == dtypes.Float64 {
					continue // float64 always takes the two passes
				}
				t.Run(fmt.Sprintf("%s/%s/tied=%v/twoPass=%v", dtype, c, tied, v.twoPass), func(t *testing.T) {
					const batch = 2
					x := randomTensor(rng, dtype, batch, c.h, c.w, c.c)
					if tied {
						x = tiedTensor(rng, dtype, 1, batch, c.h, c.w, c.c)
					}
					oh := (c.h-c.window)/c.stride + 1
					ow := (c.w-c.window)/c.stride + 1
					if c.padding == Same {
						oh, ow = (c.h+c.stride-1)/c.stride, (c.w+c.stride-1)/c.stride
					}
					r := randomTensor(rng, dtype, batch, oh, ow, c.c)
					native := c.padding == Valid && !tied
					outs := MustNewExec(backend, func(x, r *Node) []*Node {
						var res []*Node
						for _, on := range []bool{false, true} {
							y := withFastOps(on, func() *Node { return maxPool2D(x, c.window, c.stride, c.padding) })
							res = append(res, y, Gradient(ReduceAllSum(Mul(y, r)), x)[0])
						}
						if native {
							y := MaxPool(x).Window(c.window).Strides(c.stride).NoPadding().Done()
							res = append(res, y, Gradient(ReduceAllSum(Mul(y, r)), x)[0])
						}
						return res
					}).MustExec(x, r)
					if !slices.Equal(flat64(outs[2]), flat64(outs[0])) {
						t.Errorf("values differ from the Max chain")
					}
					// Overlapping windows add their shares in another order.
					assertClose(t, "gradient vs the Max chain", flat64(outs[3]), flat64(outs[1]), convTolerance(dtype))
					if native {
						if !slices.Equal(flat64(outs[2]), flat64(outs[4])) {
							t.Errorf("values differ from GoMLX's MaxPool")
						}
						assertClose(t, "gradient vs MaxPool", flat64(outs[3]), flat64(outs[5]), convTolerance(dtype))
					}
				})
			}
		}
	}
}

// BenchmarkReLUMaxPool measures ReLU followed by the max-pool, forward and
// backward, at the shapes of the first conv block of mnist-cnn
// ([32, 26, 26, 256], pool 2/2) and fer-cnn ([32, 48, 48, 64], pool 3/2),
// with GoMLX's graphs ("max": Max-based ReLU, pool.go's Max chain) and with
// fastops.go ("fast": ReLU after the pool, as the models build it).
//
//	GOEXPERIMENT=simd GOMAXPROCS=1 go test ./fer -run '^$' -bench ReLUMaxPool -benchtime 10x
func BenchmarkReLUMaxPool(b *testing.B) {
	backend := goBackendForTest(b)
	for _, c := range []struct {
		name           string
		dims           []int
		window, stride int
	}{
		{"mnist-cnn-block1", []int{convBenchBatch, 26, 26, 256}, 2, 2},
		{"fer-cnn-block1", []int{convBenchBatch, 48, 48, 64}, 3, 2},
	} {
		for _, on := range []bool{false, true} {
			name := c.name + "/max"
			if on {
				name = c.name + "/fast"
			}
			b.Run(name, func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 2))
				x := randomTensor(rng, dtypes.Float32, c.dims...)
				e := MustNewExec(backend, func(x *Node) *Node {
					return withFastOps(on, func() *Node {
						var y *Node
						if on {
							y = relu(maxPool2D(x, c.window, c.stride, Valid))
						} else {
							y = maxPool2D(relu(x), c.window, c.stride, Valid)
						}
						return Gradient(ReduceAllSum(y), x)[0]
					})
				})
				runExecBenchmark(b, e, x)
			})
		}
	}
}

// TestFERVGGMatchesReferenceOps checks chapter 9's fer-vgg, the one model
// whose shapes no other test builds (two convolutions per block, 2×2 pools
// on 32–256 channels), in float32 with every fast path of the pure-Go
// backend (implicit convolutions and kernel gradients, the single-channel
// first layer, the patched max-pool, ReLU after the pool) against the same
// model on GoMLX's own Convolve and graph ops: logits and the gradients of
// all weights, in inference mode (no dropout).
func TestFERVGGMatchesReferenceOps(t *testing.T) {
	needBackend(t)
	m := FERVGG()
	if err := m.ensureBackend(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(29, 30))
	x := tensors.FromShape(shapes.Make(dtypes.Float32, 2, 48, 48, 1))
	tensors.MutableFlatData(x, func(v []float32) {
		for i := range v {
			v[i] = float32(rng.IntN(256)) + rng.Float32()
		}
	})
	results := make(map[bool][]*tensors.Tensor)
	defer func(saved convLowering) { convLoweringOverride = saved }(convLoweringOverride)
	for _, fast := range []bool{false, true} {
		convLoweringOverride = lowerNative
		if fast {
			convLoweringOverride = lowerAuto
		}
		results[fast] = logitsAndGradients(t, m, x, fast)
	}
	// Logits, then 7 convolutions' and 7 BatchNorms' 2 weights each, and
	// the 2 dense layers'.
	if n := len(results[true]); n != 1+2*7+2*7+2*2 {
		t.Fatalf("got %d outputs, want logits and 32 gradients", n)
	}
	identical := 0
	for i := range results[true] {
		assertClose(t, fmt.Sprintf("output %d", i), flat64(results[true][i]), flat64(results[false][i]), 1e-4)
		if slices.Equal(flat64(results[true][i]), flat64(results[false][i])) {
			identical++
		}
	}
	// The two lowerings sum in different orders: outputs that agree to the
	// bit everywhere would mean both sides took the same path.
	if identical == len(results[true]) {
		t.Errorf("all %d outputs identical: the fast paths were not taken", identical)
	}
	t.Logf("%d of %d outputs bit-identical", identical, len(results[true]))
}
