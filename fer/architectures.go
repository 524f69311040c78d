package fer

import (
	"fmt"
	"sort"
	"strings"
)

// Architecture is one of the thesis's models, by the name the command line
// and the notebooks use.
type Architecture struct {
	// Name is e.g. "mnist-cnn".
	Name string
	// Description is one line: data set, layers, parameter count.
	Description string
	// Params is the total parameter count Keras reports in the thesis.
	Params int
	// New builds a fresh model (weights are initialized on first use).
	New func() *Model
}

// architectures are the thesis's models, then chapter 9's fer-vgg (beyond
// the thesis). Image models take raw pixels
// (0..255) and divide them by 255 in their first layer, as the thesis's
// Keras models do (there a Lambda layer, here Rescaling; both have no
// weights).
var architectures = []Architecture{
	{"circles-logistic", "make_circles (ch. 5): logistic regression, Dense(1, sigmoid) on 2 inputs", 3, CirclesLogistic},
	{"circles-fc", "make_circles (ch. 5): Flatten → Dense 32 relu → Dense 1 sigmoid", 129, CirclesFC},
	{"mnist-fc", "MNIST (ch. 6): /255 → Flatten → Dense 190, 128, 64, 64 relu → Dense 10 softmax", 186664, MNISTFC},
	{"mnist-cnn", "MNIST (ch. 6): /255 → 4 × [Conv relu → MaxPool 2] (256, 128, 64, 64 filters) → Dense 10 softmax", 183690, MNISTCNN},
	{"fer-logistic", "FER2013 (ch. 8): multinomial logistic regression, /255 → Flatten → Dense 7 softmax", 16135, FERLogistic},
	{"fer-fc", "FER2013 (ch. 8): /255 → Dense 288, 128, 64, 64 relu → BatchNorm → Dropout 0.25 → Dense 7 softmax", 713959, FERFC},
	{"fer-cnn", "FER2013 (ch. 8): /255 → 4 × [Conv 3×3 same relu → MaxPool 3/2 → BatchNorm → Dropout 0.25] → Dense 7 softmax", 785095, FERCNN},
	{"fer-vgg", "FER2013 (beyond the thesis, ch. 9): /255 → [Conv 32] → 3 × [2 × Conv] (64, 128, 256 filters), each conv 3×3 same relu → BatchNorm, each block → MaxPool 2 → Dropout → Dense 256 relu → Dropout 0.5 → Dense 7 softmax", 1758023, FERVGG},
}

// Architectures lists the thesis's models, in the order of the thesis, and
// then this project's own (fer-vgg).
func Architectures() []Architecture {
	return append([]Architecture(nil), architectures...)
}

// ArchitectureNames returns the names of the models of Architectures, sorted.
func ArchitectureNames() []string {
	names := make([]string, len(architectures))
	for i, a := range architectures {
		names[i] = a.Name
	}
	sort.Strings(names)
	return names
}

// New builds the thesis model with the given name (see Architectures), or
// returns an error listing the known names.
func New(name string) (*Model, error) {
	for _, a := range architectures {
		if a.Name == name {
			return a.New(), nil
		}
	}
	return nil, fmt.Errorf("unknown model %q (known: %s)", name, strings.Join(ArchitectureNames(), ", "))
}

// mustSequential builds a model from a fixed layer list; those are checked
// by the tests, so an error is a programming error.
func mustSequential(name string, layers ...Layer) *Model {
	m, err := NewSequential(layers...)
	if err != nil {
		panic(fmt.Sprintf("fer: architecture %s: %v", name, err))
	}
	return m.WithName(name)
}

// CirclesLogistic is logistic regression on make_circles points (chapter 5):
// Dense(1, sigmoid) on the 2 coordinates, 3 parameters. The thesis trains it
// with SGD(0.01) and binary cross-entropy.
func CirclesLogistic() *Model {
	return mustSequential("circles-logistic", Input(2), Dense{Units: 1, Activation: ActSigmoid})
}

