package fer

import (
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/support/exceptions"
)

// This file holds conv2DFast, the lowering conv2D uses on the pure-Go backend:
// the im2col forward pass of conv2DPatches with a hand-written backward pass.
//
// Why not let GoMLX differentiate conv2DPatches? On the Go backend (compute
// v0.1.3) the backward pass GoMLX derives spends most of its time moving data,
// not multiplying:
//
//   - every DotGeneral gradient ends with a TransposeAllAxes, even when the
//     permutation is the identity, and the Go backend executes it as an
//     element-by-element copy: for the patches gradient that is one copy of
//     the whole [n, kh·kw·cin] patches matrix;
//   - the kernel gradient pᵀ·dy, as GoMLX writes it, makes the backend
//     transpose the patches matrix again to fit its matmul layouts;
//   - the gradient of the Concatenate that builds the patches is kh·kw Slice
//     ops, and Slice also runs element by element.
//
// conv2DFast computes instead
//
//	dkernel  = pᵀ · dy                 (only the smaller of p and dy is transposed)
//	dx       = Σ_ij place_ij(dy · k_ijᵀ)  (one matmul per kernel tap; place_ij is a Pad,
//	                                    which the backend runs as block copies)
//
// which is two to three times less data movement.
//
// GoMLX has no public API for a multi-input custom gradient, so it is built
// from IdentityWithCustomGradient: x and the kernel pass through identity
// nodes (xr, kr) into the forward product, whose output passes through a
// third one. Autodiff visits nodes in reverse creation order, so it reaches
// the output's identity first, which captures dy, then the product, whose
// own gradient GoMLX builds as usual, then xr and kr, whose custom gradients
// ignore what they receive and compute dx and dkernel from dy as above.
// The gradients GoMLX built for the product are then used by nothing, and
// are never executed: the backends only run nodes that the outputs use.
// (An earlier form stopped the product's gradient and added to its output a
// scalar zero computed from xr and kr, to reach them: that addition was a
// pass over the whole output.)

// conv2DFast computes the convolution described by g like conv2DPatches, with
// the hand-written backward pass described above. When the backend runs
// NHWC convolutions as an implicit matmul (implicitConv), the forward pass
// and the input gradient are ConvGeneral instead of im2col + DotGeneral;
// when it also computes kernel gradients (implicitKernelGrad), so is the
// kernel gradient, and no patches are built at all. Otherwise the patches
// are built, in the backward pass, for the kernel gradient only.
func conv2DFast(x, kernel *Node, g conv2DGeometry) *Node {
	implicit := implicitConv(x, g.cin, g.cout)
	var dy *Node // [n, cout], set by the output's custom gradient.
	capturedDY := func(what string) *Node {
		if dy == nil {
			exceptions.Panicf("conv2DFast: gradient w.r.t. %s requested before the output's gradient was seen", what)
		}
		return dy
	}
	var p *Node  // [n, kh*kw*cin], the patches, reused by the kernel gradient.
	var dk *Node // The kernel gradient, when computed; the input gradient's matmuls are scheduled after it.
	kernelGrad := func(_, _ *Node) *Node {
		// pᵀ·dy contracts n, the first axis of both: the backend's matmul wants it
		// last on the lhs, so the smaller of p and dy is transposed.
		dy := capturedDY("kernel")
		if implicitKernelGrad(x, g) {
			dk = conv2DKernelGradImplicit(x, dy, g)
			return dk
		}
		if p == nil {
			p = im2col(x, g)
		}
		if kp := g.kh * g.kw * g.cin; kp < g.cout { // E.g. a first layer on 1-channel images.
			dk = DotGeneral(Transpose(p, 0, 1), []int{1}, nil, dy, []int{0}, nil) // [kh*kw*cin, cout]
		} else {
			dkT := DotGeneral(Transpose(dy, 0, 1), []int{1}, nil, p, []int{0}, nil) // [cout, kh*kw*cin]
			dk = Transpose(dkT, 0, 1)
		}
		dk = Reshape(dk, g.kh, g.kw, g.cin, g.cout)
		return dk
	}
	inputGrad := func(_, _ *Node) *Node {
		dy := capturedDY("input")
		if g.stride == 1 && implicitConv(x, g.cout, g.cin) {
			return conv2DInputGradImplicit(dy, StopGradient(kernel), g)
		}
		return conv2DInputGrad(dy, StopGradient(kernel), dk, g)
	}
	xr := IdentityWithCustomGradient(x, inputGrad)
	kr := IdentityWithCustomGradient(kernel, kernelGrad)

	var y *Node // [n, cout]
	if implicit {
		y = Reshape(convNHWC(xr, kr, g.stride, g.padH, g.padW), g.batch*g.outH*g.outW, g.cout)
	} else {
		p = im2col(xr, g)
		k := Reshape(kr, g.kh*g.kw*g.cin, g.cout)
		y = DotGeneral(p, []int{1}, nil, k, []int{0}, nil)
	}
	y = IdentityWithCustomGradient(y, func(_, v *Node) *Node {
		dy = v
		return v
	})
	return Reshape(y, g.batch, g.outH, g.outW, g.cout)
}

