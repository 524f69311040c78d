package fer

import (
	"fmt"

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

// conv2D convolves x, shaped [batch, height, width, inChannels], with kernel,
// shaped [kh, kw, inChannels, outChannels], using Keras semantics for stride and
// padding. It is the single place where the models' convolutions are lowered to
// the backend, so a faster lowering for the pure-Go backend can replace it
// without touching the layers.
func conv2D(x, kernel *Node, stride int, padding Padding) *Node {
	kh, kw := kernel.Shape().Dimensions[0], kernel.Shape().Dimensions[1]
	h, w := x.Shape().Dimensions[1], x.Shape().Dimensions[2]
	ph0, ph1, _, err := kerasPadding(h, kh, stride, padding)
	if err != nil {
		exceptions.Panicf("conv2D height: %v", err)
	}
	pw0, pw1, _, err := kerasPadding(w, kw, stride, padding)
	if err != nil {
		exceptions.Panicf("conv2D width: %v", err)
	}
	return Convolve(x, kernel).Strides(stride).PaddingPerDim([][2]int{{ph0, ph1}, {pw0, pw1}}).Done()
}
