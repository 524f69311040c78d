package fer

// This file holds the transfer-learning path of the thesis: keras-vggface's
// ResNet-50 (trained on VGGFace2) without its classifier, the layers that
// turn FER2013's 48×48 grey faces into the 224×224 RGB images it expects, the
// thesis's fine-tuning model (FERResNet50) and SGD with Nesterov momentum.
// The weights are read from keras-vggface's HDF5 file by kerash5.go; see
// docs/transfer.md for the whole recipe.

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Parameter counts of the transfer-learning models, as Keras reports them
// (trainable plus non-trainable), for RGB input.
const (
	// ResNet50Params is the size of keras-vggface's ResNet-50 without its
	// classifier: 23,508,032 trainable weights and 53,120 batch-normalization
	// moving averages.
	ResNet50Params = 23_561_152
	// FERResNet50Params is the size of the thesis's fine-tuning model: the
	// ResNet-50 plus Dense(1024) on its 2048 features and Dense(7).
	FERResNet50Params = 25_666_503
)

// VGGFaceOffset is the thesis's input offset for the ResNet-50: 128.8006 is
// subtracted from every pixel (0..255) of the RGB image.
//
// keras-vggface's own preprocess_input(version=2) instead flips RGB to BGR
// and subtracts a mean per channel (91.4953, 103.8827, 131.0912); on a grey
// face replicated to three channels the flip does nothing, and the thesis
// used the single offset.
const VGGFaceOffset = 128.8006

// ResNet50 is keras-vggface's ResNet-50 without its classifier,
// keras_vggface.VGGFace(model='resnet50', include_top=False), as one layer
// of a Sequential model (it shows in the summary as one Functional layer, as
// a nested Keras model does). It can also be used as a plain GoMLX model
// function: ResNet50{}.Build.
//
// The architecture follows keras_vggface/models.py (RESNET50,
// resnet_conv_block, resnet_identity_block): a 7×7 stride-2 "same"
// convolution, batch normalization, ReLU and a 3×3 stride-2 max pooling, then
// 16 bottleneck blocks in 4 stages (3, 4, 6 and 3 blocks with 256, 512, 1024
// and 2048 output channels) and a final 7×7 average pooling. As in
// keras-vggface (Caffe-style, unlike keras.applications' ResNet50), the
// stride of a stage's first block is on its 1×1 "reduce" convolution and on
// the 1×1 projection of the shortcut; convolutions have no bias
// (use_bias=False) and every one is followed by a BatchNormalization with
// Keras's defaults (momentum 0.99, epsilon 1e-3: keras-vggface's ResNet-50
// does not set them, unlike its SENet-50, which uses epsilon 1e-4).
//
// The weights are named after the Keras layers, so that they map 1:1 to the
// weights of keras-vggface's HDF5 file: the Keras weight
// "conv2_1_1x1_reduce/bn/gamma:0" is the variable
// <scope>/conv2_1_1x1_reduce/bn/gamma, and "conv1/7x7_s2/kernel:0" is
// <scope>/conv1/7x7_s2/kernel (kernels are HWIO, [kh, kw, in, out], as in
// Keras). LoadKerasH5 and LoadResNet50H5 read them.
//
// Shapes: on 224×224 images the last block's feature map is 7×7×2048 and
// the final AveragePooling2D((7, 7)) (layer "avg_pool", which keras-vggface
// applies with and without include_top) makes it 1×1×2048. Inputs smaller
// than 197×197 leave a feature map smaller than 7×7, which that pooling
// cannot take (Keras fails on them too); with SkipAvgPool the layer returns
// the feature map itself, ⌈⌈⌈m/2⌉/2⌉/2⌉ on a side where m =
// ⌊(⌈n/2⌉−3)/2⌋+1 for an n×n input: 1×1×2048 for 32×32 inputs, 2×2×2048 for
// 64×64 ones, 7×7×2048 for 224×224 ones.
type ResNet50 struct {
	// SkipAvgPool leaves out the final AveragePooling2D((7, 7)) ("avg_pool")
	// and returns the last block's feature map.
	SkipAvgPool bool
}

