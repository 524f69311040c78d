package fer

import "testing"

func TestConfusionMatrix(t *testing.T) {
	labels := []int{0, 0, 0, 1, 1, 2, 2, 2, 2}
	pred := []int{0, 1, 0, 0, 1, 2, 2, 2, 2}
	m, err := NewConfusionMatrix(labels, pred, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := ConfusionMatrix{{2, 1, 0}, {1, 1, 0}, {0, 0, 4}}
	for i := range want {
		for j := range want[i] {
			if m[i][j] != want[i][j] {
				t.Fatalf("m = %v, want %v", m, want)
			}
		}
	}
	if acc := m.Accuracy(); acc != 7.0/9 {
		t.Errorf("accuracy %g", acc)
	}
	if r := m.RowNormalized(); r[1][0] != 0.5 || r[2][2] != 1 {
		t.Errorf("row-normalized %v", r)
	}
	pairs := m.ConfusedPairs()
	if p := pairs[0]; p.A != 0 || p.B != 1 || p.AasB != 1 || p.BasA != 1 || p.Rate != 2.0/5 {
		t.Errorf("most confused %+v", p)
	}
	if last := pairs[len(pairs)-1]; last.Rate != 0 {
		t.Errorf("least confused %+v", last)
	}
	if _, err := NewConfusionMatrix([]int{3}, []int{0}, 3); err == nil {
		t.Error("label out of range: want error")
	}
}
