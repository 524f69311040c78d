package datasets

import "fmt"

// TranslateDiagonal moves every image of s by shift pixels horizontally and
// shift pixels vertically: its offset (dx, dy) is one of (±shift, ±shift),
// drawn at random per image, and the uncovered area is filled with 0. This is
// what the translate corruption of MNIST-C (Mu & Gilmer 2019,
// google-research/mnist-c) does at severity shift, and its published data
// set (TensorFlow Datasets' mnist_corrupted/translate, the thesis's
// translated test set) uses severity 3: every digit moved 3 pixels left or
// right and 3 up or down. The offsets come from NewRandomState(seed) (one
// RandomState.Interval draw per image) and are returned too; shift 0 returns
// an unshifted copy. shift must be at least 0.
func TranslateDiagonal(s *ImageSet, shift int, seed uint32) (*ImageSet, [][2]int, error) {
	if shift < 0 {
		return nil, nil, fmt.Errorf("translate diagonally: shift %d, expected at least 0", shift)
	}
	corners := [][2]int{{-shift, -shift}, {shift, -shift}, {-shift, shift}, {shift, shift}}
	out, offsets := translateByChoice(s, fmt.Sprintf("%s translated by (±%d, ±%d)", s.Name, shift, shift), corners, seed)
	return out, offsets, nil
}
