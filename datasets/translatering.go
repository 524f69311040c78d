package datasets

import "fmt"

// TranslateAtDistance is Translate with every image moved by exactly dist
// pixels: each image gets its own offset (dx, dy), drawn uniformly from the
// 8·dist offsets with max(|dx|, |dy|) = dist (the square ring of radius
// dist), so a digit can move sideways, up or down, or diagonally. Measuring
// a model on dist = 0, 1, 2, 3 shows how its accuracy falls with the size of
// the shift, on the same images each time. The offsets come from
// NewRandomState(seed) (one RandomState.Interval draw per image) and are
// returned too; dist = 0 returns an unshifted copy. dist must be at least 0.
func TranslateAtDistance(s *ImageSet, dist int, seed uint32) (*ImageSet, [][2]int, error) {
	if dist < 0 {
		return nil, nil, fmt.Errorf("translate at distance: dist %d, expected at least 0", dist)
	}
	choices := [][2]int{{0, 0}}
	if dist > 0 {
		choices = choices[:0]
		for dy := -dist; dy <= dist; dy++ {
			for dx := -dist; dx <= dist; dx++ {
				if max(dx, -dx, dy, -dy) == dist {
					choices = append(choices, [2]int{dx, dy})
				}
			}
		}
	}
	rs := NewRandomState(seed)
	out := &ImageSet{
		Name:       fmt.Sprintf("%s translated by %d", s.Name, dist),
		Height:     s.Height,
		Width:      s.Width,
		Pixels:     make([]uint8, len(s.Pixels)),
		Labels:     append([]int32(nil), s.Labels...),
		ClassNames: s.ClassNames,
	}
	offsets := make([][2]int, s.Len())
	n := s.ImageSize()
	for i := range offsets {
		o := choices[0]
		if len(choices) > 1 {
			o = choices[rs.Interval(uint64(len(choices)-1))]
		}
		offsets[i] = o
		ShiftImage(out.Pixels[i*n:(i+1)*n], s.Image(i), s.Height, s.Width, o[0], o[1])
	}
	return out, offsets, nil
}
