package datasets

import (
	"fmt"
)

// ImageSet is a labelled set of grayscale images, row-major, N*Height*Width bytes.
type ImageSet struct {
	Name          string   // e.g. "FER2013/Training"
	Height, Width int      // size of every image, in pixels
	Pixels        []uint8  // len N*Height*Width, image i at [i*Height*Width, (i+1)*Height*Width)
	Labels        []int32  // len N, 0..len(ClassNames)-1
	ClassNames    []string // English
}

// Len returns the number of images in the set.
func (s *ImageSet) Len() int { return len(s.Labels) }

// ImageSize returns the number of pixels of one image, Height*Width.
func (s *ImageSet) ImageSize() int { return s.Height * s.Width }

// Image returns the pixels of image i, a sub-slice of s.Pixels (not a copy).
func (s *ImageSet) Image(i int) []uint8 {
	n := s.ImageSize()
	return s.Pixels[i*n : (i+1)*n : (i+1)*n]
}

// Float32 returns all pixels converted to float32 and multiplied by scale
// (e.g. 1, or 1.0/255 to map them to [0, 1]), in the same row-major order.
func (s *ImageSet) Float32(scale float32) []float32 {
	out := make([]float32, len(s.Pixels))
	var lut [256]float32
	for v := range lut {
		lut[v] = float32(v) * scale
	}
	for i, p := range s.Pixels {
		out[i] = lut[p]
	}
	return out
}

// Subset returns a new set holding copies of the images and labels at the
// given indices, in that order. Indices may repeat. It panics if an index is
// out of range, like slice indexing.
func (s *ImageSet) Subset(idx []int) *ImageSet {
	n := s.ImageSize()
	out := &ImageSet{
		Name:       s.Name,
		Height:     s.Height,
		Width:      s.Width,
		Pixels:     make([]uint8, len(idx)*n),
		Labels:     make([]int32, len(idx)),
		ClassNames: s.ClassNames,
	}
	for j, i := range idx {
		copy(out.Pixels[j*n:(j+1)*n], s.Image(i))
		out.Labels[j] = s.Labels[i]
	}
	return out
}

// ClassCounts returns the number of images of each class, indexed by label;
// its length is len(ClassNames) (or larger if a label exceeds it).
func (s *ImageSet) ClassCounts() []int {
	counts := make([]int, len(s.ClassNames))
	for _, l := range s.Labels {
		if l < 0 {
			continue
		}
		for int(l) >= len(counts) {
			counts = append(counts, 0)
		}
		counts[l]++
	}
	return counts
}

// IntLabels returns the labels as a new []int, handy for the split functions.
func (s *ImageSet) IntLabels() []int {
	out := make([]int, len(s.Labels))
	for i, l := range s.Labels {
		out[i] = int(l)
	}
	return out
}

// MeanPixel returns the mean of all pixel values (0 for an empty set).
func (s *ImageSet) MeanPixel() float64 {
	if len(s.Pixels) == 0 {
		return 0
	}
	var hist [256]int
	for _, p := range s.Pixels {
		hist[p]++
	}
	var sum float64
	for v, c := range hist {
		sum += float64(v) * float64(c)
	}
	return sum / float64(len(s.Pixels))
}

// Validate checks that the sizes agree and every label is within
// 0..len(ClassNames)-1.
func (s *ImageSet) Validate() error {
	if s.Height <= 0 || s.Width <= 0 {
		return fmt.Errorf("%s: image size %dx%d, expected positive", s.Name, s.Height, s.Width)
	}
	if len(s.Pixels) != len(s.Labels)*s.ImageSize() {
		return fmt.Errorf("%s: %d pixels for %d images of %dx%d, expected %d",
			s.Name, len(s.Pixels), len(s.Labels), s.Height, s.Width, len(s.Labels)*s.ImageSize())
	}
	for i, l := range s.Labels {
		if l < 0 || int(l) >= len(s.ClassNames) {
			return fmt.Errorf("%s: image %d: label %d, expected 0..%d", s.Name, i, l, len(s.ClassNames)-1)
		}
	}
	return nil
}
