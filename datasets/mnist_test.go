package datasets

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestLoadMNISTGenerated(t *testing.T) {
	for _, gz := range []bool{false, true} {
		t.Run(fmt.Sprint("gzip=", gz), func(t *testing.T) {
			dir := t.TempDir()
			fakeMNIST(t, dir, 25, 7, gz)
			m, err := LoadMNIST(dir)
			if err != nil {
				t.Fatal(err)
			}
			if m.Train.Len() != 25 || m.Test.Len() != 7 {
				t.Fatalf("got %d/%d images, want 25/7", m.Train.Len(), m.Test.Len())
			}
			if err := m.Train.Validate(); err != nil {
				t.Fatal(err)
			}
			img := m.Train.Image(3)
			if len(img) != 784 || img[0] != 3 || img[5] != 8 {
				t.Errorf("image 3 starts %v, want 3 4 5 6 7 8", img[:6])
			}
			if got := m.Test.Labels[6]; got != 6 {
				t.Errorf("test label 6 = %d", got)
			}
			if got := m.Train.ClassCounts(); fmt.Sprint(got) != "[3 3 3 3 3 2 2 2 2 2]" {
				t.Errorf("class counts %v", got)
			}
		})
	}
}

func TestImageSetHelpers(t *testing.T) {
	s := &ImageSet{Name: "x", Height: 1, Width: 2, Pixels: []uint8{0, 255, 10, 20, 30, 40}, Labels: []int32{1, 0, 1}, ClassNames: []string{"a", "b"}}
	sub := s.Subset([]int{2, 0})
	if fmt.Sprint(sub.Pixels, sub.Labels) != "[30 40 0 255] [1 1]" {
		t.Errorf("Subset = %v %v", sub.Pixels, sub.Labels)
	}
	f := s.Float32(1.0 / 255)
	if f[1] != 1 || f[0] != 0 || math.Abs(float64(f[2])-10.0/255) > 1e-7 {
		t.Errorf("Float32 = %v", f)
	}
	if got := s.ClassCounts(); fmt.Sprint(got) != "[1 2]" {
		t.Errorf("ClassCounts = %v", got)
	}
	if got := s.MeanPixel(); got != (0+255+10+20+30+40)/6.0 {
		t.Errorf("MeanPixel = %v", got)
	}
	s.Labels[0] = 2
	if err := s.Validate(); err == nil {
		t.Error("Validate accepted label 2 with 2 classes")
	}
}

// TestMNISTReal checks the real MNIST files against the counts of the data README.
func TestMNISTReal(t *testing.T) {
	dir := realDataDir(t, "mnist")
	m, err := LoadMNISTDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Train.Len() != 60000 || m.Test.Len() != 10000 {
		t.Fatalf("got %d/%d images, want 60000/10000", m.Train.Len(), m.Test.Len())
	}
	wantTrain := []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}
	wantTest := []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}
	if got := m.Train.ClassCounts(); fmt.Sprint(got) != fmt.Sprint(wantTrain) {
		t.Errorf("train counts %v, want %v", got, wantTrain)
	}
	if got := m.Test.ClassCounts(); fmt.Sprint(got) != fmt.Sprint(wantTest) {
		t.Errorf("test counts %v, want %v", got, wantTest)
	}
	if got := fmt.Sprintf("%.4f", m.Train.MeanPixel()); got != "33.3184" {
		t.Errorf("train mean pixel %s, want 33.3184", got)
	}
	if got := fmt.Sprintf("%.4f", m.Test.MeanPixel()); got != "33.7912" {
		t.Errorf("test mean pixel %s, want 33.7912", got)
	}
}

func TestLoadMNISTBad(t *testing.T) {
	for _, c := range []struct {
		name   string
		file   string
		data   []byte
		expect string
	}{
		{"label 10", "t10k-labels-idx1-ubyte", idxBytes(IDXMagicLabels, []uint32{7}, []byte{0, 1, 2, 10, 4, 5, 6}), "t10k-labels-idx1-ubyte: byte offset 11: label 10, expected 0..9"},
		{"count mismatch", "t10k-labels-idx1-ubyte", idxBytes(IDXMagicLabels, []uint32{6}, []byte{0, 1, 2, 3, 4, 5}), "6 labels, expected 7"},
		{"wrong size", "t10k-images-idx3-ubyte", idxBytes(IDXMagicImages, []uint32{7, 28, 27}, make([]byte, 7*28*27)), "images are 28×27, expected 28×28"},
		{"trailing byte", "t10k-images-idx3-ubyte", append(idxBytes(IDXMagicImages, []uint32{7, 28, 28}, make([]byte, 7*784)), 0), "byte offset 5504: extra data after the 5488-byte body"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			fakeMNIST(t, dir, 5, 7, false)
			writeFile(t, dir+"/"+c.file, c.data)
			m, err := LoadMNIST(dir)
			if err == nil || m != nil {
				t.Fatalf("got %v, %v", m, err)
			}
			if !strings.Contains(err.Error(), c.expect) {
				t.Errorf("error %q lacks %q", err, c.expect)
			}
		})
	}
	if _, err := LoadMNIST(t.TempDir()); err == nil || !strings.Contains(err.Error(), "DownloadMNIST") {
		t.Errorf("empty dir: %v", err)
	}
}
