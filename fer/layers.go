package fer

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Activation names an element-wise activation function, with Keras's names.
type Activation string

// The activations a Dense or Conv2D layer accepts, with Keras's names (the
// strings work too: Activation: "relu"). The empty string means ActLinear.
const (
	ActLinear  Activation = "linear"
	ActReLU    Activation = "relu"
	ActSigmoid Activation = "sigmoid"
	ActTanh    Activation = "tanh"
	ActSoftmax Activation = "softmax"
)

// check returns an error if a is not one of the known activations.
func (a Activation) check() error {
	switch a {
	case "", ActLinear, ActReLU, ActSigmoid, ActTanh, ActSoftmax:
		return nil
	}
	return fmt.Errorf("unknown activation %q (want one of %q, %q, %q, %q, %q)", a, ActLinear, ActReLU, ActSigmoid, ActTanh, ActSoftmax)
}

// apply builds the activation on x; softmax is taken over the last axis.
func (a Activation) apply(x *Node) *Node {
	switch a {
	case ActReLU:
		return relu(x) // fastops.go
	case ActSigmoid:
		return Sigmoid(x)
	case ActTanh:
		return Tanh(x)
	case ActSoftmax:
		return Softmax(x, -1)
	}
	return x
}

// Layer is one layer of a Sequential model: one of InputLayer, Rescaling,
// Flatten, Dense, Conv2D, MaxPool2D, AveragePool2D, BatchNormalization and
// Dropout. Layers are plain values that hold their configuration; the weights
// live in the model's store, under a scope named after the layer (as Keras
// names them: "dense", "dense_1", ...).
//
// Shapes are given per example, without the batch axis, and images are NHWC
// (height, width, channels), as in Keras.
type Layer interface {
	// kerasClass is the Keras class name shown in summaries, e.g. "Conv2D".
	kerasClass() string
	// kerasName is the base of the layer's name, e.g. "conv2d".
	kerasName() string
	// outputShape returns the per-example output shape for the per-example
	// input shape in, or an error if the layer cannot take that input.
	outputShape(in []int) ([]int, error)
	// params returns the number of trainable and non-trainable weights for
	// the per-example input shape in (which outputShape accepted).
	params(in []int) (trainable, nonTrainable int)
	// build adds the layer to the graph; x is batched: [batch, in...].
	build(scope *model.Scope, x *Node) *Node
}

// glorotScope returns scope with Keras's default initializer for kernels
// (glorot_uniform; rank-1 variables such as biases start at zero).
func glorotScope(scope *model.Scope) *model.Scope {
	return scope.WithInitializer(initializer.GlorotUniformFn(scope))
}

// InputLayer declares the per-example input shape of a Sequential model. It
// must be the first layer, it has no weights and, as in Keras, it is not
// listed in the summary. Create it with Input.
type InputLayer struct {
	// Shape is the per-example shape, e.g. [48, 48, 1] for FER2013 images.
	Shape []int
}

// Input declares the per-example input shape, like keras.Input(shape=...):
// Input(48, 48, 1) for 48×48 grayscale images, Input(2) for points in the
// plane.
func Input(dims ...int) InputLayer { return InputLayer{Shape: slices.Clone(dims)} }

func (InputLayer) kerasClass() string { return "InputLayer" }
func (InputLayer) kerasName() string  { return "input" }
func (l InputLayer) outputShape(in []int) ([]int, error) {
	return slices.Clone(l.Shape), nil
}
func (InputLayer) params([]int) (int, int)             { return 0, 0 }
func (InputLayer) build(_ *model.Scope, x *Node) *Node { return x }
func (l InputLayer) check() error {
	if len(l.Shape) == 0 {
		return fmt.Errorf("input shape is empty: declare it as fer.Input(height, width, channels) or fer.Input(features)")
	}
	for _, d := range l.Shape {
		if d <= 0 {
			return fmt.Errorf("input shape %v: every dimension must be positive", l.Shape)
		}
	}
	return nil
}

// Rescaling multiplies its input by Scale and adds Offset, like
// keras.layers.Rescaling; e.g. Rescaling{Scale: 1.0 / 255} maps pixels to
// [0, 1]. It has no weights.
type Rescaling struct {
	Scale, Offset float64
}

