package fer

import (
	"math"
	"slices"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/support/exceptions"
)

// poolPaddings returns the Keras (before, after) padding of the two spatial
// axes of x, shaped [batch, height, width, channels].
func poolPaddings(x *Node, window, stride int, padding Padding) [][2]int {
	dims := x.Shape().Dimensions
	out := make([][2]int, 2)
	for i, in := range dims[1:3] {
		before, after, _, err := kerasPadding(in, window, stride, padding)
		if err != nil {
			exceptions.Panicf("pooling axis %d: %v", i+1, err)
		}
		out[i] = [2]int{before, after}
	}
	return out
}

// avgPool2D averages window×window patches of x, shaped [batch, height,
// width, channels], moving by stride, with Keras padding semantics: with
// Same padding each output is the mean of the input cells its window
// covers, padded cells excluded.
//
// GoMLX's MeanPool does the same, but the gradient of a padded sum-pool
// trims its padding with a negative Pad, which the Go backend does not
// implement (it crashes). So with padding, x is padded with zeros by
// concatenation (which has a gradient), sum-pooled without padding, and
// divided by the number of real cells under each window.
func avgPool2D(x *Node, window, stride int, padding Padding) *Node {
	paddings := poolPaddings(x, window, stride, padding)
	if paddings[0] == [2]int{} && paddings[1] == [2]int{} {
		return MeanPool(x).Window(window).Strides(stride).NoPadding().Done()
	}
	padded := padZeros(x, paddings)
	sum := SumPool(padded).Window(window).Strides(stride).NoPadding().Done()
	dims := x.Shape().Dimensions
	rowCounts := windowCounts(dims[1], window, stride, paddings[0])
	colCounts := windowCounts(dims[2], window, stride, paddings[1])
	counts := make([]float64, 0, len(rowCounts)*len(colCounts))
	for _, r := range rowCounts {
		for _, c := range colCounts {
			counts = append(counts, float64(r*c))
		}
	}
	divisor := ConvertDType(Const(x.Graph(), counts), x.DType())
	return Div(sum, Reshape(divisor, 1, len(rowCounts), len(colCounts), 1))
}

// maxPool2D takes the maximum over window×window patches of x, shaped
// [batch, height, width, channels], moving by stride, with Keras padding
// semantics: padded cells never win.
//
// It is lowered as the element-wise maximum of the window² strided slices
// of x (one per position in the window) rather than with GoMLX's MaxPool:
// the Go backend runs MaxPool's ReduceWindow and its gradient
// (SelectAndScatter) element by element with an allocation per element,
// which made pooling about as slow as the convolutions of the thesis's
// CNNs; slices, maxima and their gradients are plain vectorized loops. The
// gradient goes to a single maximum of each window, the first in row-major
// order on ties (Max's gradient favours its first operand), as TensorFlow's
// does.
//
// Like conv2D, it is the single place where max pooling is lowered.
func maxPool2D(x *Node, window, stride int, padding Padding) *Node {
	paddings := poolPaddings(x, window, stride, padding)
	if paddings[0] != [2]int{} || paddings[1] != [2]int{} {
		x = padConst(x, paddings, math.Inf(-1))
	}
	if useFastOps(x) {
		return maxPool2DFast(x, window, stride)
	}
	dims := x.Shape().Dimensions
	oh := (dims[1]-window)/stride + 1
	ow := (dims[2]-window)/stride + 1
	var out *Node
	for di := range window {
		for dj := range window {
			s := Slice(x, AxisRange(),
				AxisRange(di, di+(oh-1)*stride+1).Stride(stride),
				AxisRange(dj, dj+(ow-1)*stride+1).Stride(stride),
				AxisRange())
			if out == nil {
				out = s
			} else {
				out = Max(out, s)
			}
		}
	}
	return out
}

// padZeros pads the height and width axes of x with zeros by concatenation,
// which, unlike graph.Pad, has a gradient.
func padZeros(x *Node, paddings [][2]int) *Node { return padConst(x, paddings, 0) }

// padConst pads the height and width axes of x with value by concatenation.
func padConst(x *Node, paddings [][2]int, value float64) *Node {
	for i, p := range paddings {
		axis := i + 1
		parts := make([]*Node, 0, 3)
		for _, n := range []int{p[0], -1, p[1]} {
			switch {
			case n < 0:
				parts = append(parts, x)
			case n > 0:
				dims := slices.Clone(x.Shape().Dimensions)
				dims[axis] = n
				fill := BroadcastToDims(Scalar(x.Graph(), x.DType(), value), dims...)
				parts = append(parts, StopGradient(fill))
			}
		}
		if len(parts) > 1 {
			x = Concatenate(parts, axis)
		}
	}
	return x
}

// windowCounts returns, for each output position along an axis of size in,
// how many real (not padded) cells its window covers.
func windowCounts(in, window, stride int, pad [2]int) []int {
	out := (in+pad[0]+pad[1]-window)/stride + 1
	counts := make([]int, out)
	for i := range counts {
		lo := i*stride - pad[0]
		counts[i] = min(lo+window, in) - max(lo, 0)
	}
	return counts
}
