package datasets

import (
	"bytes"
	"testing"
)

func TestTranslateDiagonal(t *testing.T) {
	s := &ImageSet{Name: "x", Height: 28, Width: 28, ClassNames: DigitNames}
	for i := 0; i < 400; i++ {
		img := make([]uint8, 28*28)
		img[14*28+14] = uint8(i%255 + 1) // one lit pixel in the centre
		s.Pixels = append(s.Pixels, img...)
		s.Labels = append(s.Labels, int32(i%10))
	}
	for shift := 0; shift <= 3; shift++ {
		out, offsets, err := TranslateDiagonal(s, shift, 11)
		if err != nil {
			t.Fatal(err)
		}
		if out.Len() != s.Len() || len(offsets) != s.Len() {
			t.Fatalf("shift %d: %d images, %d offsets", shift, out.Len(), len(offsets))
		}
		seen := map[[2]int]int{}
		for i, o := range offsets {
			if (o[0] != shift && o[0] != -shift) || (o[1] != shift && o[1] != -shift) {
				t.Fatalf("shift %d: image %d moved by %v", shift, i, o)
			}
			seen[o]++
			// The lit pixel moved by the offset.
			if out.Image(i)[(14+o[1])*28+14+o[0]] != s.Image(i)[14*28+14] {
				t.Fatalf("shift %d: image %d not moved by %v", shift, i, o)
			}
			if out.Labels[i] != s.Labels[i] {
				t.Fatalf("label %d changed", i)
			}
		}
		if want := map[bool]int{true: 1, false: 4}[shift == 0]; len(seen) != want {
			t.Errorf("shift %d: %d distinct offsets, want %d", shift, len(seen), want)
		}
		for o, c := range seen {
			if shift > 0 && (c < 60 || c > 140) { // 100 expected of each corner
				t.Errorf("shift %d: offset %v drawn %d times of 400", shift, o, c)
			}
		}
		again, _, _ := TranslateDiagonal(s, shift, 11)
		if !bytes.Equal(again.Pixels, out.Pixels) {
			t.Errorf("shift %d: not deterministic for a fixed seed", shift)
		}
	}
	// A 3-pixel diagonal move drops what falls off the frame and fills with 0.
	full := &ImageSet{Height: 4, Width: 4, Pixels: bytes.Repeat([]uint8{9}, 16), Labels: []int32{0}}
	moved, off, _ := TranslateDiagonal(full, 3, 1)
	lit := 0
	for _, v := range moved.Pixels {
		if v == 9 {
			lit++
		}
	}
	if lit != 1 {
		t.Errorf("4×4 image moved by %v keeps %d pixels, want 1", off[0], lit)
	}
	a, _, _ := TranslateDiagonal(s, 2, 1)
	b, _, _ := TranslateDiagonal(s, 2, 2)
	if bytes.Equal(a.Pixels, b.Pixels) {
		t.Error("seeds 1 and 2 gave the same offsets")
	}
	if _, _, err := TranslateDiagonal(s, -1, 1); err == nil {
		t.Error("negative shift: want an error")
	}
	if c := s.Image(0)[14*28+14]; c != 1 {
		t.Errorf("input modified: %d", c)
	}
}
