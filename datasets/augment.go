package datasets

import (
	"fmt"
	"math"
)

// Image operations for data augmentation. They work on one float32 image
// stored channels-last, row-major: pixel (y, x), channel k is at
// img[(y*w+x)*c+k] (the layout of fer.Data). Each takes the destination and
// the source (which must not overlap unless said otherwise) and returns an
// error, never panics, when a size or an option is wrong.

// FillMode says how an operation reads pixels outside the source image, as
// Keras's fill_mode.
type FillMode string

const (
	// FillConstant reads 0 outside the image (zero padding).
	FillConstant FillMode = "constant"
	// FillNearest repeats the edge pixel: (a a a | a b c d | d d d).
	FillNearest FillMode = "nearest"
	// FillReflect mirrors the image about its edge, the edge pixel included:
	// (d c b a | a b c d | d c b a), like Keras's "reflect" and NumPy's
	// "symmetric" (not torchvision's "reflect", which skips the edge pixel).
	FillReflect FillMode = "reflect"
)

// Valid returns an error unless f is one of the FillMode constants.
func (f FillMode) Valid() error {
	switch f {
	case FillConstant, FillNearest, FillReflect:
		return nil
	}
	return fmt.Errorf("unknown fill mode %q (want %q, %q or %q)", string(f), FillConstant, FillNearest, FillReflect)
}

// index maps a coordinate i of a line of n pixels to the pixel read for it,
// or -1 for the constant fill.
func (f FillMode) index(i, n int) int {
	if i >= 0 && i < n {
		return i
	}
	switch f {
	case FillNearest:
		return min(max(i, 0), n-1)
	case FillReflect:
		p := 2 * n
		i %= p
		if i < 0 {
			i += p
		}
		if i >= n {
			i = p - 1 - i
		}
		return i
	}
	return -1
}

// checkImage checks the sizes of an image operation.
func checkImage(op string, dst, src []float32, h, w, c int) error {
	if h <= 0 || w <= 0 || c <= 0 {
		return fmt.Errorf("%s: image shape (%d, %d, %d): every dimension must be positive", op, h, w, c)
	}
	n := h * w * c
	if len(src) != n || (dst != nil && len(dst) != n) {
		return fmt.Errorf("%s: image shape (%d, %d, %d) needs %d values, got source %d, destination %d", op, h, w, c, n, len(src), len(dst))
	}
	return nil
}

// FlipHorizontal writes into dst the image src mirrored left-right: dst
// pixel (y, x) is src pixel (y, w-1-x). dst may be src (in place).
func FlipHorizontal(dst, src []float32, h, w, c int) error {
	if err := checkImage("FlipHorizontal", dst, src, h, w, c); err != nil {
		return err
	}
	for y := range h {
		row := y * w * c
		for x := range (w + 1) / 2 {
			a, b := row+x*c, row+(w-1-x)*c
			for k := range c {
				dst[a+k], dst[b+k] = src[b+k], src[a+k]
			}
		}
	}
	return nil
}

// PadCrop writes into dst the h×w window at offset (dy, dx) of src padded
// by pad pixels on every side: dst pixel (y, x) is the padded image's pixel
// (y+dy, x+dx), that is src pixel (y+dy-pad, x+dx-pad), read through fill
// outside src. The offsets range over 0..2·pad; (pad, pad) copies src. This
// is the "random crop with padding" of CIFAR-style augmentation when the
// offsets are drawn at random.
func PadCrop(dst, src []float32, h, w, c, pad, dy, dx int, fill FillMode) error {
	if err := checkImage("PadCrop", dst, src, h, w, c); err != nil {
		return err
	}
	if err := fill.Valid(); err != nil {
		return fmt.Errorf("PadCrop: %w", err)
	}
	if pad < 0 {
		return fmt.Errorf("PadCrop: padding must not be negative, got %d", pad)
	}
	if dy < 0 || dy > 2*pad || dx < 0 || dx > 2*pad {
		return fmt.Errorf("PadCrop: offset (%d, %d) out of range 0..%d for padding %d", dy, dx, 2*pad, pad)
	}
	for y := range h {
		sy := fill.index(y+dy-pad, h)
		for x := range w {
			sx := fill.index(x+dx-pad, w)
			d := (y*w + x) * c
			if sy < 0 || sx < 0 {
				clear(dst[d : d+c])
				continue
			}
			s := (sy*w + sx) * c
			copy(dst[d:d+c], src[s:s+c])
		}
	}
	return nil
}

// Affine describes a similarity transform of an image about its center
// ((w-1)/2, (h-1)/2): a rotation, a zoom and a translation, applied in that
// order to the image content.
type Affine struct {
	// Degrees rotates the content counterclockwise as displayed (y down).
	Degrees float64
	// Scale zooms the content: 1 keeps its size, 1.1 enlarges it by 10%.
	// Zero means 1.
	Scale float64
	// TX and TY translate the content by that many pixels, right and down.
	TX, TY float64
}

