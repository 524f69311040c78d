package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fer-thesis/fer/datasets"
)

// ferCSV returns a small fer2013.csv with the given emotion labels in the
// Training split, and one PublicTest and one PrivateTest row.
func ferCSV(labels ...string) string {
	px := strings.TrimSpace(strings.Repeat("9 ", 2304))
	var b strings.Builder
	b.WriteString("emotion,pixels,Usage\n")
	for _, l := range labels {
		b.WriteString(l + "," + px + ",Training\n")
	}
	b.WriteString("3," + px + ",PublicTest\n")
	b.WriteString("4," + px + ",PrivateTest\n")
	return b.String()
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func idx(magic uint32, dims []uint32, body []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(body)
	return b.Bytes()
}

func gz(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// writeMNIST writes four small valid MNIST files (3 train, 2 test digits).
func writeMNIST(t *testing.T, dir string) {
	for _, p := range []struct {
		prefix string
		n      uint32
	}{{"train", 3}, {"t10k", 2}} {
		write(t, filepath.Join(dir, p.prefix+"-images-idx3-ubyte.gz"), gz(idx(2051, []uint32{p.n, 28, 28}, make([]byte, int(p.n)*784))))
		write(t, filepath.Join(dir, p.prefix+"-labels-idx1-ubyte.gz"), gz(idx(2049, []uint32{p.n}, []byte{7, 1, 7}[:p.n])))
	}
}

func TestDataCheckGood(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "fer2013", "fer2013.csv"), []byte(ferCSV("0", "6", "6")))
	writeMNIST(t, filepath.Join(dir, "mnist"))
	var out, errb bytes.Buffer
	if code := run([]string{"data", "check", "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"Training        3      1        0     0      0    0         0        2", "OK: FER2013, MNIST", "not the original Kaggle file"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestDataCheckBad shows that broken files make "fer data check" exit
// non-zero and name the file and the place.
func TestDataCheckBad(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  []string
	}{
		{"FER label 9", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "fer2013", "fer2013.csv"), []byte(ferCSV("0", "9")))
		}, []string{filepath.Join("fer2013", "fer2013.csv") + ": line 3", `emotion "9", expected an integer 0..6`}},
		{"FER truncated gzip", func(t *testing.T, dir string) {
			data := gz([]byte(ferCSV("0", "1", "2", "3")))
			write(t, filepath.Join(dir, "fer2013", "fer2013.csv.gz"), data[:len(data)-40])
		}, []string{"fer2013.csv.gz: line ", "unexpected EOF"}},
		{"MNIST wrong magic", func(t *testing.T, dir string) {
			writeMNIST(t, filepath.Join(dir, "mnist"))
			write(t, filepath.Join(dir, "mnist", "t10k-labels-idx1-ubyte.gz"), gz(idx(2051, []uint32{2}, []byte{1, 2})))
		}, []string{"t10k-labels-idx1-ubyte.gz: byte offset 0: magic number 2051", "expected 2049"}},
		{"MNIST missing file", func(t *testing.T, dir string) {
			writeMNIST(t, filepath.Join(dir, "mnist"))
			os.Remove(filepath.Join(dir, "mnist", "train-labels-idx1-ubyte.gz"))
		}, []string{"no train-labels-idx1-ubyte"}},
		{"no dataset", func(t *testing.T, dir string) {}, []string{"no dataset found under"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.setup(t, dir)
			var out, errb bytes.Buffer
			code := run([]string{"data", "check", "--data", dir}, &out, &errb)
			if code == 0 {
				t.Fatalf("exit 0 for a bad data dir\n%s", out.String())
			}
			for _, w := range c.want {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
		})
	}
}

func TestDataCircles(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "..", "datasets", "testdata", "circles_n1000_noise0.1_seed1.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"data", "circles", "--n", "1000", "--noise", "0.1", "--seed", "1"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if out.String() != string(want) {
		t.Error("fer data circles --n 1000 --noise 0.1 --seed 1 differs from scikit-learn's output")
	}
	if code := run([]string{"data", "circles", "--n", "x"}, &out, &errb); code != 2 {
		t.Errorf("bad flag: exit %d, want 2", code)
	}
}

func TestDataExportFER(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	write(t, filepath.Join(dir, "fer2013", "fer2013.csv"), []byte(ferCSV("0", "6")))
	var stdout, stderr bytes.Buffer
	if code := run([]string{"data", "export-fer", "--data", dir, "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	f, err := datasets.ReadFER2013Folder(out)
	if err != nil {
		t.Fatal(err)
	}
	if f.Training.Len() != 2 || f.Training.Labels[1] != 6 || f.PrivateTest.Labels[0] != 4 {
		t.Errorf("exported set reads back as %d images, labels %v", f.Training.Len(), f.Training.Labels)
	}
	if code := run([]string{"data", "export-fer", "--data", dir}, &stdout, &stderr); code != 2 {
		t.Errorf("missing --out: exit %d, want 2", code)
	}
}

// TestDataCheckReal runs the must-show check on the real data when present.
func TestDataCheckReal(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the 300 MB FER2013 file")
	}
	dir := os.Getenv(datasets.DataDirEnv)
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "fer2013")); err != nil {
		t.Skipf("real data not available (%v): set %s", err, datasets.DataDirEnv)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"data", "check", "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	for _, want := range []string{
		"Training     28709   3995      436  4097   7215  4830      3171     4965",
		"PublicTest    3589    467       56   496    895   653       415      607",
		"PrivateTest   3589    491       55   528    879   594       416      626",
		"total        35887   4953      547  5121   8989  6077      4002     6198",
		"Train        60000  5923  6742  5958  6131  5842  5421  5918  6265  5851  5949     33.3184",
		"Test         10000   980  1135  1032  1010   982   892   958  1028   974  1009     33.7912",
		"OK: FER2013, MNIST",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
