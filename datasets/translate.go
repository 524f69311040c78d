package datasets

import "fmt"

// ShiftImage writes into dst (h×w, row-major) the image src moved dx pixels
// right and dy pixels down (negative values move left and up); pixels
// shifted in from outside are 0 and pixels shifted out are lost. dst and
// src must not overlap.
func ShiftImage(dst, src []uint8, h, w, dx, dy int) {
	for r := 0; r < h; r++ {
		row := dst[r*w : (r+1)*w]
		sr := r - dy
		if sr < 0 || sr >= h {
			clear(row)
			continue
		}
		srow := src[sr*w : (sr+1)*w]
		for c := range row {
			sc := c - dx
			if sc < 0 || sc >= w {
				row[c] = 0
			} else {
				row[c] = srow[sc]
			}
		}
	}
}

// Shift returns a copy of s with every image moved by (dx, dy) as in
// ShiftImage, e.g. to measure accuracy against the size of the shift.
func (s *ImageSet) Shift(dx, dy int) *ImageSet {
	out := &ImageSet{
		Name:       fmt.Sprintf("%s shifted (%d,%d)", s.Name, dx, dy),
		Height:     s.Height,
		Width:      s.Width,
		Pixels:     make([]uint8, len(s.Pixels)),
		Labels:     append([]int32(nil), s.Labels...),
		ClassNames: s.ClassNames,
	}
	n := s.ImageSize()
	for i := 0; i < s.Len(); i++ {
		ShiftImage(out.Pixels[i*n:(i+1)*n], s.Image(i), s.Height, s.Width, dx, dy)
	}
	return out
}

// Translate moves every image of s by its own integer offset (dx, dy),
// drawn uniformly from [-maxShift, maxShift]² without (0, 0), with the
// uncovered area filled with 0. This is milder than MNIST-C's "translate"
// corruption, which moves every digit by exactly (±s, ±s); for that, use
// TranslateDiagonal. The offsets, one per image, come from
// NewRandomState(seed) (one RandomState.Interval draw per image) and are
// returned too. maxShift must be at least 1; the thesis uses 3.
func Translate(s *ImageSet, maxShift int, seed uint32) (*ImageSet, [][2]int, error) {
	if maxShift < 1 {
		return nil, nil, fmt.Errorf("translate: maxShift %d, expected at least 1", maxShift)
	}
	side := 2*maxShift + 1
	choices := make([][2]int, 0, side*side-1) // all offsets but (0, 0), row by row
	for dy := -maxShift; dy <= maxShift; dy++ {
		for dx := -maxShift; dx <= maxShift; dx++ {
			if dx != 0 || dy != 0 {
				choices = append(choices, [2]int{dx, dy})
			}
		}
	}
	out, offsets := translateByChoice(s, fmt.Sprintf("%s translated ±%d", s.Name, maxShift), choices, seed)
	return out, offsets, nil
}

// translateByChoice moves every image of s by one of choices, drawn
// uniformly with NumPy's RandomState(seed).randint, and returns the moved
// copy (named name) and each image's (dx, dy).
func translateByChoice(s *ImageSet, name string, choices [][2]int, seed uint32) (*ImageSet, [][2]int) {
	rs := NewRandomState(seed)
	out := &ImageSet{
		Name:       name,
		Height:     s.Height,
		Width:      s.Width,
		Pixels:     make([]uint8, len(s.Pixels)),
		Labels:     append([]int32(nil), s.Labels...),
		ClassNames: s.ClassNames,
	}
	offsets := make([][2]int, s.Len())
	n := s.ImageSize()
	for i := range offsets {
		o := choices[rs.Interval(uint64(len(choices)-1))]
		offsets[i] = o
		ShiftImage(out.Pixels[i*n:(i+1)*n], s.Image(i), s.Height, s.Width, o[0], o[1])
	}
	return out, offsets
}