// Warp writes into dst the image src transformed by a, sampled bilinearly:
// dst pixel p is src at c + R(-θ)·(p - c - t)/s, each of the four
// neighbouring source pixels being read through fill when outside src. The
// identity transform (Affine{}) copies src exactly.
func Warp(dst, src []float32, h, w, c int, a Affine, fill FillMode) error {
	if err := checkImage("Warp", dst, src, h, w, c); err != nil {
		return err
	}
	if err := fill.Valid(); err != nil {
		return fmt.Errorf("Warp: %w", err)
	}
	s := a.Scale
	if s == 0 {
		s = 1
	}
	if !(s > 0) || math.IsInf(s, 0) || math.IsNaN(a.Degrees) || math.IsInf(a.Degrees, 0) ||
		math.IsNaN(a.TX) || math.IsInf(a.TX, 0) || math.IsNaN(a.TY) || math.IsInf(a.TY, 0) {
		return fmt.Errorf("Warp: transform %+v: the scale must be positive and every value finite", a)
	}
	rad := a.Degrees * math.Pi / 180
	cos, sin := math.Cos(rad), math.Sin(rad)
	if a.Degrees == 0 {
		cos, sin = 1, 0
	}
	cx, cy := float64(w-1)/2, float64(h-1)/2
	at := func(sy, sx, k int) float32 {
		sy, sx = fill.index(sy, h), fill.index(sx, w)
		if sy < 0 || sx < 0 {
			return 0
		}
		return src[(sy*w+sx)*c+k]
	}
	for y := range h {
		for x := range w {
			// Inverse map: the source point whose content lands on (x, y).
			px, py := (float64(x)-cx-a.TX)/s, (float64(y)-cy-a.TY)/s
			qx := px*cos - py*sin + cx
			qy := px*sin + py*cos + cy
			x0, y0 := math.Floor(qx), math.Floor(qy)
			fx, fy := qx-x0, qy-y0
			ix, iy := int(x0), int(y0)
			d := (y*w + x) * c
			if fx == 0 && fy == 0 && ix >= 0 && ix < w && iy >= 0 && iy < h {
				copy(dst[d:d+c], src[(iy*w+ix)*c:(iy*w+ix)*c+c])
				continue
			}
			for k := range c {
				v00, v01 := float64(at(iy, ix, k)), float64(at(iy, ix+1, k))
				v10, v11 := float64(at(iy+1, ix, k)), float64(at(iy+1, ix+1, k))
				top := v00 + (v01-v00)*fx
				bot := v10 + (v11-v10)*fx
				dst[d+k] = float32(top + (bot-top)*fy)
			}
		}
	}
	return nil
}

// Rect is a rectangle of pixels: rows Y..Y+H-1, columns X..X+W-1.
type Rect struct{ Y, X, H, W int }

// Erase sets every channel of the pixels of r in img (in place) to
// value(i), i counting the erased values in row-major order from 0; a nil
// value erases with zeros. r must lie within the image.
func Erase(img []float32, h, w, c int, r Rect, value func(i int) float32) error {
	if err := checkImage("Erase", nil, img, h, w, c); err != nil {
		return err
	}
	if r.H < 0 || r.W < 0 || r.Y < 0 || r.X < 0 || r.Y+r.H > h || r.X+r.W > w {
		return fmt.Errorf("Erase: rectangle %+v outside the %d×%d image", r, h, w)
	}
	i := 0
	for y := r.Y; y < r.Y+r.H; y++ {
		row := img[(y*w+r.X)*c : (y*w+r.X+r.W)*c]
		if value == nil {
			clear(row)
			continue
		}
		for j := range row {
			row[j] = value(i)
			i++
		}
	}
	return nil
}

// EraseRect picks the rectangle of random erasing (Zhong et al., 2017) in
// an h×w image: up to attempts times it draws a target area
// S = uniform(areaMin, areaMax)·h·w and an aspect ratio r = H/W
// log-uniformly in [aspectMin, aspectMax], rounds H = √(S·r) and W = √(S/r)
// to the nearest integers, and keeps the first H×W that fits in the image
// (1 ≤ H ≤ h, 1 ≤ W ≤ w), at a uniformly random position. ok is false when
// no attempt fitted. uniform must return values uniform in [0, 1) and
// intn values uniform in [0, n).
func EraseRect(h, w int, areaMin, areaMax, aspectMin, aspectMax float64, attempts int, uniform func() float64, intn func(n int) int) (r Rect, ok bool) {
	for range attempts {
		area := (areaMin + (areaMax-areaMin)*uniform()) * float64(h*w)
		la, lb := math.Log(aspectMin), math.Log(aspectMax)
		ratio := math.Exp(la + (lb-la)*uniform())
		eh := int(math.Round(math.Sqrt(area * ratio)))
		ew := int(math.Round(math.Sqrt(area / ratio)))
		if eh < 1 || ew < 1 || eh > h || ew > w {
			continue
		}
		return Rect{Y: intn(h - eh + 1), X: intn(w - ew + 1), H: eh, W: ew}, true
	}
	return Rect{}, false
}
