package fer

import (
	"slices"
	"testing"

	"github.com/fer-thesis/fer/datasets"
)

func TestDataConstructors(t *testing.T) {
	set := &datasets.ImageSet{Name: "tiny", Height: 2, Width: 3, Pixels: []uint8{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255},
		Labels: []int32{4, 1}, ClassNames: []string{"a", "b", "c", "d", "e"}}
	d := FromImageSet(set)
	if d.Len() != 2 || !slices.Equal(d.Shape, []int{2, 3, 1}) || d.X[11] != 255 || !slices.Equal(d.Y, []int32{4, 1}) {
		t.Errorf("FromImageSet = %+v", d)
	}
	if err := d.Validate(); err != nil {
		t.Error(err)
	}
	s := d.Subset([]int{1, 1, 0})
	if s.Len() != 3 || s.X[0] != 250 || s.X[6] != 250 || s.X[12] != 0 || !slices.Equal(s.Y, []int32{1, 1, 4}) {
		t.Errorf("Subset = %+v", s)
	}
	if h := d.Head(5); h.Len() != 2 {
		t.Errorf("Head(5) has %d examples", h.Len())
	}
	if sc := d.Scale(0.5); sc.X[11] != 127.5 || d.X[11] != 255 {
		t.Errorf("Scale: %v (original %v)", sc.X[11], d.X[11])
	}
	p := FromPoints([][2]float64{{1, 2}, {3, 4}, {5, 6}}, []int{0, 1, 1})
	if p.Len() != 3 || !slices.Equal(p.Shape, []int{2}) || p.X[5] != 6 || p.Y[2] != 1 {
		t.Errorf("FromPoints = %+v", p)
	}
	if u := FromPoints([][2]float64{{1, 2}}, nil); u.Y != nil || u.Validate() != nil {
		t.Errorf("unlabelled points: %+v", u)
	}
}
