package fer

import (
	"os"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/support/exceptions"
)

// This file holds the ReLU and max-pooling lowerings used on the pure-Go
// backend. GoMLX builds the gradient of Max(a, b) as
// v·NonNegativeIndicator(a-b) = v·Sign(Sign(a-b)+1) (and v·(1-that) for b):
// five to seven element-wise passes, two of them through the Go backend's
// Sign, a branchy scalar loop. ReLU is Max(x, 0) and the max-pool of pool.go
// is a chain of Max, so before this file about a sixth of a training step of
// the thesis's CNNs went to Sign alone (see BENCHMARKS.md).
//
// On other backends (XLA) GoMLX's own ops are kept: XLA fuses them.

// FastOpsEnv names the environment variable that, set to "off", makes relu
// and maxPool2D use GoMLX's Max-based graphs on the pure-Go backend too: for
// benchmarking before/after with one binary, and for checking results.
const FastOpsEnv = "FER_FASTOPS"

// fastOpsOff, when true, disables this file's lowerings (tests set it to
// compare with GoMLX's graphs); it is set at start-up from $FER_FASTOPS.
var fastOpsOff = os.Getenv(FastOpsEnv) == "off"

// useFastOps reports whether x's graph gets this file's lowerings: on the
// pure-Go backend, unless fastOpsOff.
func useFastOps(x *Node) bool { return !fastOpsOff && isGoBackend(x.Graph().Backend()) }

// relu returns max(x, 0). On the pure-Go backend it is built as
// Where(x > 0, x, 0), whose gradient is a single Where; elsewhere it is
// GoMLX's activation.Relu (Max(x, 0)).
//
// The values are the same (NaN gives 0 here; -0 gives 0). The derivative at
// exactly 0 is 0, as in Keras/TensorFlow (ReluGrad: gradient·(x > 0)) and
// PyTorch, while GoMLX's Max passes the gradient to its first operand on
// ties (derivative 1 at 0). That only matters for pre-activations that are
// exactly zero (e.g. the first step of a network whose biases start at zero,
// on all-zero patches), and it is what makes moving a ReLU after the
// max-pool that follows it exact (see reluCommutesWithNext).
func relu(x *Node) *Node {
	if !useFastOps(x) {
		return activation.Relu(x)
	}
	zero := ScalarZero(x.Graph(), x.DType())
	return Where(GreaterThan(x, zero), x, zero)
}

// nativeMaxPoolMarker is what the patched Go backend's Description says when
// its ReduceWindow (max) and SelectAndScatterMax run float32 NHWC max-pools
// with a fast path (third_party/compute: gobackend.FerMaxPoolMarker, any CPU
// and build). Upstream's executors of those two ops are per-element index
// loops, about 50 times slower each on fer-cnn's first pooling layer
// (BENCHMARKS.md, session 16).
const nativeMaxPoolMarker = "fer-thesis maxpool"

// nativeMaxPool reports whether maxPool2D on x's graph lowers to GoMLX's own
// MaxPool (ReduceWindow, whose gradient is SelectAndScatterMax) on the
// pure-Go backend: when the backend has the fast path for them and x is
// float32. $FER_FASTOPS=off turns it off with the other lowerings of this
// file.
func nativeMaxPool(x *Node) bool {
	b := x.Graph().Backend()
	return !nativeMaxPoolOff && x.DType() == dtypes.Float32 && strings.Contains(b.Description(), nativeMaxPoolMarker)
}

// nativeMaxPoolOff makes maxPool2DFast use its two 1D passes even where
// nativeMaxPool would hold (tests of both lowerings).
var nativeMaxPoolOff bool