// implicitConvMarker is what the patched Go backend's Description says when
// its ConvGeneral runs float32 NHWC convolutions with 64·j output channels
// as an implicit matmul (third_party/compute: gobackend.FerConvMarker; built
// with GOEXPERIMENT=simd on a CPU with AVX-512 or AVX2). Upstream's ConvGeneral is a
// scalar loop: without the marker, im2col + DotGeneral is used.
const implicitConvMarker = "fer-thesis conv2d"

// implicitConvMinInputChannels: below this many input channels the implicit
// convolution's per-tap overhead outweighs the im2col copy it saves (a first
// layer on grey images has one).
const implicitConvMinInputChannels = 16

// implicitConv reports whether a convolution of x's graph and dtype, from
// cin to cout channels, runs as the backend's implicit-matmul ConvGeneral.
// $FER_CONV=fast turns it off (im2col + DotGeneral everywhere), for
// comparisons.
func implicitConv(x *Node, cin, cout int) bool {
	b := x.Graph().Backend()
	if convLoweringOverride == lowerFast || x.DType() != dtypes.Float32 || !isGoBackend(b) {
		return false
	}
	d := b.Description()
	if cin == 1 && strings.Contains(d, implicitConv1Marker) && cout%32 == 0 {
		return true
	}
	return strings.Contains(d, implicitConvMarker) && cout%64 == 0 && cin >= implicitConvMinInputChannels
}

// implicitConv1Marker is what the patched Go backend's Description says when
// its ConvGeneral computes float32 NHWC convolutions of single-channel images
// (32·j output channels), forward and kernel gradient, without im2col and
// with the im2col products' results bit for bit (third_party/compute:
// gobackend.FerConv1Marker; GOEXPERIMENT=simd on a CPU with AVX2 and without
// AVX-512).
const implicitConv1Marker = "fer-thesis conv one channel"

// implicitKernelGradMarker is what the patched Go backend's Description
// says when its ConvGeneral computes the kernel gradients of float32 NHWC
// convolutions (an even number of input channels, 32·j output channels)
// without an im2col matrix (third_party/compute:
// gobackend.FerConvKernelGradMarker; built with GOEXPERIMENT=simd on a CPU
// with AVX2 and without AVX-512).
const implicitKernelGradMarker = "fer-thesis conv kernel gradient"

// implicitKernelGrad reports whether the kernel gradient of convolution g
// runs as the backend's ConvGeneral (conv2DKernelGradImplicit) rather than
// as a matmul of im2col patches. $FER_CONV=fast turns it off.
func implicitKernelGrad(x *Node, g conv2DGeometry) bool {
	b := x.Graph().Backend()
	channels := strings.Contains(b.Description(), implicitKernelGradMarker) && g.cin%2 == 0 ||
		strings.Contains(b.Description(), implicitConv1Marker) && g.cin == 1
	return convLoweringOverride != lowerFast && x.DType() == dtypes.Float32 && isGoBackend(b) &&
		channels && g.cout%32 == 0 &&
		kernelGradTrailingPad(g.h, g.padH[0], g.kh, g.outH, g.stride) >= 0 &&
		kernelGradTrailingPad(g.w, g.padW[0], g.kw, g.outW, g.stride) >= 0
}

