package datasets

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// ramp returns an h×w×c image whose value at (y, x, k) is 100y + 10x + k.
func ramp(h, w, c int) []float32 {
	img := make([]float32, h*w*c)
	for y := range h {
		for x := range w {
			for k := range c {
				img[(y*w+x)*c+k] = float32(100*y + 10*x + k)
			}
		}
	}
	return img
}

func TestAugmentFlipHorizontal(t *testing.T) {
	src := ramp(2, 3, 2)
	dst := make([]float32, len(src))
	if err := FlipHorizontal(dst, src, 2, 3, 2); err != nil {
		t.Fatal(err)
	}
	want := []float32{20, 21, 10, 11, 0, 1, 120, 121, 110, 111, 100, 101}
	if !slices.Equal(dst, want) {
		t.Errorf("flip = %v, want %v", dst, want)
	}
	// In place, and twice is the identity.
	if err := FlipHorizontal(dst, dst, 2, 3, 2); err != nil || !slices.Equal(dst, src) {
		t.Errorf("flip twice = %v (%v), want %v", dst, err, src)
	}
}

func TestAugmentPadCrop(t *testing.T) {
	src := ramp(3, 3, 1) // rows 0 1 2 / 100 101... as 100y+10x
	dst := make([]float32, 9)
	for _, c := range []struct {
		fill   FillMode
		dy, dx int
		want   []float32
	}{
		// Offset (pad, pad) is the identity.
		{FillConstant, 1, 1, src},
		// Offset (0, 0): shifted down-right by one, zeros on top and left.
		{FillConstant, 0, 0, []float32{0, 0, 0, 0, 0, 10, 0, 100, 110}},
		// Offset (2, 2): shifted up-left by one, zeros at the bottom and right.
		{FillConstant, 2, 2, []float32{110, 120, 0, 210, 220, 0, 0, 0, 0}},
		// Nearest and reflect repeat the edge for a 1-pixel pad.
		{FillNearest, 0, 1, []float32{0, 10, 20, 0, 10, 20, 100, 110, 120}},
		{FillReflect, 1, 0, []float32{0, 0, 10, 100, 100, 110, 200, 200, 210}},
	} {
		if err := PadCrop(dst, src, 3, 3, 1, 1, c.dy, c.dx, c.fill); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(dst, c.want) {
			t.Errorf("%s offset (%d, %d) = %v, want %v", c.fill, c.dy, c.dx, dst, c.want)
		}
	}
	// Reflect beyond one pixel mirrors about the edge, the edge included:
	// a 2-pixel pad of the row (0 10 20) reads (10 0 | 0 10 20 | 20 10).
	row := []float32{0, 10, 20}
	out := make([]float32, 3)
	if err := PadCrop(out, row, 1, 3, 1, 2, 2, 0, FillReflect); err != nil || !slices.Equal(out, []float32{10, 0, 0}) {
		t.Errorf("reflect pad 2 = %v (%v), want [10 0 0]", out, err)
	}
	if err := PadCrop(out, row, 1, 3, 1, 2, 2, 4, FillReflect); err != nil || !slices.Equal(out, []float32{20, 20, 10}) {
		t.Errorf("reflect pad 2 right = %v (%v), want [20 20 10]", out, err)
	}
}