// CirclesFC is the one-hidden-layer network of chapter 5's lab: Flatten →
// Dense(32, relu) → Dense(1, sigmoid), 129 parameters.
func CirclesFC() *Model {
	return mustSequential("circles-fc", Input(2), Flatten{},
		Dense{Units: 32, Activation: ActReLU}, Dense{Units: 1, Activation: ActSigmoid})
}

// MNISTFC is chapter 6's fully connected network on 28×28 digits: /255 →
// Flatten → Dense 190, 128, 64, 64 (relu) → Dense(10, softmax), 186,664
// parameters.
func MNISTFC() *Model {
	return mustSequential("mnist-fc", Input(28, 28, 1), Rescaling{Scale: 1.0 / 255}, Flatten{},
		Dense{Units: 190, Activation: ActReLU}, Dense{Units: 128, Activation: ActReLU},
		Dense{Units: 64, Activation: ActReLU}, Dense{Units: 64, Activation: ActReLU},
		Dense{Units: 10, Activation: ActSoftmax})
}

// MNISTCNN is chapter 6's convolutional network on 28×28 digits: /255 →
// Conv 256 3×3 valid → MaxPool 2 → Conv 128 2×2 valid → MaxPool 2 → Conv 64
// 2×2 same → MaxPool 2 → Conv 64 2×2 same → MaxPool 2 → Flatten →
// Dense(10, softmax), all convolutions relu; 183,690 parameters.
func MNISTCNN() *Model {
	return mustSequential("mnist-cnn", Input(28, 28, 1), Rescaling{Scale: 1.0 / 255},
		Conv2D{Filters: 256, Kernel: 3, Activation: ActReLU}, MaxPool2D{Pool: 2},
		Conv2D{Filters: 128, Kernel: 2, Activation: ActReLU}, MaxPool2D{Pool: 2},
		Conv2D{Filters: 64, Kernel: 2, Padding: Same, Activation: ActReLU}, MaxPool2D{Pool: 2},
		Conv2D{Filters: 64, Kernel: 2, Padding: Same, Activation: ActReLU}, MaxPool2D{Pool: 2},
		Flatten{}, Dense{Units: 10, Activation: ActSoftmax})
}

// FERLogistic is multinomial logistic regression on FER2013's 48×48 faces as
// a network: /255 → Flatten → Dense(7, softmax), 16,135 parameters (the
// thesis fits the same model with scikit-learn's L-BFGS on standardized
// pixels).
func FERLogistic() *Model {
	return mustSequential("fer-logistic", Input(48, 48, 1), Rescaling{Scale: 1.0 / 255}, Flatten{},
		Dense{Units: 7, Activation: ActSoftmax})
}

// FERFC is chapter 8's fully connected network on FER2013: /255 → Flatten →
// Dense 288, 128, 64, 64 (relu) → BatchNormalization → Dropout(0.25) →
// Dense(7, softmax); 713,959 parameters, 713,831 trainable.
func FERFC() *Model {
	return mustSequential("fer-fc", Input(48, 48, 1), Rescaling{Scale: 1.0 / 255}, Flatten{},
		Dense{Units: 288, Activation: ActReLU}, Dense{Units: 128, Activation: ActReLU},
		Dense{Units: 64, Activation: ActReLU}, Dense{Units: 64, Activation: ActReLU},
		BatchNormalization{}, Dropout{Rate: 0.25},
		Dense{Units: 7, Activation: ActSoftmax})
}