// kernelGradTrailingPad is the trailing padding of an input axis of size n
// that makes the kernel gradient's axis exactly k long: the forward
// convolution's own, less what its stride left unread at the end.
func kernelGradTrailingPad(n, before, k, out, stride int) int {
	return k + (out-1)*stride - n - before
}

// conv2DKernelGradImplicit returns the gradient w.r.t. the kernel of the
// convolution g, shaped [kh, kw, cin, cout], given dy [batch·outH·outW,
// cout]:
//
//	dk[i, j, c, o] = Σ_{b, oh, ow} x[b, oh·s + i − padH₀, ow·s + j − padW₀, c] · dy[b, oh, ow, o],
//
// itself a convolution of x by dy in which x's channels play the batch, the
// batch is contracted and the stride becomes dy's dilation (the form XLA
// uses too).
func conv2DKernelGradImplicit(x, dy *Node, g conv2DGeometry) *Node {
	axes := ConvolveAxesConfig{
		InputBatch: 3, InputChannels: 0, InputSpatial: []int{1, 2},
		KernelInputChannels: 0, KernelOutputChannels: 3, KernelSpatial: []int{1, 2},
		OutputBatch: 2, OutputChannels: 3, OutputSpatial: []int{0, 1},
	}
	padH := [2]int{g.padH[0], kernelGradTrailingPad(g.h, g.padH[0], g.kh, g.outH, g.stride)}
	padW := [2]int{g.padW[0], kernelGradTrailingPad(g.w, g.padW[0], g.kw, g.outW, g.stride)}
	return ConvGeneral(x, Reshape(dy, g.batch, g.outH, g.outW, g.cout), axes, []int{1, 1},
		[][2]int{padH, padW}, nil, []int{g.stride, g.stride}, 1, 1)
}

// convNHWC is the backend's ConvGeneral for x [batch, h, w, cin] and kernel
// [kh, kw, cin, cout] with explicit (before, after) paddings.
func convNHWC(x, kernel *Node, stride int, padH, padW [2]int) *Node {
	axes := ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
		KernelInputChannels: 2, KernelOutputChannels: 3, KernelSpatial: []int{0, 1},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
	}
	return ConvGeneral(x, kernel, axes, []int{stride, stride}, [][2]int{padH, padW}, nil, nil, 1, 1)
}

// conv2DInputGradImplicit returns the gradient w.r.t. the input of a
// stride-1 convolution g, given dy [batch·outH·outW, cout]: the convolution
// of dy, padded by kernel size − 1 − the forward padding on each side, with
// the kernel flipped in space and its channel axes swapped,
//
//	dx[ih, iw, c] = Σ_{i, j, o} dy[ih + i − (kh−1−padH₀), iw + j − (kw−1−padW₀), o] · k[kh−1−i, kw−1−j, c, o],
//
// one implicit-matmul ConvGeneral instead of kh·kw matmuls, Pads and Adds.
func conv2DInputGradImplicit(dy, kernel *Node, g conv2DGeometry) *Node {
	kflip := Transpose(Reverse(kernel, 0, 1), 2, 3) // [kh, kw, cout, cin]
	return convNHWC(Reshape(dy, g.batch, g.outH, g.outW, g.cout), kflip, 1,
		[2]int{g.kh - 1 - g.padH[0], g.kh - 1 - g.padH[1]},
		[2]int{g.kw - 1 - g.padW[0], g.kw - 1 - g.padW[1]})
}

// firstElement returns the first element of x as a scalar.
func firstElement(x *Node) *Node {
	specs := make([]SliceAxisSpec, x.Rank())
	for i := range specs {
		specs[i] = AxisRange(0, 1)
	}
	return Reshape(Slice(x, specs...))
}

