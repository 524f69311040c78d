package datasets

import (
	"bytes"
	"testing"
)

func TestTranslateAtDistance(t *testing.T) {
	s := &ImageSet{Name: "x", Height: 28, Width: 28, ClassNames: DigitNames}
	for i := 0; i < 2000; i++ {
		img := make([]uint8, 28*28)
		img[14*28+14] = uint8(i%255 + 1) // one lit pixel in the centre
		s.Pixels = append(s.Pixels, img...)
		s.Labels = append(s.Labels, int32(i%10))
	}
	for dist := 0; dist <= 3; dist++ {
		out, offsets, err := TranslateAtDistance(s, dist, 11)
		if err != nil {
			t.Fatal(err)
		}
		if out.Len() != s.Len() || len(offsets) != s.Len() {
			t.Fatalf("dist %d: %d images, %d offsets", dist, out.Len(), len(offsets))
		}
		seen := map[[2]int]int{}
		for i, o := range offsets {
			if got := max(o[0], -o[0], o[1], -o[1]); got != dist {
				t.Fatalf("dist %d: image %d moved by %v", dist, i, o)
			}
			seen[o]++
			// The lit pixel moved by the offset, and nothing else is lit.
			img := out.Image(i)
			if img[(14+o[1])*28+14+o[0]] != s.Image(i)[14*28+14] {
				t.Fatalf("dist %d: image %d not moved by %v", dist, i, o)
			}
			if out.Labels[i] != s.Labels[i] {
				t.Fatalf("label %d changed", i)
			}
		}
		want := max(1, 8*dist) // every offset of the ring is drawn
		if len(seen) != want {
			t.Errorf("dist %d: %d distinct offsets, want %d", dist, len(seen), want)
		}
		again, _, _ := TranslateAtDistance(s, dist, 11)
		if !bytes.Equal(again.Pixels, out.Pixels) {
			t.Errorf("dist %d: not deterministic for a fixed seed", dist)
		}
	}
	a, _, _ := TranslateAtDistance(s, 2, 1)
	b, _, _ := TranslateAtDistance(s, 2, 2)
	if bytes.Equal(a.Pixels, b.Pixels) {
		t.Error("seeds 1 and 2 gave the same offsets")
	}
	if _, _, err := TranslateAtDistance(s, -1, 1); err == nil {
		t.Error("negative distance: want an error")
	}
	if c := s.Image(0)[14*28+14]; c != 1 {
		t.Errorf("input modified: %d", c)
	}
}