// FERCNN is chapter 8's convolutional network on FER2013: /255 → 4 × [Conv
// 3×3 same relu (64, 64, 256, 256 filters) → MaxPool 3×3 stride 2 valid →
// BatchNormalization → Dropout(0.25)] → Flatten → Dense(7, softmax);
// 785,095 parameters, 783,815 trainable.
func FERCNN() *Model {
	layers := []Layer{Input(48, 48, 1), Rescaling{Scale: 1.0 / 255}}
	for _, f := range []int{64, 64, 256, 256} {
		layers = append(layers,
			Conv2D{Filters: f, Kernel: 3, Padding: Same, Activation: ActReLU},
			MaxPool2D{Pool: 3, Stride: 2},
			BatchNormalization{},
			Dropout{Rate: 0.25})
	}
	layers = append(layers, Flatten{}, Dense{Units: 7, Activation: ActSoftmax})
	return mustSequential("fer-cnn", layers...)
}

// FERVGG is this project's from-scratch network for FER2013, beyond the
// thesis (chapter 9): a small VGG-style network. /255 → four blocks, each
// of 3×3 same convolutions with relu, every one followed by BatchNorm, then
// MaxPool 2 and Dropout: one convolution of 32 filters at 48×48 (dropout
// 0.1), then two of 64 (0.1), two of 128 (0.2) and two of 256 (0.25) →
// Flatten (3×3×256) → Dense 256 relu → Dropout 0.5 → Dense 7 softmax;
// 1,758,023 parameters, 1,756,167 trainable.
//
// Why this shape: stacks of 3×3 convolutions are what the best published
// single networks on FER2013 use (VGG-style; Khaireddin & Chen 2021), and
// two 3×3 convolutions see a 5×5 region with fewer weights than one 5×5.
// The widths are half of theirs or less, and the 48×48 block has a single
// convolution, so that an epoch fits a 2-core CPU in about four minutes:
// the forward pass costs 96 M multiply-adds per face, 1.8 times the
// thesis's CNN (a second 32-filter convolution at 48×48 would add 21 M and,
// with its BatchNorm on the largest maps, make training 1.8 times slower).
func FERVGG() *Model {
	m, err := FERVGGWith(7, 1)
	if err != nil {
		panic(fmt.Sprintf("fer: architecture fer-vgg: %v", err))
	}
	return m
}

// FERVGGWith is FERVGG with a softmax over the given number of classes (at
// least 2) and every convolution width times width (1 to 8; the dense layer
// keeps its 256 units). FERVGGWith(7, 1) is fer-vgg itself; 8 classes make
// the network for the FER+ labels (contempt added), named "fer-vgg-8"; a
// width of 2 — the widths of Khaireddin & Chen's network, at four times the
// multiply-adds of the convolutions — is named "fer-vgg-w2" (or
// "fer-vgg-8-w2").
func FERVGGWith(classes, width int) (*Model, error) {
	if classes < 2 {
		return nil, fmt.Errorf("fer-vgg: %d classes, want at least 2", classes)
	}
	if width < 1 || width > 8 {
		return nil, fmt.Errorf("fer-vgg: width multiplier %d, want 1 to 8", width)
	}
	name := "fer-vgg"
	if classes != 7 {
		name = fmt.Sprintf("fer-vgg-%d", classes)
	}
	if width != 1 {
		name += fmt.Sprintf("-w%d", width)
	}
	layers := []Layer{Input(48, 48, 1), Rescaling{Scale: 1.0 / 255}}
	for i, f := range []int{32 * width, 64 * width, 128 * width, 256 * width} {
		layers = append(layers,
			Conv2D{Filters: f, Kernel: 3, Padding: Same, Activation: ActReLU},
			BatchNormalization{})
		if i > 0 {
			layers = append(layers, Conv2D{Filters: f, Kernel: 3, Padding: Same, Activation: ActReLU},
				BatchNormalization{})
		}
		layers = append(layers, MaxPool2D{Pool: 2},
			Dropout{Rate: []float64{0.1, 0.1, 0.2, 0.25}[i]})
	}
	layers = append(layers, Flatten{}, Dense{Units: 256, Activation: ActReLU}, Dropout{Rate: 0.5},
		Dense{Units: classes, Activation: ActSoftmax})
	m, err := NewSequential(layers...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m.WithName(name), nil
}