func (Rescaling) kerasClass() string                  { return "Rescaling" }
func (Rescaling) kerasName() string                   { return "rescaling" }
func (Rescaling) outputShape(in []int) ([]int, error) { return slices.Clone(in), nil }
func (Rescaling) params([]int) (int, int)             { return 0, 0 }
func (l Rescaling) build(_ *model.Scope, x *Node) *Node {
	x = MulScalar(x, l.Scale)
	if l.Offset != 0 {
		x = AddScalar(x, l.Offset)
	}
	return x
}

// Flatten reshapes each example to a vector, like keras.layers.Flatten.
type Flatten struct{}

func (Flatten) kerasClass() string { return "Flatten" }
func (Flatten) kerasName() string  { return "flatten" }
func (Flatten) outputShape(in []int) ([]int, error) {
	return []int{prod(in)}, nil
}
func (Flatten) params([]int) (int, int) { return 0, 0 }
func (Flatten) build(_ *model.Scope, x *Node) *Node {
	return Reshape(x, x.Shape().Dimensions[0], -1)
}

// Dense is a fully connected layer, like keras.layers.Dense: output =
// activation(input · kernel + bias), applied to the last axis of the input.
// The kernel starts glorot-uniform and the bias at zero, as in Keras.
type Dense struct {
	// Units is the output size.
	Units int
	// Activation defaults to ActLinear.
	Activation Activation
}

func (Dense) kerasClass() string { return "Dense" }
func (Dense) kerasName() string  { return "dense" }
func (l Dense) outputShape(in []int) ([]int, error) {
	if l.Units <= 0 {
		return nil, fmt.Errorf("Dense: Units must be positive, got %d", l.Units)
	}
	if err := l.Activation.check(); err != nil {
		return nil, fmt.Errorf("Dense: %w", err)
	}
	out := slices.Clone(in)
	out[len(out)-1] = l.Units
	return out, nil
}
func (l Dense) params(in []int) (int, int) {
	return in[len(in)-1]*l.Units + l.Units, 0
}
func (l Dense) build(scope *model.Scope, x *Node) *Node {
	return l.Activation.apply(l.linear(scope, x))
}

// linear is the layer before its activation: the logits when it is the last layer.
func (l Dense) linear(scope *model.Scope, x *Node) *Node {
	// GoMLX's layers.Dense holds its weights in a "dense" sub-scope, as
	// "weights" [in, units] and "biases" [units].
	return layers.Dense(glorotScope(scope), x, true, l.Units)
}

// Conv2D is a 2D convolution over NHWC images, like keras.layers.Conv2D with
// a square kernel: output = activation(conv(input, kernel) + bias). The
// kernel, shaped [Kernel, Kernel, inChannels, Filters], starts glorot-uniform
// and the bias at zero, as in Keras.
type Conv2D struct {
	Filters int
	// Kernel is the side of the square kernel (3 for a 3×3 kernel).
	Kernel int
	// Stride defaults to 1.
	Stride int
	// Padding defaults to Valid, like Keras.
	Padding Padding
	// Activation defaults to ActLinear.
	Activation Activation
}

func (Conv2D) kerasClass() string { return "Conv2D" }
func (Conv2D) kerasName() string  { return "conv2d" }
func (l Conv2D) stride() int      { return max(l.Stride, 1) }
func (l Conv2D) padding() Padding { return cmp.Or(l.Padding, Valid) }
func (l Conv2D) outputShape(in []int) ([]int, error) {
	if l.Filters <= 0 || l.Kernel <= 0 || l.Stride < 0 {
		return nil, fmt.Errorf("Conv2D: Filters (%d) and Kernel (%d) must be positive, Stride (%d) not negative", l.Filters, l.Kernel, l.Stride)
	}
	if err := l.Activation.check(); err != nil {
		return nil, fmt.Errorf("Conv2D: %w", err)
	}
	h, w, err := spatialOut("Conv2D", in, l.Kernel, l.stride(), l.padding())
	if err != nil {
		return nil, err
	}
	return []int{h, w, l.Filters}, nil
}
func (l Conv2D) params(in []int) (int, int) {
	return l.Kernel*l.Kernel*in[2]*l.Filters + l.Filters, 0
}
func (l Conv2D) build(scope *model.Scope, x *Node) *Node {
	return l.Activation.apply(l.linear(scope, x))
}

// linear is the convolution plus bias, before the activation.
func (l Conv2D) linear(scope *model.Scope, x *Node) *Node {
	y, bias := l.linearParts(scope, x)
	return addChannelBias(y, bias)
}