// resnetBlock is one bottleneck block of keras-vggface's ResNet-50.
type resnetBlock struct {
	stage, block int
	filters      [3]int
	stride       int
	// conv marks a "conv block", whose shortcut is a strided 1×1 projection;
	// the others are identity blocks.
	conv bool
}

// resnet50Blocks lists the blocks of RESNET50 in keras_vggface/models.py.
func resnet50Blocks() []resnetBlock {
	var blocks []resnetBlock
	for _, st := range []struct {
		stage, blocks, f1, f3, stride int
	}{{2, 3, 64, 256, 1}, {3, 4, 128, 512, 2}, {4, 6, 256, 1024, 2}, {5, 3, 512, 2048, 2}} {
		for b := 1; b <= st.blocks; b++ {
			blk := resnetBlock{stage: st.stage, block: b, filters: [3]int{st.f1, st.f1, st.f3}, stride: 1}
			if b == 1 {
				blk.conv, blk.stride = true, st.stride
			}
			blocks = append(blocks, blk)
		}
	}
	return blocks
}

// names returns the Keras names of the block's convolutions, as
// keras-vggface builds them: conv<stage>_<block>_1x1_reduce, _3x3,
// _1x1_increase and _1x1_proj.
func (b resnetBlock) names() (reduce, conv3, increase, proj string) {
	p := fmt.Sprintf("conv%d_%d_", b.stage, b.block)
	return p + "1x1_reduce", p + "3x3", p + "1x1_increase", p + "1x1_proj"
}

// resnetConv is one convolution (without bias) of the ResNet-50 and the
// batch normalization after it, named name+"/bn".
type resnetConv struct {
	name           string
	kernel, stride int
	padding        Padding
	in, out        int
}

// resnet50Convs lists the convolutions of the ResNet-50 for inputs with
// inChannels channels, in the order of the network.
func resnet50Convs(inChannels int) []resnetConv {
	convs := []resnetConv{{name: "conv1/7x7_s2", kernel: 7, stride: 2, padding: Same, in: inChannels, out: 64}}
	in := 64
	for _, b := range resnet50Blocks() {
		reduce, conv3, increase, proj := b.names()
		f := b.filters
		convs = append(convs,
			resnetConv{name: reduce, kernel: 1, stride: b.stride, padding: Valid, in: in, out: f[0]},
			resnetConv{name: conv3, kernel: 3, stride: 1, padding: Same, in: f[0], out: f[1]},
			resnetConv{name: increase, kernel: 1, stride: 1, padding: Valid, in: f[1], out: f[2]})
		if b.conv {
			convs = append(convs, resnetConv{name: proj, kernel: 1, stride: b.stride, padding: Valid, in: in, out: f[2]})
		}
		in = f[2]
	}
	return convs
}

// kerasWeight is one weight a model expects from a Keras weights file.
type kerasWeight struct {
	layer     string // Keras layer name, e.g. "conv1/7x7_s2/bn"
	name      string // weight name within the layer, e.g. "gamma"
	path      string // variable path in the store
	shape     []int
	trainable bool
}

// resnet50Weights lists the weights of a ResNet-50 whose variables live
// under the store scope prefix (e.g. "/vggface_resnet50"), layer by layer.
func resnet50Weights(prefix string, inChannels int) []kerasWeight {
	prefix = strings.TrimSuffix(prefix, "/")
	var ws []kerasWeight
	for _, c := range resnet50Convs(inChannels) {
		ws = append(ws, kerasWeight{layer: c.name, name: "kernel", path: prefix + "/" + c.name + "/kernel",
			shape: []int{c.kernel, c.kernel, c.in, c.out}, trainable: true})
		bn := c.name + "/bn"
		for _, n := range []string{"gamma", "beta", "moving_mean", "moving_variance"} {
			ws = append(ws, kerasWeight{layer: bn, name: n, path: prefix + "/" + bn + "/" + n,
				shape: []int{c.out}, trainable: n == "gamma" || n == "beta"})
		}
	}
	return ws
}

