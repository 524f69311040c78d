package fer

import (
	"fmt"
	"os"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/support/exceptions"
)

// Padding is the Keras padding mode of a convolution or pooling layer.
type Padding string

const (
	// Valid uses no padding: output = floor((input - window) / stride) + 1.
	Valid Padding = "valid"
	// Same pads with zeros so that output = ceil(input / stride); when the total
	// padding is odd, the extra row/column goes to the bottom/right (as Keras/TensorFlow).
	Same Padding = "same"
)

// kerasPadding returns the (before, after) padding and the output size of one
// spatial axis for Keras semantics.
func kerasPadding(in, window, stride int, p Padding) (before, after, out int, err error) {
	switch p {
	case Valid:
		if in < window {
			return 0, 0, 0, fmt.Errorf("valid padding: input size %d smaller than window %d", in, window)
		}
		return 0, 0, (in-window)/stride + 1, nil
	case Same:
		out = (in + stride - 1) / stride
		total := max((out-1)*stride+window-in, 0)
		return total / 2, total - total/2, out, nil
	}
	return 0, 0, 0, fmt.Errorf("unknown padding %q (want %q or %q)", p, Valid, Same)
}

// convLowering selects how conv2D lowers a convolution to backend ops.
type convLowering int

const (
	// lowerAuto picks lowerFast on the pure-Go backend and lowerNative elsewhere.
	lowerAuto convLowering = iota
	// lowerNative uses GoMLX's Convolve (the backend's ConvGeneral).
	lowerNative
	// lowerPatches uses im2col patches and one DotGeneral, differentiated by
	// GoMLX's autodiff (conv2DPatches).
	lowerPatches
	// lowerFast uses the same forward pass as lowerPatches with a hand-written
	// backward pass (conv2DFast).
	lowerFast
)

// String returns the lowering's name, as used in benchmark names.
func (l convLowering) String() string {
	switch l {
	case lowerNative:
		return "native"
	case lowerPatches:
		return "patches"
	case lowerFast:
		return "fast"
	}
	return "auto"
}

// convLoweringOverride, when not lowerAuto, forces a lowering: tests and
// benchmarks use it to compare them on the same backend. It is read when a
// graph is built, and set at start-up from $FER_CONV (see ConvLoweringEnv).
var convLoweringOverride = lowerAuto

// ConvLoweringEnv names the environment variable that forces how conv2D is
// lowered, for benchmarks and for checking a result against GoMLX's own
// convolution: "native" (GoMLX's Convolve), "patches" (im2col differentiated
// by GoMLX) or "fast" (im2col with the hand-written backward pass, never the
// patched backend's implicit-matmul ConvGeneral). Unset or "auto": on the
// pure-Go backend the hand-written backward pass with the implicit-matmul
// ConvGeneral where the backend has it (see implicitConv), "native" on the
// others.
const ConvLoweringEnv = "FER_CONV"

func init() {
	switch v := os.Getenv(ConvLoweringEnv); v {
	case "", "auto":
	case "native":
		convLoweringOverride = lowerNative
	case "patches":
		convLoweringOverride = lowerPatches
	case "fast":
		convLoweringOverride = lowerFast
	default:
		fmt.Fprintf(os.Stderr, "fer: ignoring $%s=%q (want native, patches, fast or auto)\n", ConvLoweringEnv, v)
	}
}

// isGoBackend reports whether b is GoMLX's pure-Go backend. Its Name is
// "Go Backend" and its String is "go" (compute v0.1.3); both are checked so a
// future alignment of the two does not silently disable the fast path.
func isGoBackend(b compute.Backend) bool {
	return b != nil && (b.String() == "go" || b.Name() == "go" || b.Name() == "Go Backend")
}

// conv2DGeometry holds the validated sizes of a 2D convolution.
type conv2DGeometry struct {
	batch, h, w, cin, kh, kw, cout int
	stride                         int
	padH, padW                     [2]int // (before, after) zero padding.
	outH, outW                     int
}

