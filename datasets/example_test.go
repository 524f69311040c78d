package datasets_test

import (
	"bytes"
	"fmt"

	"github.com/fer-thesis/fer/datasets"
)

// The chapter 5 data set: scikit-learn's make_circles(n_samples=1000,
// noise=0.1, random_state=1), to the last bit.
func ExampleMakeCircles() {
	X, y := datasets.MakeCircles(1000, 0.1, 1, true)
	for i := 0; i < 3; i++ {
		fmt.Printf("%s,%s,%d\n", datasets.FormatFloatRepr(X[i][0]), datasets.FormatFloatRepr(X[i][1]), y[i])
	}
	// Output:
	// 0.9278774778828033,-0.045217306252341896,1
	// -0.5430318242007203,-0.7544467420976401,1
	// 0.9246533040059183,-0.7149252151787744,0
}

// A tiny IDX file of two 2×3 images, as in MNIST's train-images file.
func ExampleParseIDX() {
	data := []byte{
		0, 0, 8, 3, // magic 2051: unsigned bytes, 3 dimensions
		0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, // 2 images of 2×3
		1, 2, 3, 4, 5, 6,
		7, 8, 9, 10, 11, 12,
	}
	idx, err := datasets.ParseIDX(bytes.NewReader(data), "tiny-images-idx3-ubyte", datasets.IDXMagicImages)
	fmt.Println(idx.Dims, idx.Data[6:], err)

	_, err = datasets.ParseIDX(bytes.NewReader(data[:20]), "short-idx3-ubyte", datasets.IDXMagicImages)
	fmt.Println(err)
	// Output:
	// [2 2 3] [7 8 9 10 11 12] <nil>
	// short-idx3-ubyte: byte offset 20: body ends after 4 bytes, expected 12 (dimensions [2 2 3]): unexpected EOF
}

// Unshuffled stratified 5-fold cross-validation, fold by fold as
// scikit-learn's StratifiedKFold(n_splits=5) assigns them.
func ExampleStratifiedKFold() {
	y := []int{0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1}
	folds, _ := datasets.StratifiedKFold(y, 5, nil)
	for k, f := range folds {
		fmt.Println(k, f.Test)
	}
	// Output:
	// 0 [0 1 5]
	// 1 [2 6 7]
	// 2 [3 8]
	// 3 [4 9]
	// 4 [10 11]
}

// The thesis's MNIST split: train_test_split(X, y, train_size=0.7,
// random_state=100) on the 60,000 training digits.
func ExampleTrainTestSplit() {
	train, val, _ := datasets.TrainTestSplit(60000, 0.7, 0, 100, nil)
	fmt.Println(len(train), train[:3], len(val), val[:3])
	// Output:
	// 42000 [30246 29403 25087] 18000 [34046 2951 5692]
}

// A digit moved one pixel right and one up; the uncovered area is 0.
func ExampleShiftImage() {
	img := []uint8{
		1, 2, 3,
		4, 5, 6,
		7, 8, 9,
	}
	out := make([]uint8, 9)
	datasets.ShiftImage(out, img, 3, 3, 1, -1)
	fmt.Println(out[0:3], out[3:6], out[6:9])
	// Output:
	// [0 4 5] [0 7 8] [0 0 0]
}