func TestAugmentWarp(t *testing.T) {
	src := ramp(5, 4, 2)
	dst := make([]float32, len(src))
	// Rotation by 0 (and scale 1, no translation) is the identity, exactly.
	for _, a := range []Affine{{}, {Degrees: 0, Scale: 1}} {
		if err := Warp(dst, src, 5, 4, 2, a, FillConstant); err != nil || !slices.Equal(dst, src) {
			t.Errorf("Warp(%+v) = %v (%v), want the source", a, dst, err)
		}
	}
	// A 90° rotation of a square image moves the top-right corner to the
	// top-left (counterclockwise as displayed).
	sq := ramp(3, 3, 1)
	out := make([]float32, 9)
	if err := Warp(out, sq, 3, 3, 1, Affine{Degrees: 90}, FillConstant); err != nil {
		t.Fatal(err)
	}
	want := []float32{20, 120, 220, 10, 110, 210, 0, 100, 200}
	for i := range want {
		if math.Abs(float64(out[i]-want[i])) > 1e-4 {
			t.Fatalf("rotation by 90° = %v, want %v", out, want)
		}
	}
	// An integer translation right by one with zero fill.
	if err := Warp(out, sq, 3, 3, 1, Affine{TX: 1}, FillConstant); err != nil || !slices.Equal(out, []float32{0, 0, 10, 0, 100, 110, 0, 200, 210}) {
		t.Errorf("translation = %v (%v)", out, err)
	}
	// A half-pixel translation averages neighbours (bilinear).
	if err := Warp(out, sq, 3, 3, 1, Affine{TX: 0.5}, FillNearest); err != nil || !slices.Equal(out, []float32{0, 5, 15, 100, 105, 115, 200, 205, 215}) {
		t.Errorf("half-pixel translation = %v (%v)", out, err)
	}
	// Zoom by 2 about the center of a 3×3 image keeps the center pixel.
	if err := Warp(out, sq, 3, 3, 1, Affine{Scale: 2}, FillConstant); err != nil || out[4] != 110 || out[0] != 55 {
		t.Errorf("zoom = %v (%v), want center 110 and corner 55", out, err)
	}
}

func TestAugmentErase(t *testing.T) {
	img := ramp(4, 4, 2)
	if err := Erase(img, 4, 4, 2, Rect{Y: 1, X: 2, H: 2, W: 2}, func(int) float32 { return -1 }); err != nil {
		t.Fatal(err)
	}
	erased := 0
	for y := range 4 {
		for x := range 4 {
			inside := y >= 1 && y < 3 && x >= 2
			for k := range 2 {
				v := img[(y*4+x)*2+k]
				if inside != (v == -1) {
					t.Errorf("pixel (%d, %d, %d) = %v, inside %v", y, x, k, v, inside)
				}
				if v == -1 {
					erased++
				}
			}
		}
	}
	if erased != 8 {
		t.Errorf("erased %d values, want 8", erased)
	}
	// EraseRect: the area and aspect are within bounds and the rectangle
	// fits, for many draws.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		r, ok := EraseRect(48, 48, 0.02, 0.4, 0.3, 1/0.3, 100, rng.Float64, rng.IntN)
		if !ok {
			t.Fatal("no rectangle fitted in 100 attempts")
		}
		if r.Y < 0 || r.X < 0 || r.Y+r.H > 48 || r.X+r.W > 48 || r.H < 1 || r.W < 1 {
			t.Fatalf("rectangle %+v outside 48×48", r)
		}
		// Rounding each side moves the area by at most about one side's worth.
		area := float64(r.H*r.W) / (48 * 48)
		if area < 0.02-float64(r.H+r.W+1)/(48*48) || area > 0.4+float64(r.H+r.W+1)/(48*48) {
			t.Fatalf("rectangle %+v covers %.3f of the image, want 0.02..0.4", r, area)
		}
	}
	// A full-image erase fits only as the whole image.
	if r, ok := EraseRect(4, 4, 1, 1, 1, 1, 10, rng.Float64, rng.IntN); !ok || r != (Rect{0, 0, 4, 4}) {
		t.Errorf("area 1: %+v, %v", r, ok)
	}
}

func TestAugmentBadInput(t *testing.T) {
	img := ramp(3, 3, 1)
	dst := make([]float32, 9)
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"short", FlipHorizontal(dst, img[:8], 3, 3, 1), "needs 9 values"},
		{"zero dim", FlipHorizontal(dst, img, 0, 3, 1), "must be positive"},
		{"negative pad", PadCrop(dst, img, 3, 3, 1, -1, 0, 0, FillConstant), "must not be negative"},
		{"offset", PadCrop(dst, img, 3, 3, 1, 1, 3, 0, FillConstant), "out of range"},
		{"fill", PadCrop(dst, img, 3, 3, 1, 1, 0, 0, "wrap"), "unknown fill mode"},
		{"scale", Warp(dst, img, 3, 3, 1, Affine{Scale: -1}, FillConstant), "scale must be positive"},
		{"nan", Warp(dst, img, 3, 3, 1, Affine{Degrees: math.NaN()}, FillConstant), "finite"},
		{"erase outside", Erase(img, 3, 3, 1, Rect{Y: 2, X: 0, H: 2, W: 1}, nil), "outside"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.want)
		}
	}
}
