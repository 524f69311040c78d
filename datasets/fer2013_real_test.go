package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestFER2013Real checks the real FER2013 file (and FER+ labels) against the
// counts of the data README. Reading the 300 MB CSV takes a few seconds.
func TestFER2013Real(t *testing.T) {
	dir := realDataDir(t, "fer2013")
	path, err := FindFER2013(dir)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	f, sum, err := LoadFER2013Sum(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %s in %v", path, time.Since(start))
	if sum != FER2013CSVSHA256 && sum != FER2013CSVCRLFSHA256 {
		t.Errorf("CSV SHA-256 %s, want the original's %s", sum, FER2013CSVSHA256)
	}
	plusPath := filepath.Join(dir, "fer2013", "fer2013new.csv")
	if _, err := os.Stat(plusPath); err != nil {
		t.Skipf("no FER+ file: %v", err)
	}
	plus, err := ReadFERPlusFile(plusPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.AttachFERPlus(plus); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{28709, 3589, 3589} {
		if got := f.Splits()[i].Len(); got != want {
			t.Errorf("%s: %d images, want %d", FERUsages[i], got, want)
		}
	}
	total := make([]int, 7)
	for _, s := range f.Splits() {
		if err := s.Validate(); err != nil {
			t.Error(err)
		}
		for c, n := range s.ClassCounts() {
			total[c] += n
		}
	}
	if want := []int{4953, 547, 5121, 8989, 6077, 4002, 6198}; fmt.Sprint(total) != fmt.Sprint(want) {
		t.Errorf("per-class totals %v, want %v", total, want)
	}
	// Rows are sorted by Usage: training rows 0..28708, and so on.
	if r := f.SourceRows; r[0][0] != 0 || r[0][28708] != 28708 || r[1][0] != 28709 || r[2][0] != 32298 || r[2][3588] != 35886 {
		t.Errorf("source rows not in file order")
	}
	// Rows 6936 and 6938 hold the same face, labelled 5 and 2 (data README).
	if f.Training.Labels[6936] != 5 || f.Training.Labels[6938] != 2 || string(f.Training.Image(6936)) != string(f.Training.Image(6938)) {
		t.Errorf("rows 6936/6938: labels %d/%d", f.Training.Labels[6936], f.Training.Labels[6938])
	}
	nonFaces := 0
	for _, l := range []*FERPlusLabels{f.FERPlus.Training, f.FERPlus.PublicTest, f.FERPlus.PrivateTest} {
		for _, n := range l.ImageNames {
			if n == "" {
				nonFaces++
			}
		}
	}
	if nonFaces != 173 {
		t.Errorf("%d FER+ rows without image name, want 173", nonFaces)
	}
	if got := f.FERPlus.Training.ImageNames[0]; got != "fer0000000.png" {
		t.Errorf("first FER+ image %q", got)
	}
	if got := f.FERPlus.Training.Votes[0]; fmt.Sprint(got) != "[4 0 0 1 3 2 0 0 0 0]" {
		t.Errorf("first FER+ votes %v", got)
	}
	sp, err := f.FERPlusMajoritySplits()
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(sp[0].Len(), sp[1].Len(), sp[2].Len()); got != "25060 3199 3153" {
		t.Errorf("FER+ majority split sizes %s", got)
	}
}
