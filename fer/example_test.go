package fer_test

import (
	"fmt"

	"github.com/fer-thesis/fer/fer"
)

// The logistic regression of chapter 5, as a one-layer network.
func Example() {
	m, err := fer.New("circles-logistic")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(m.Summary())
	// Output:
	// Model: "circles-logistic"
	// _________________________________________________________________
	// Layer (type)                 Output Shape              Param #
	// =================================================================
	// dense (Dense)                (None, 1)                 3
	// =================================================================
	// Total params: 3
	// Trainable params: 3
	// Non-trainable params: 0
	// _________________________________________________________________
}

// A model built layer by layer, like keras.Sequential.
func ExampleNewSequential() {
	m, err := fer.NewSequential(
		fer.Input(48, 48, 1),
		fer.Rescaling{Scale: 1.0 / 255},
		fer.Conv2D{Filters: 8, Kernel: 3, Padding: fer.Same, Activation: fer.ActReLU},
		fer.MaxPool2D{Pool: 3, Stride: 2},
		fer.BatchNormalization{},
		fer.Dropout{Rate: 0.25},
		fer.Flatten{},
		fer.Dense{Units: 7, Activation: fer.ActSoftmax},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	total, trainable, nonTrainable := m.CountParams()
	fmt.Println(m)
	fmt.Println(total, trainable, nonTrainable)
	for _, l := range m.Layers() {
		fmt.Println(l.Name, l.OutputShape, l.Params)
	}
	// Output:
	// sequential: Input(48, 48, 1) → Rescaling → Conv2D → MaxPooling2D → BatchNormalization → Dropout → Flatten → Dense
	// 29743 29727 16
	// rescaling [48 48 1] 0
	// conv2d [48 48 8] 80
	// max_pooling2d [23 23 8] 0
	// batch_normalization [23 23 8] 32
	// dropout [23 23 8] 0
	// flatten [4232] 0
	// dense [7] 29631
}

// Bad layer stacks are reported, not panicked on.
func ExampleNewSequential_error() {
	_, err := fer.NewSequential(fer.Input(28, 28), fer.Conv2D{Filters: 8, Kernel: 3})
	fmt.Println(err)
	// Output:
	// fer.NewSequential: layer 1 (Conv2D) on input shape (None, 28, 28): Conv2D: wants images shaped (height, width, channels), got input shape [28 28]
}
