package datasets

import (
	"os"
	"path/filepath"
	"testing"
)

func smallFER(t *testing.T) *FER2013 {
	t.Helper()
	f, err := ParseFER2013CSV(stringsReader(validFERCSV()), "small.csv")
	if err != nil {
		t.Fatal(err)
	}
	// Make images distinct.
	for _, s := range f.Splits() {
		for i := range s.Pixels {
			s.Pixels[i] = uint8(i*7 + int(s.Labels[i/ferPixels])*13)
		}
	}
	return f
}

func TestImageFolderRoundTrip(t *testing.T) {
	dir := t.TempDir()
	f := smallFER(t)
	if err := ExportFER2013(dir, f); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "Training", "happy", "00001.png")); err != nil {
		t.Fatalf("expected layout dir/split/emotion/NNNNN.png: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "PrivateTest", "disgust")); err != nil {
		t.Errorf("empty class folder not created: %v", err)
	}
	g, err := ReadFER2013Folder(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range f.Splits() {
		r := g.Splits()[i]
		if r.Name != s.Name || r.Height != 48 || r.Width != 48 || string(r.Pixels) != string(s.Pixels) || len(r.Labels) != len(s.Labels) {
			t.Fatalf("split %s differs after the round trip", s.Name)
		}
		for j := range s.Labels {
			if r.Labels[j] != s.Labels[j] {
				t.Fatalf("split %s label %d differs", s.Name, j)
			}
		}
	}
	// A foreign subfolder is reported.
	os.MkdirAll(filepath.Join(dir, "Training", "bored"), 0o755)
	if _, err := ReadFER2013Folder(dir); err == nil {
		t.Error("unknown class folder accepted")
	}
}

func TestReadImageFolderClassesFromFolders(t *testing.T) {
	dir := t.TempDir()
	s := &ImageSet{Name: "t", Height: 2, Width: 3, Pixels: []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, Labels: []int32{1, 0}, ClassNames: []string{"a", "b"}}
	if err := WriteImageFolder(dir, s); err != nil {
		t.Fatal(err)
	}
	r, err := ReadImageFolder(dir, "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Pixels) != string(s.Pixels) || r.Labels[0] != 1 || r.Labels[1] != 0 || len(r.ClassNames) != 2 {
		t.Errorf("got %v %v %v", r.Pixels, r.Labels, r.ClassNames)
	}
}