// ResNet50Layers returns the Keras names of the layers of keras-vggface's
// ResNet-50 that have weights, in the order of the network: 53
// convolutions ("conv1/7x7_s2", "conv2_1_1x1_reduce", ...) each followed by
// its batch normalization (name + "/bn").
func ResNet50Layers() []string {
	var names []string
	for _, c := range resnet50Convs(3) {
		names = append(names, c.name, c.name+"/bn")
	}
	return names
}

func (ResNet50) kerasClass() string { return "Functional" }
func (ResNet50) kerasName() string  { return "vggface_resnet50" }

func (l ResNet50) outputShape(in []int) ([]int, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("ResNet50: wants images shaped (height, width, channels), got input shape %v", in)
	}
	geo, err := resnet50Geometry(in[0], in[1])
	if err != nil {
		return nil, err
	}
	h, w := geo[len(geo)-1].outH, geo[len(geo)-1].outW
	if !l.SkipAvgPool {
		if h < 7 || w < 7 {
			return nil, fmt.Errorf("ResNet50: input %d×%d leaves a %d×%d feature map, smaller than the final 7×7 average pooling (keras-vggface's avg_pool): use inputs of at least 197×197, or SkipAvgPool", in[0], in[1], h, w)
		}
		h, w = (h-7)/7+1, (w-7)/7+1
	}
	return []int{h, w, 2048}, nil
}

// resnetConvAt is a convolution of the ResNet-50 with the sizes of its
// input and output feature maps for a given image size.
type resnetConvAt struct {
	resnetConv
	inH, inW, outH, outW int
}

