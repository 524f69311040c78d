package datasets

import (
	"fmt"
	"testing"
)

func TestShiftImage(t *testing.T) {
	src := []uint8{
		1, 2, 3,
		4, 5, 6,
	}
	dst := make([]uint8, 6)
	for _, c := range []struct {
		dx, dy int
		want   string
	}{
		{0, 0, "[1 2 3 4 5 6]"},
		{1, 0, "[0 1 2 0 4 5]"},
		{-1, 0, "[2 3 0 5 6 0]"},
		{0, 1, "[0 0 0 1 2 3]"},
		{-2, -1, "[6 0 0 0 0 0]"},
		{3, 0, "[0 0 0 0 0 0]"},
	} {
		ShiftImage(dst, src, 2, 3, c.dx, c.dy)
		if got := fmt.Sprint(dst); got != c.want {
			t.Errorf("shift (%d,%d) = %s, want %s", c.dx, c.dy, got, c.want)
		}
	}
}

func TestTranslate(t *testing.T) {
	s := &ImageSet{Name: "x", Height: 28, Width: 28, ClassNames: DigitNames}
	for i := 0; i < 500; i++ {
		img := make([]uint8, 28*28)
		img[14*28+14] = uint8(i%255 + 1) // one lit pixel in the centre
		s.Pixels = append(s.Pixels, img...)
		s.Labels = append(s.Labels, int32(i%10))
	}
	a, offA, err := Translate(s, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, offB, _ := Translate(s, 3, 7)
	if fmt.Sprint(offA) != fmt.Sprint(offB) || string(a.Pixels) != string(b.Pixels) {
		t.Fatal("Translate is not deterministic")
	}
	seen := map[[2]int]int{}
	for i, o := range offA {
		if o == [2]int{0, 0} || o[0] < -3 || o[0] > 3 || o[1] < -3 || o[1] > 3 {
			t.Fatalf("offset %v", o)
		}
		seen[o]++
		img := a.Image(i)
		if img[(14+o[1])*28+14+o[0]] != uint8(i%255+1) {
			t.Fatalf("image %d not moved by %v", i, o)
		}
		if a.Labels[i] != s.Labels[i] {
			t.Fatal("labels changed")
		}
	}
	if len(seen) != 48 {
		t.Errorf("%d distinct offsets in 500 draws, want all 48", len(seen))
	}
	if _, _, err := Translate(s, 0, 1); err == nil {
		t.Error("maxShift 0 accepted")
	}
	sh := s.Shift(2, -1)
	if sh.Image(3)[13*28+16] != 4 {
		t.Error("Shift(2,-1) misplaced the pixel")
	}
}