// newConv2DGeometry validates the shapes of x and kernel and computes the Keras
// padding and output sizes. Invalid configurations panic with exceptions.Panicf,
// as GoMLX does while building graphs.
func newConv2DGeometry(x, kernel *Node, stride int, padding Padding) conv2DGeometry {
	if x.Rank() != 4 {
		exceptions.Panicf("conv2D: x must be [batch, height, width, channels], got shape %s", x.Shape())
	}
	if kernel.Rank() != 4 {
		exceptions.Panicf("conv2D: kernel must be [kh, kw, inChannels, outChannels], got shape %s", kernel.Shape())
	}
	if stride < 1 {
		exceptions.Panicf("conv2D: stride must be >= 1, got %d", stride)
	}
	if x.DType() != kernel.DType() {
		exceptions.Panicf("conv2D: x dtype %s differs from kernel dtype %s", x.DType(), kernel.DType())
	}
	xd, kd := x.Shape().Dimensions, kernel.Shape().Dimensions
	g := conv2DGeometry{
		batch: xd[0], h: xd[1], w: xd[2], cin: xd[3],
		kh: kd[0], kw: kd[1], cout: kd[3],
		stride: stride,
	}
	if kd[2] != g.cin {
		exceptions.Panicf("conv2D: kernel has %d input channels, x has %d (x %s, kernel %s)",
			kd[2], g.cin, x.Shape(), kernel.Shape())
	}
	if g.kh < 1 || g.kw < 1 || g.cout < 1 {
		exceptions.Panicf("conv2D: invalid kernel shape %s", kernel.Shape())
	}
	var err error
	if g.padH[0], g.padH[1], g.outH, err = kerasPadding(g.h, g.kh, stride, padding); err != nil {
		exceptions.Panicf("conv2D height: %v", err)
	}
	if g.padW[0], g.padW[1], g.outW, err = kerasPadding(g.w, g.kw, stride, padding); err != nil {
		exceptions.Panicf("conv2D width: %v", err)
	}
	return g
}

// conv2D convolves x, shaped [batch, height, width, inChannels], with kernel,
// shaped [kh, kw, inChannels, outChannels], using Keras semantics for stride and
// padding, and returns [batch, outHeight, outWidth, outChannels].
//
// It is the single place where the models' convolutions are lowered to the
// backend. On the pure-Go backend it uses conv2DFast (a hand-written backward
// pass; the forward pass and the input gradient as im2col + DotGeneral, or,
// where the patched backend of third_party/compute runs them as an implicit
// matmul, as ConvGeneral), because upstream's ConvGeneral is a direct scalar
// loop, one to two orders of magnitude slower than its blocked, SIMD-capable
// DotGeneral, and GoMLX's own gradient of a convolution is ConvGeneral in
// layouts the patched backend does not speed up; on any other backend (XLA)
// it uses GoMLX's native Convolve, which XLA lowers to its own optimized
// kernels. $FER_CONV (ConvLoweringEnv) overrides the choice.
func conv2D(x, kernel *Node, stride int, padding Padding) *Node {
	g := newConv2DGeometry(x, kernel, stride, padding)
	lowering := convLoweringOverride
	if lowering == lowerAuto {
		lowering = lowerNative
		if isGoBackend(x.Graph().Backend()) {
			lowering = lowerFast
		}
	}
	switch lowering {
	case lowerPatches:
		return conv2DPatches(x, kernel, g)
	case lowerFast:
		return conv2DFast(x, kernel, g)
	}
	return conv2DNative(x, kernel, g)
}