// resnet50Geometry returns the convolutions of the ResNet-50 (on RGB
// images) with their feature-map sizes for height×width images, or an error
// if the images are too small for them.
func resnet50Geometry(height, width int) ([]resnetConvAt, error) {
	var out []resnetConvAt
	h, w := height, width
	conv := func(c resnetConv, h, w int) (oh, ow int, err error) {
		if oh, ow, err = spatialOut("ResNet50 "+c.name, []int{h, w, c.in}, c.kernel, c.stride, c.padding); err != nil {
			return 0, 0, err
		}
		out = append(out, resnetConvAt{resnetConv: c, inH: h, inW: w, outH: oh, outW: ow})
		return oh, ow, nil
	}
	convs := resnet50Convs(3)
	var err error
	if h, w, err = conv(convs[0], h, w); err != nil {
		return nil, err
	}
	// MaxPooling2D((3, 3), strides=(2, 2)) after conv1.
	if h, w, err = spatialOut("ResNet50 max pooling after conv1/7x7_s2", []int{h, w, 64}, 3, 2, Valid); err != nil {
		return nil, err
	}
	for _, c := range convs[1:] {
		if strings.HasSuffix(c.name, "_1x1_proj") {
			// The shortcut's projection runs on the block's input, at the
			// stride of the block's reduce convolution: same output size.
			prev := out[len(out)-3] // the block's reduce convolution
			if _, _, err = conv(c, prev.inH, prev.inW); err != nil {
				return nil, err
			}
			continue
		}
		if h, w, err = conv(c, h, w); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (l ResNet50) params(in []int) (trainable, nonTrainable int) {
	for _, w := range resnet50Weights("", in[2]) {
		if w.trainable {
			trainable += prod(w.shape)
		} else {
			nonTrainable += prod(w.shape)
		}
	}
	return trainable, nonTrainable
}

func (l ResNet50) build(scope *model.Scope, x *Node) *Node { return l.Build(scope, x) }

// Build adds the ResNet-50 to the graph of x, shaped [batch, height, width,
// channels] (images already offset, see VGGFaceOffset), with its weights
// under scope, and returns [batch, 1, 1, 2048] for 224×224 images (see
// ResNet50 for other sizes). It is a GoMLX model function: batch
// normalization uses the batch's statistics when the graph is built for
// training and the moving averages otherwise. It panics (GoMLX's way while
// building graphs) if the input is not a batch of images or is too small.
func (l ResNet50) Build(scope *model.Scope, x *Node) *Node {
	if x.Rank() != 4 {
		exceptions.Panicf("ResNet50: input must be [batch, height, width, channels], got %s", x.Shape())
	}
	if _, err := l.outputShape(x.Shape().Dimensions[1:]); err != nil {
		exceptions.Panicf("%v", err)
	}
	x = resnetConvBN(scope, "conv1/7x7_s2", x, 64, 7, 2, Same)
	x = ActReLU.apply(x)
	x = maxPool2D(x, 3, 2, Valid)
	for _, b := range resnet50Blocks() {
		reduce, conv3, increase, proj := b.names()
		f := b.filters
		y := ActReLU.apply(resnetConvBN(scope, reduce, x, f[0], 1, b.stride, Valid))
		y = ActReLU.apply(resnetConvBN(scope, conv3, y, f[1], 3, 1, Same))
		y = resnetConvBN(scope, increase, y, f[2], 1, 1, Valid)
		shortcut := x
		if b.conv {
			shortcut = resnetConvBN(scope, proj, x, f[2], 1, b.stride, Valid)
		}
		x = ActReLU.apply(Add(y, shortcut))
	}
	if !l.SkipAvgPool {
		x = avgPool2D(x, 7, 7, Valid)
	}
	return x
}

// resnetConvBN is a convolution without bias named name (its "/"-separated
// parts become nested scopes) followed by its batch normalization, in the
// sub-scope "bn" of the convolution's.
func resnetConvBN(scope *model.Scope, name string, x *Node, filters, kernel, stride int, padding Padding) *Node {
	s := scope
	for _, part := range strings.Split(name, "/") {
		s = s.In("%s", part)
	}
	cin := x.Shape().Dimensions[3]
	k := glorotScope(s).VariableWithShape("kernel", shapes.Make(x.DType(), kernel, kernel, cin, filters)).NodeValue(x.Graph())
	y := conv2D(x, k, stride, padding) // conv.go: the package's single lowering point
	return BatchNormalization{}.build(s.In("bn"), y)
}

// ResNet50MACs returns the multiply-adds of one forward pass of the
// ResNet-50's convolutions on one height×width RGB image (3.83 G for
// 224×224), or 0 if the images are too small for it. Training costs about
// three times as much (the forward pass and the gradients with respect to
// the inputs and to the weights), that is about six times as many FLOPs.
func ResNet50MACs(height, width int) int64 {
	geo, err := resnet50Geometry(height, width)
	if err != nil {
		return 0
	}
	var macs int64
	for _, c := range geo {
		macs += int64(c.outH) * int64(c.outW) * int64(c.kernel*c.kernel*c.in*c.out)
	}
	return macs
}

// Resize resizes images to Height×Width with bilinear interpolation, like
// keras.layers.Resizing(height, width) (TensorFlow's tf.image.resize,
// bilinear, half-pixel centers, no antialiasing; OpenCV's cv2.resize with
// INTER_LINEAR computes the same when enlarging). It has no weights. It is
// computed as two matrix products with constant interpolation matrices, so
// it is cheap and differentiable.
type Resize struct {
	Height, Width int
}

func (Resize) kerasClass() string { return "Resizing" }
func (Resize) kerasName() string  { return "resizing" }
func (l Resize) outputShape(in []int) ([]int, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("Resize: wants images shaped (height, width, channels), got input shape %v", in)
	}
	if l.Height <= 0 || l.Width <= 0 {
		return nil, fmt.Errorf("Resize: Height (%d) and Width (%d) must be positive", l.Height, l.Width)
	}
	return []int{l.Height, l.Width, in[2]}, nil
}
func (Resize) params([]int) (int, int) { return 0, 0 }
func (l Resize) build(_ *model.Scope, x *Node) *Node {
	g := x.Graph()
	// x is [batch, h, w, c].
	dims := x.Shape().Dimensions
	rows := ConvertDType(Const(g, bilinearMatrix(dims[1], l.Height)), x.DType()) // [H, h]
	cols := ConvertDType(Const(g, bilinearMatrix(dims[2], l.Width)), x.DType())  // [W, w]
	// Rows: [H, h] · [batch, h, w, c] over h → [H, batch, w, c].
	y := DotGeneral(rows, []int{1}, nil, x, []int{1}, nil)
	// Columns: [W, w] · [H, batch, w, c] over w → [W, H, batch, c].
	y = DotGeneral(cols, []int{1}, nil, y, []int{2}, nil)
	return TransposeAllAxes(y, 2, 1, 0, 3) // [batch, H, W, c]
}

// bilinearMatrix returns the [out, in] matrix of TensorFlow's bilinear
// resize with half-pixel centers along one axis: output i samples the input
// at (i+0.5)·in/out − 0.5, between the two nearest pixels, clamped at the
// borders.
func bilinearMatrix(in, out int) [][]float64 {
	m := make([][]float64, out)
	scale := float64(in) / float64(out)
	for i := range m {
		m[i] = make([]float64, in)
		src := (float64(i)+0.5)*scale - 0.5
		lo := math.Floor(src)
		frac := src - lo
		a := min(max(int(lo), 0), in-1)
		b := min(max(int(lo)+1, 0), in-1)
		m[i][a] += 1 - frac
		m[i][b] += frac
	}
	return m
}

// GrayToRGB turns one-channel images into three-channel ones by copying the
// channel, like tf.image.grayscale_to_rgb. It has no weights.
type GrayToRGB struct{}

func (GrayToRGB) kerasClass() string { return "GrayscaleToRGB" }
func (GrayToRGB) kerasName() string  { return "grayscale_to_rgb" }
func (GrayToRGB) outputShape(in []int) ([]int, error) {
	if len(in) != 3 || in[2] != 1 {
		return nil, fmt.Errorf("GrayToRGB: wants one-channel images (height, width, 1), got input shape %v", in)
	}
	return []int{in[0], in[1], 3}, nil
}
func (GrayToRGB) params([]int) (int, int) { return 0, 0 }
func (GrayToRGB) build(_ *model.Scope, x *Node) *Node {
	return Concatenate([]*Node{x, x, x}, 3)
}

// FERResNet50 is the thesis's transfer-learning model on FER2013: it takes
// the raw 48×48 grey faces (pixels 0..255, as fer.FromImageSet gives them)
// and
//
//   - resizes them to 224×224 (Resize, bilinear) and copies the grey channel
//     to R, G and B (GrayToRGB), so the thesis's 224×224 RGB copies of the
//     faces are made on the fly instead of being stored (28,709 such images
//     take 17 GB as float32);
//   - subtracts 128.8006 (Rescaling, VGGFaceOffset);
//   - runs keras-vggface's ResNet-50 without its classifier (ResNet50),
//     1×1×2048;
//   - then the thesis's head: AveragePooling 2×2 → Flatten → Dense(1024,
//     relu) → Dense(7, softmax).
//
// 25,666,503 parameters (FERResNet50Params): 23,561,152 in the ResNet-50,
// 2,098,176 in Dense(1024) on 2048 features and 7,175 in Dense(7). That
// total is only possible if the 2×2 average pooling leaves the 1×1×2048 map
// as it is, which Keras's AveragePooling2D((2, 2)) does with
// padding='same' (with the default 'valid', a 2×2 window does not fit in a
// 1×1 map and no 2048 features reach Dense(1024)); the pooling here uses
// Same padding, under which it is the identity on 1×1×2048.
//
// Load the pre-trained weights with LoadKerasH5 before training (the head
// starts glorot-uniform, as in Keras); see docs/transfer.md.
func FERResNet50() *Model {
	return mustSequential("fer-resnet50", Input(48, 48, 1),
		Resize{Height: 224, Width: 224}, GrayToRGB{},
		Rescaling{Scale: 1, Offset: -VGGFaceOffset},
		ResNet50{},
		AveragePool2D{Pool: 2, Padding: Same}, Flatten{},
		Dense{Units: 1024, Activation: ActReLU},
		Dense{Units: 7, Activation: ActSoftmax})
}

// NesterovSGD is stochastic gradient descent with (Nesterov) momentum as
// Keras computes it (keras.optimizers.SGD(learning_rate, momentum,
// nesterov)), as a GoMLX optimizer, for the thesis's fine-tuning (SGD,
// learning rate 1e-4, momentum 0.9, Nesterov). For every trainable weight w
// with gradient g and velocity v (starting at 0):
//
//	v ← momentum·v − lr·g
//	w ← w + momentum·v − lr·g   (Nesterov)
//	w ← w + v                   (classical momentum)
//
// GoMLX v0.28's own SGD has no momentum, and fer's Optimizer (SGD, Adam) is
// built in train.go, so fer's Compile/Fit cannot use this yet: use it with
// GoMLX's train.Trainer on the model's ModelFn and Store (docs/transfer.md
// shows how).
type NesterovSGD struct {
	LearningRate float64
	Momentum     float64
	// Classical uses classical momentum instead of Nesterov's.
	Classical bool
}

var _ optimizer.Interface = NesterovSGD{}

// nesterovScope is the store scope of NesterovSGD's velocities.
const nesterovScope = "sgd_momentum"

// UpdateGraph implements GoMLX's optimizer.Interface.
func (o NesterovSGD) UpdateGraph(scope *model.Scope, g *Graph, loss *Node) {
	if !loss.Shape().IsScalar() {
		exceptions.Panicf("NesterovSGD: the loss must be a scalar, got %s", loss.Shape())
	}
	grads := scope.BuildTrainableVariablesGradientsGraph(loss)
	lr := optimizer.LearningRateVar(scope, loss.DType(), o.LearningRate).NodeValue(g)
	optimizer.IncrementGlobalStep(g, loss.DType())
	i := 0
	for v := range scope.IterVariables() {
		if !v.Trainable || !v.InUseByGraph(g) {
			continue
		}
		if i >= len(grads) {
			exceptions.Panicf("NesterovSGD: more trainable variables than gradients: were variables created in between?")
		}
		grad := grads[i]
		i++
		w := v.NodeValue(g)
		vel := scope.Store().Scope(model.JoinPath("/", nesterovScope, v.Scope())).
			WithInitializer(initializer.Zero).
			VariableWithShape(v.Name()+"_velocity", w.Shape()).
			SetTrainable(false)
		step := Mul(grad, ConvertDType(lr, w.DType())) // lr·g
		newVel := Sub(MulScalar(vel.NodeValue(g), o.Momentum), step)
		vel.SetNodeValue(newVel)
		if o.Classical {
			v.SetNodeValue(Add(w, newVel))
		} else {
			v.SetNodeValue(Sub(Add(w, MulScalar(newVel, o.Momentum)), step))
		}
	}
	if i != len(grads) {
		exceptions.Panicf("NesterovSGD: %d gradients for %d trainable variables", len(grads), i)
	}
}

// Clear implements GoMLX's optimizer.Interface: it deletes the velocities.
func (o NesterovSGD) Clear(scope *model.Scope) error {
	return scope.Store().DeleteVariablesInScope("/" + nesterovScope)
}