// linearParts returns the convolution without its bias, and the bias
// [filters] to add to it: y + bias is linear's value. A max-pool commutes
// with the bias (Model.logits adds it after the pool).
func (l Conv2D) linearParts(scope *model.Scope, x *Node) (y, bias *Node) {
	g := x.Graph()
	inC := x.Shape().Dimensions[3]
	scope = glorotScope(scope)
	kernel := scope.VariableWithShape("kernel", shapes.Make(x.DType(), l.Kernel, l.Kernel, inC, l.Filters)).NodeValue(g)
	bias = scope.VariableWithShape("bias", shapes.Make(x.DType(), l.Filters)).NodeValue(g)
	// conv2D (conv.go) is the single lowering point for convolutions.
	return conv2D(x, kernel, l.stride(), l.padding()), bias
}

// addChannelBias adds bias [c] to the last axis of x [batch, h, w, c].
func addChannelBias(x, bias *Node) *Node {
	return Add(x, Reshape(bias, 1, 1, 1, bias.Shape().Dimensions[0]))
}

// MaxPool2D takes the maximum over Pool×Pool windows of NHWC images, like
// keras.layers.MaxPooling2D.
type MaxPool2D struct {
	// Pool is the side of the square window.
	Pool int
	// Stride defaults to Pool, like Keras.
	Stride int
	// Padding defaults to Valid; with Same, padded cells never win the max.
	Padding Padding
}

func (MaxPool2D) kerasClass() string { return "MaxPooling2D" }
func (MaxPool2D) kerasName() string  { return "max_pooling2d" }
func (l MaxPool2D) outputShape(in []int) ([]int, error) {
	return poolShape("MaxPool2D", in, l.Pool, l.Stride, l.Padding)
}
func (MaxPool2D) params([]int) (int, int) { return 0, 0 }
func (l MaxPool2D) build(_ *model.Scope, x *Node) *Node {
	return maxPool2D(x, l.Pool, cmp.Or(l.Stride, l.Pool), cmp.Or(l.Padding, Valid))
}

// AveragePool2D averages Pool×Pool windows of NHWC images, like
// keras.layers.AveragePooling2D: with Same padding, padded cells are left out
// of the average.
type AveragePool2D struct {
	// Pool is the side of the square window.
	Pool int
	// Stride defaults to Pool, like Keras.
	Stride int
	// Padding defaults to Valid.
	Padding Padding
}

func (AveragePool2D) kerasClass() string { return "AveragePooling2D" }
func (AveragePool2D) kerasName() string  { return "average_pooling2d" }
func (l AveragePool2D) outputShape(in []int) ([]int, error) {
	return poolShape("AveragePool2D", in, l.Pool, l.Stride, l.Padding)
}
func (AveragePool2D) params([]int) (int, int) { return 0, 0 }
func (l AveragePool2D) build(_ *model.Scope, x *Node) *Node {
	return avgPool2D(x, l.Pool, cmp.Or(l.Stride, l.Pool), cmp.Or(l.Padding, Valid))
}

// BatchNormalization normalizes each feature (the last axis: channels of an
// image) like keras.layers.BatchNormalization: in training with the batch's
// mean and variance, in inference with their moving averages. It holds four
// weights per feature: gamma and beta (trainable) and the moving mean and
// variance (non-trainable).
//
// It is written here rather than taken from GoMLX's norm.BatchNorm because
// the thesis's models are Keras models: Keras keeps 4 weights per feature
// (GoMLX adds a fifth, a debiasing counter), updates the moving averages
// with a plain momentum (GoMLX debiases the first steps), and back-propagates
// through the batch statistics (GoMLX stops their gradient); the Go backend
// also has no fused batch-norm op for training.
type BatchNormalization struct {
	// Momentum of the moving averages; 0 means Keras's 0.99.
	Momentum float64
	// Epsilon added to the variance; 0 means Keras's 1e-3.
	Epsilon float64
}

// momentum is the moving averages' momentum (Keras's 0.99 by default).
func (l BatchNormalization) momentum() float64 { return cmp.Or(l.Momentum, 0.99) }