// conv2DNative computes the convolution described by g with GoMLX's Convolve
// (the backend's ConvGeneral), with the Keras padding made explicit.
//
// GoMLX v0.28.2's gradient of Convolve w.r.t. its input is wrong for kernels
// with an even spatial size (convVJPWrtX pads the reverse convolution by
// (k-1)/2 twice, which is k-2 instead of k-1 when k is even: the gradient comes
// out shifted by one pixel). That gradient is built at graph level, so it
// affects every backend. To stay exact, an even kernel axis is extended to odd
// size with a trailing zero tap, and the padding after is grown by one so the
// output size does not change: the extra tap adds x·0 = 0 to each output
// (for finite x), so values are identical and the gradients become correct,
// at the price of (k+1)/k more multiply-adds on that axis.
func conv2DNative(x, kernel *Node, g conv2DGeometry) *Node {
	padH, padW := g.padH, g.padW
	if g.kh%2 == 0 {
		kernel = zeroPadAxis(kernel, 0, [2]int{0, 1})
		padH[1]++
	}
	if g.kw%2 == 0 {
		kernel = zeroPadAxis(kernel, 1, [2]int{0, 1})
		padW[1]++
	}
	return Convolve(x, kernel).Strides(g.stride).PaddingPerDim([][2]int{padH, padW}).Done()
}

// conv2DPatches computes the convolution described by g as an explicit im2col:
// the kh·kw shifted (and strided) windows of the zero-padded input are
// concatenated on the channels axis into patches shaped
// [batch, outH, outW, kh·kw·inChannels], which are contracted with the kernel
// reshaped to [kh·kw·inChannels, outChannels] by a single DotGeneral.
//
// Every op used (Concatenate, Slice, Reshape, Transpose, DotGeneral) has a
// gradient in GoMLX, so training differentiates through it with no custom
// code. See patchesDot for how the contraction is laid out.
func conv2DPatches(x, kernel *Node, g conv2DGeometry) *Node {
	p := im2col(x, g)
	k := Reshape(kernel, g.kh*g.kw*g.cin, g.cout)
	return Reshape(patchesDot(p, k), g.batch, g.outH, g.outW, g.cout)
}

// useTransposedDot decides the layout of patchesDot (see there).
func useTransposedDot(kp, cout int) bool { return kp > 2*cout }

// patchesDot returns p·k for patches p [n, kp] and kernel k [kp, cout].
//
// The Go backend's matmul wants the lhs contracting axis last and the rhs
// contracting axis either first ("non-transposed") or last ("transposed");
// any other layout is first transposed by the backend, element by element,
// which costs more than the matmul itself for the large patches matrix. (The
// autodiff gradient of any DotGeneral also ends with a transpose, even an
// identity one, which the backend copies element by element: conv2DFast
// avoids both.) The
// forward product p·k is fine as it is, and so is the patches gradient
// dy·kᵀ, but the kernel gradient pᵀ·dy, as GoMLX's autodiff writes it,
// contracts the first axis of both operands and makes the backend transpose
// the whole patches matrix (n·kp values) and dy (n·cout values).
//
// When kp > 2·cout it is cheaper to compute yᵀ = kᵀ·pᵀ (backend layout
// "transposed": no copy) and transpose the result: the backward pass then
// computes dkᵀ = dyᵀ·p with no copy of p, and dp from dyᵀ, at the price of
// three transposes of n·cout values instead of one of n·(kp+cout).
func patchesDot(p, k *Node) *Node {
	kp, cout := k.Shape().Dimensions[0], k.Shape().Dimensions[1]
	if useTransposedDot(kp, cout) {
		yt := DotGeneral(Transpose(k, 0, 1), []int{1}, nil, p, []int{1}, nil) // [cout, n]
		return Transpose(yt, 0, 1)
	}
	return DotGeneral(p, []int{1}, nil, k, []int{0}, nil)
}

// zeroPadAxis pads x with pad[0] zeros before and pad[1] zeros after on axis.
// It concatenates zeros instead of using graph.Pad because Pad has no gradient
// in GoMLX v0.28.
func zeroPadAxis(x *Node, axis int, pad [2]int) *Node {
	if pad[0] == 0 && pad[1] == 0 {
		return x
	}
	parts := make([]*Node, 0, 3)
	zeros := func(n int) *Node {
		shape := x.Shape().Clone()
		shape.Dimensions[axis] = n
		return Zeros(x.Graph(), shape)
	}
	if pad[0] > 0 {
		parts = append(parts, zeros(pad[0]))
	}
	parts = append(parts, x)
	if pad[1] > 0 {
		parts = append(parts, zeros(pad[1]))
	}
	return Concatenate(parts, axis)
}