// maxPool2DFast is the pure-Go backend's lowering of maxPool2D for an
// unpadded x, shaped [batch, height, width, channels]. With the patched
// backend's fast ReduceWindow (nativeMaxPool) it is GoMLX's MaxPool: one
// pass forward, one SelectAndScatterMax backward, the gradient going to the
// first maximum of each window in row-major order. Otherwise the window×window max
// is taken as a max over window rows of a max over window columns (two 1D
// max-pools, maxPoolAxis), each with a hand-written gradient.
//
// The values are those of the direct window² maximum (max is exact). The
// gradient goes, as in pool.go's Max chain, to the first maximum of each
// window in row-major order: the column pass picks the first maximal column
// within each row, the row pass the first row whose maximum is the window's,
// which together is the first maximal cell in row-major order.
//
// Besides avoiding Max's gradient, the two passes need 2·window slices and
// pads instead of window², which matters for the 3×3 windows of fer-cnn.
func maxPool2DFast(x *Node, window, stride int) *Node {
	if nativeMaxPool(x) {
		return MaxPool(x).Window(window).Strides(stride).NoPadding().Done()
	}
	return maxPoolAxis(maxPoolAxis(x, 2, window, stride), 1, window, stride)
}

// maxPoolAxis max-pools x along one axis with the given window and stride,
// without padding: out[.., o, ..] = max_t x[.., o·stride + t, ..] for t in
// [0, window).
//
// The gradient w.r.t. x routes the output's gradient of each window to its
// first maximal tap t (ties go to the smallest t): with hit_t = (tap_t ==
// out), g_t = v where hit_t and no earlier tap hit; the last tap takes what
// is left (it must be the maximum if no earlier tap was). That is 1 Where, 1
// Equal and 1 Sub per tap but the last, on output-sized tensors. Each g_t is then placed back at
// rows t, t+stride, ... of x by a Pad (block copies), and the window pads are
// summed.
//
// The custom gradient uses the construction of conv2DFast (fastconv.go): the
// forward value is computed under StopGradient, a scalar zero that depends on
// an identity of x (with the custom gradient) is added to it, and the
// output's gradient is captured by a custom gradient on the output, which
// autodiff visits first.
func maxPoolAxis(x *Node, axis, window, stride int) *Node {
	n := x.Shape().Dimensions[axis]
	outLen := (n-window)/stride + 1
	span := (outLen-1)*stride + 1
	rank := x.Rank()
	var xr *Node // x through the identity that carries the custom gradient
	tap := func(t int) *Node {
		specs := make([]SliceAxisSpec, rank)
		for i := range specs {
			specs[i] = AxisRange()
		}
		specs[axis] = AxisRange(t, t+span).Stride(stride)
		// Slicing xr (not x) leaves the identity as x's only consumer, so
		// the Go backend hands x's buffer over instead of copying it (it
		// copies an Identity's input while other ops still need it). The
		// taps are under StopGradient: no gradient flows through them.
		return Slice(xr, specs...)
	}

	var dy *Node // Gradient w.r.t. the output, captured by its custom gradient.
	var taps []*Node
	var m *Node
	xr = IdentityWithCustomGradient(x, func(_, _ *Node) *Node {
		if dy == nil {
			exceptions.Panicf("maxPoolAxis: gradient w.r.t. the input requested before the output's gradient was seen")
		}
		zero := ScalarZero(x.Graph(), x.DType())
		rem := dy
		var sum *Node
		for t := range window {
			g := rem
			if t < window-1 {
				g = Where(Equal(taps[t], m), rem, zero)
				// What is left for the later taps: rem where this tap did not
				// hit, 0 where it did (exact: rem-rem or rem-0), with a Sub,
				// which is branch-free, rather than a second Where, which the
				// Go backend runs as a branchy loop (about 2.5 times slower).
				rem = Sub(rem, g)
			}
			pads := make([]PadAxis, rank)
			pads[axis] = PadAxis{Start: t, End: n - t - span, Interior: stride - 1}
			g = Pad(g, zero, pads...)
			if sum == nil {
				sum = g
			} else {
				sum = Add(sum, g)
			}
		}
		return sum
	})
	for t := range window {
		s := tap(t)
		taps = append(taps, s)
		if m == nil {
			m = s
		} else {
			m = Max(m, s)
		}
	}
	y := StopGradient(m)
	// With Same padding x holds -inf, so the zero is a Where with a constant
	// false condition rather than 0·x (= NaN for infinities).
	g := x.Graph()
	zero := Where(Const(g, false), firstElement(xr), ScalarZero(g, x.DType()))
	return IdentityWithCustomGradient(Add(y, zero), func(_, v *Node) *Node {
		dy = v
		return v
	})
}