func (BatchNormalization) kerasClass() string                  { return "BatchNormalization" }
func (BatchNormalization) kerasName() string                   { return "batch_normalization" }
func (BatchNormalization) outputShape(in []int) ([]int, error) { return slices.Clone(in), nil }
func (BatchNormalization) params(in []int) (int, int) {
	c := in[len(in)-1]
	return 2 * c, 2 * c
}
func (l BatchNormalization) build(scope *model.Scope, x *Node) *Node {
	g := x.Graph()
	dtype := x.DType()
	rank := x.Rank()
	c := x.Shape().Dimensions[rank-1]
	momentum := l.momentum()
	epsilon := cmp.Or(l.Epsilon, 1e-3)
	varShape := shapes.Make(dtype, c)
	gammaVar := scope.WithInitializer(initializer.One).VariableWithShape("gamma", varShape).SetTrainable(true)
	betaVar := scope.WithInitializer(initializer.Zero).VariableWithShape("beta", varShape).SetTrainable(true)
	meanVar := scope.WithInitializer(initializer.Zero).VariableWithShape("moving_mean", varShape).SetTrainable(false)
	varianceVar := scope.WithInitializer(initializer.One).VariableWithShape("moving_variance", varShape).SetTrainable(false)

	// Statistics are per feature: reduce all axes but the last.
	axes := make([]int, rank-1)
	for i := range axes {
		axes[i] = i
	}
	broadcast := make([]int, rank)
	for i := range broadcast {
		broadcast[i] = 1
	}
	broadcast[rank-1] = c
	var mean, variance, centered *Node
	if scope.IsTraining(g) {
		mean = ReduceMean(x, axes...)
		centered = Sub(x, Reshape(mean, broadcast...))
		variance = ReduceMean(Square(centered), axes...)
		m := Scalar(g, dtype, momentum)
		oneMinus := Scalar(g, dtype, 1-momentum)
		meanVar.SetNodeValue(Add(Mul(meanVar.NodeValue(g), m), Mul(StopGradient(mean), oneMinus)))
		varianceVar.SetNodeValue(Add(Mul(varianceVar.NodeValue(g), m), Mul(StopGradient(variance), oneMinus)))
	} else {
		mean = meanVar.NodeValue(g)
		variance = varianceVar.NodeValue(g)
	}
	inv := Div(gammaVar.NodeValue(g), Sqrt(AddScalar(variance, epsilon)))
	if centered == nil {
		centered = Sub(x, Reshape(mean, broadcast...))
	}
	y := Mul(centered, Reshape(inv, broadcast...))
	return Add(y, Reshape(betaVar.NodeValue(g), broadcast...))
}

// Dropout zeroes each input with probability Rate during training and scales
// the rest by 1/(1-Rate), like keras.layers.Dropout; in inference it passes
// its input through.
type Dropout struct {
	Rate float64
}

func (Dropout) kerasClass() string { return "Dropout" }
func (Dropout) kerasName() string  { return "dropout" }
func (l Dropout) outputShape(in []int) ([]int, error) {
	if l.Rate < 0 || l.Rate >= 1 {
		return nil, fmt.Errorf("Dropout: Rate must be in [0, 1), got %g", l.Rate)
	}
	return slices.Clone(in), nil
}
func (Dropout) params([]int) (int, int) { return 0, 0 }
func (l Dropout) build(scope *model.Scope, x *Node) *Node {
	// GoMLX's dropout is active only when the graph is built for training.
	return layers.DropoutStatic(scope, x, l.Rate)
}

// spatialOut checks that in is an image shape [h, w, c] and returns the
// output height and width of a window/stride/padding sweep.
func spatialOut(layer string, in []int, window, stride int, padding Padding) (h, w int, err error) {
	if len(in) != 3 {
		return 0, 0, fmt.Errorf("%s: wants images shaped (height, width, channels), got input shape %v", layer, in)
	}
	if _, _, h, err = kerasPadding(in[0], window, stride, padding); err != nil {
		return 0, 0, fmt.Errorf("%s: height: %w", layer, err)
	}
	if _, _, w, err = kerasPadding(in[1], window, stride, padding); err != nil {
		return 0, 0, fmt.Errorf("%s: width: %w", layer, err)
	}
	return h, w, nil
}

// poolShape is outputShape for the pooling layers.
func poolShape(layer string, in []int, pool, stride int, padding Padding) ([]int, error) {
	if pool <= 0 || stride < 0 {
		return nil, fmt.Errorf("%s: Pool (%d) must be positive and Stride (%d) not negative", layer, pool, stride)
	}
	h, w, err := spatialOut(layer, in, pool, cmp.Or(stride, pool), cmp.Or(padding, Valid))
	if err != nil {
		return nil, err
	}
	return []int{h, w, in[2]}, nil
}

// prod returns the product of dims (1 for none).
func prod(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}