// im2col returns the patches of x for the convolution g, shaped
// [batch·outH·outW, kh·kw·cin], ordered (i, j, c) like the kernel's
// [kh, kw, cin, cout] layout.
func im2col(x *Node, g conv2DGeometry) *Node {
	xp := zeroPadAxis(x, 1, g.padH)
	xp = zeroPadAxis(xp, 2, g.padW)
	s := g.stride
	taps := make([]*Node, 0, g.kh*g.kw)
	for i := range g.kh {
		for j := range g.kw {
			taps = append(taps, Slice(xp,
				AxisRange(),
				AxisRange(i, i+(g.outH-1)*s+1).Stride(s),
				AxisRange(j, j+(g.outW-1)*s+1).Stride(s),
				AxisRange()))
		}
	}
	return Reshape(Concatenate(taps, 3), g.batch*g.outH*g.outW, g.kh*g.kw*g.cin)
}

// conv2DInputGrad returns the gradient w.r.t. the input x, shaped
// [batch, h, w, cin], of the convolution g, given dy, the gradient w.r.t. its
// output flattened to [batch·outH·outW, cout].
//
// Tap (i, j) of the kernel read x at rows i + s·oh and columns j + s·ow of the
// padded input, so its share of the gradient, dy·k_ijᵀ, is placed there by a
// Pad (with s-1 interior zeros for stride s); the taps are summed and the
// padding is cropped.
//
// With enough input channels each tap's share is its own matmul, which saves
// slicing a [n, kh·kw·cin] product (Slice runs element by element). The
// kernel is transposed first (it is small) so that the matmuls use the
// backend's "non-transposed" layout: for small products the backend's
// "transposed" kernel computes one horizontal sum per output and is several
// times slower. The matmuls are chained with SchedulingBarrier, after `after`
// when it is not nil, so that they run one at a time: each one is already
// parallel inside. (Upstream compute v0.1.3 also deadlocked when as many
// DotGenerals as its worker pool has slots started at once; the patched copy
// in third_party/compute does not; whether unchaining them would help has
// not been measured.)
func conv2DInputGrad(dy, kernel, after *Node, g conv2DGeometry) *Node {
	const minChannelsPerTapMatmul = 16
	hp, wp := g.h+g.padH[0]+g.padH[1], g.w+g.padW[0]+g.padW[1]
	s := g.stride
	spanH, spanW := (g.outH-1)*s+1, (g.outW-1)*s+1
	zero := ScalarZero(dy.Graph(), dy.DType())
	kt := Transpose(kernel, 2, 3) // [kh, kw, cout, cin]

	var allTaps *Node // [batch, outH, outW, kh*kw*cin], when there are few channels.
	if g.cin < minChannelsPerTapMatmul {
		ktAll := Reshape(Transpose(Reshape(kernel, g.kh*g.kw*g.cin, g.cout), 0, 1), g.cout, g.kh*g.kw*g.cin)
		if after != nil {
			ktAll = SchedulingBarrier(ktAll, after)
		}
		allTaps = Reshape(DotGeneral(dy, []int{1}, nil, ktAll, []int{0}, nil), g.batch, g.outH, g.outW, g.kh*g.kw*g.cin)
	}

	var sum *Node
	for i := range g.kh {
		for j := range g.kw {
			var dp *Node // [batch, outH, outW, cin]
			if allTaps != nil {
				t := i*g.kw + j
				dp = Slice(allTaps, AxisRange(), AxisRange(), AxisRange(), AxisRange(t*g.cin, (t+1)*g.cin))
			} else {
				ktij := Reshape(Slice(kt, AxisElem(i), AxisElem(j), AxisRange(), AxisRange()), g.cout, g.cin)
				if after != nil {
					ktij = SchedulingBarrier(ktij, after)
				}
				dp = DotGeneral(dy, []int{1}, nil, ktij, []int{0}, nil) // [n, cin]
				after = dp
				dp = Reshape(dp, g.batch, g.outH, g.outW, g.cin)
			}
			dp = Pad(dp, zero,
				PadAxis{},
				PadAxis{Start: i, End: hp - i - spanH, Interior: s - 1},
				PadAxis{Start: j, End: wp - j - spanW, Interior: s - 1},
				PadAxis{})
			if sum == nil {
				sum = dp
			} else {
				sum = Add(sum, dp)
			}
		}
	}
	if hp == g.h && wp == g.w {
		return sum
	}
	return Slice(sum,
		AxisRange(),
		AxisRange(g.padH[0], g.padH[0]+g.h),
		AxisRange(g.padW[0], g.padW[0]+g.w),
		AxisRange())
}
