package datasets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ferRow returns a fer2013.csv row with n pixels, the i-th being (i % 256)
// unless override replaces the whole pixel field.
func ferRow(label, usage string, n int, override string) string {
	px := override
	if override == "" {
		var b strings.Builder
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconvItoa(i % 256))
		}
		px = b.String()
	}
	return label + "," + px + "," + usage + "\n"
}

func strconvItoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return strconvItoa(i/10) + digits[i%10:i%10+1]
}

const ferHeader = "emotion,pixels,Usage\n"

// validFERCSV is a small well-formed fer2013.csv: 3 training rows, one
// public and one private test row.
func validFERCSV() string {
	return ferHeader +
		ferRow("0", "Training", 2304, "") + ferRow("3", "Training", 2304, "") + ferRow("6", "Training", 2304, "") +
		ferRow("2", "PublicTest", 2304, "") + ferRow("5", "PrivateTest", 2304, "")
}

func pixelsWith(i int, bad string) string {
	f := make([]string, 2304)
	for j := range f {
		f[j] = "7"
	}
	f[i] = bad
	return strings.Join(f, " ")
}

// TestBadInput is the table of malformed inputs that must be rejected with
// an error naming the file, the place and what was expected, and no data.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	valid := validFERCSV()
	gz := gzipBytes(t, []byte(valid))
	idxImages := idxBytes(IDXMagicImages, []uint32{2, 28, 28}, make([]byte, 2*28*28))
	cases := []struct {
		name, file string
		data       []byte
		load       func(path string) (any, error)
		where      string // "line N" or "byte offset N"
		expected   string // part of the message saying what was expected
	}{
		{"truncated gzip", "fer2013.csv.gz", gz[:len(gz)/2], loadFER, "line ", "unexpected EOF"},
		{"row with 2303 pixels", "fer2013.csv", []byte(ferHeader + ferRow("0", "Training", 2304, "") + ferRow("1", "Training", 2303, "")), loadFER, "line 3", "2303 values, expected 2304"},
		{"pixel 256", "fer2013.csv", []byte(ferHeader + ferRow("0", "Training", 0, pixelsWith(17, "256"))), loadFER, "line 2", `value 18 is "256", expected an integer 0..255`},
		{"pixel abc", "fer2013.csv", []byte(ferHeader + ferRow("0", "Training", 0, pixelsWith(0, "abc"))), loadFER, "line 2", `value 1 is "abc", expected an integer 0..255`},
		{"label 9", "fer2013.csv", []byte(ferHeader + ferRow("9", "Training", 2304, "")), loadFER, "line 2", `emotion "9", expected an integer 0..6`},
		{"unknown Usage", "fer2013.csv", []byte(ferHeader + ferRow("0", "Training", 2304, "") + ferRow("1", "Validation", 2304, "")), loadFER, "line 3", `Usage "Validation", expected Training, PublicTest or PrivateTest`},
		{"missing header", "fer2013.csv", []byte(ferRow("0", "Training", 2304, "")), loadFER, "line 1", "expected emotion,pixels,Usage"},
		{"IDX wrong magic", "train-images-idx3-ubyte", idxBytes(2050, []uint32{2, 28, 28}, make([]byte, 2*28*28)), loadIDXImages, "byte offset 0", "magic number 2050 (0x00000802), expected 2051"},
		{"IDX short body", "train-images-idx3-ubyte.gz", gzipBytes(t, idxImages[:len(idxImages)-100]), loadIDXImages, "byte offset 1484", "body ends after 1468 bytes, expected 1568"},
		{"empty CSV", "fer2013.csv", nil, loadFER, "line 1", "empty file, expected a CSV with header emotion,pixels,Usage"},
		{"empty IDX", "t10k-labels-idx1-ubyte", nil, loadIDXLabels, "byte offset 0", "empty file, expected an IDX file with magic number 2049"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_"), c.file), c.data)
			got, err := c.load(path)
			if err == nil {
				t.Fatalf("no error; got %v", got)
			}
			if !isNil(got) {
				t.Errorf("partial data returned with the error: %T", got)
			}
			msg := err.Error()
			t.Log(msg)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Errorf("error is %T, want *FormatError", err)
			}
			for _, want := range []string{path, c.where, c.expected} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
		})
	}
}

func loadFER(path string) (any, error) {
	f, err := LoadFER2013(path)
	if f == nil {
		return nil, err
	}
	return f, err
}

func loadIDXImages(path string) (any, error) {
	x, err := ReadIDXFile(path, IDXMagicImages)
	if x == nil {
		return nil, err
	}
	return x, err
}

func loadIDXLabels(path string) (any, error) {
	x, err := ReadIDXFile(path, IDXMagicLabels)
	if x == nil {
		return nil, err
	}
	return x, err
}

func isNil(v any) bool { return v == nil }

// TestFER2013Formats reads the same small data set as .csv, .csv.gz, a
// Kaggle-style .tar.gz, and with CRLF line ends.
func TestFER2013Formats(t *testing.T) {
	dir := t.TempDir()
	valid := validFERCSV()
	paths := []string{
		writeFile(t, filepath.Join(dir, "a", "fer2013.csv"), []byte(valid)),
		writeFile(t, filepath.Join(dir, "b", "fer2013.csv.gz"), gzipBytes(t, []byte(valid))),
		writeFile(t, filepath.Join(dir, "c", "fer2013.tar.gz"), gzipBytes(t, tarBytes(t, map[string]string{"fer2013/README": "x", "fer2013/fer2013.csv": valid}))),
		writeFile(t, filepath.Join(dir, "d", "fer2013.csv"), []byte(strings.ReplaceAll(valid, "\n", "\r\n"))),
		writeFile(t, filepath.Join(dir, "e", "fer2013.csv"), []byte(strings.TrimSuffix(valid, "\n"))),
	}
	for _, p := range paths {
		f, err := LoadFER2013(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if f.Training.Len() != 3 || f.PublicTest.Len() != 1 || f.PrivateTest.Len() != 1 {
			t.Fatalf("%s: split sizes %d/%d/%d", p, f.Training.Len(), f.PublicTest.Len(), f.PrivateTest.Len())
		}
		if got := f.Training.Labels; got[0] != 0 || got[1] != 3 || got[2] != 6 {
			t.Errorf("%s: labels %v", p, got)
		}
		if img := f.PrivateTest.Image(0); img[0] != 0 || img[255] != 255 || img[256] != 0 || img[2303] != 255 {
			t.Errorf("%s: pixels wrong", p)
		}
		if f.SourceRows[2][0] != 4 {
			t.Errorf("%s: source rows %v", p, f.SourceRows)
		}
	}
	// LoadFER2013Dir attaches FER+ labels found beside the CSV.
	plus := ferPlusHeader + "\n" +
		"Training,fer0000000.png,4,0,0,1,3,2,0,0,0,0\n" +
		"Training,fer0000001.png,6,0,1,1,0,0,0,0,2,0\n" +
		"Training,,0,0,0,0,0,0,0,0,0,10\n" +
		"PublicTest,fer0000003.png,1,1,1,1,1,1,1,1,1,1\n" +
		"PrivateTest,fer0000004.png,0,0,0,0,0,0,0,10,0,0\r\n"
	writeFile(t, filepath.Join(dir, "plus", "fer2013", "fer2013.csv"), []byte(valid))
	writeFile(t, filepath.Join(dir, "plus", "fer2013", "fer2013new.csv"), []byte(plus))
	fp, err := LoadFER2013Dir(filepath.Join(dir, "plus"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fp.FERPlus.Training.Majority(); fmt.Sprint(got) != "[-1 0 -1]" {
		t.Errorf("FER+ majority %v, want [-1 0 -1]", got)
	}
	if got := fp.FERPlus.PrivateTest.Majority(); fmt.Sprint(got) != "[7]" {
		t.Errorf("FER+ majority %v, want [7] (contempt)", got)
	}
	if d := fp.FERPlus.Training.Distribution()[0]; d[0] != 0.4 || d[4] != 0.3 {
		t.Errorf("FER+ distribution %v", d)
	}
	if fp.FERPlus.Training.ImageNames[2] != "" || fp.FERPlus.PublicTest.ImageNames[0] != "fer0000003.png" {
		t.Errorf("FER+ image names %v", fp.FERPlus.Training.ImageNames)
	}
	// The majority splits keep the faces with a majority, relabelled.
	sp, err := fp.FERPlusMajoritySplits()
	if err != nil {
		t.Fatal(err)
	}
	if sp[0].Len() != 1 || sp[0].Labels[0] != 0 || string(sp[0].Image(0)) != string(fp.Training.Image(1)) || sp[1].Len() != 0 ||
		sp[2].Len() != 1 || sp[2].Labels[0] != 7 || len(sp[2].ClassNames) != 8 {
		t.Errorf("FER+ majority splits: %d/%d/%d faces, labels %v %v", sp[0].Len(), sp[1].Len(), sp[2].Len(), sp[0].Labels, sp[2].Labels)
	}
	if noPlus, err := LoadFER2013(paths[0]); err != nil {
		t.Fatal(err)
	} else if _, err := noPlus.FERPlusMajoritySplits(); err == nil || !strings.Contains(err.Error(), "fer2013new.csv") {
		t.Errorf("majority splits without FER+ labels: %v", err)
	}
	// Misaligned FER+ files are rejected.
	writeFile(t, filepath.Join(dir, "plus", "fer2013", "fer2013new.csv"), []byte(strings.Replace(plus, "PublicTest,", "Training,", 1)))
	if _, err := LoadFER2013Dir(filepath.Join(dir, "plus")); err == nil || !strings.Contains(err.Error(), "not aligned") {
		t.Errorf("misaligned FER+: %v", err)
	}
	writeFile(t, filepath.Join(dir, "plus", "fer2013", "fer2013new.csv"), []byte(strings.Replace(plus, ",10\n", ",x\n", 1)))
	if _, err := LoadFER2013Dir(filepath.Join(dir, "plus")); err == nil || !strings.Contains(err.Error(), `line 4: column NF is "x", expected a vote count 0..255`) {
		t.Errorf("bad FER+ vote: %v", err)
	}
	// LoadFER2013Dir finds the Kaggle archive directly under the data dir.
	writeFile(t, filepath.Join(dir, "kaggle", "fer2013.tar.gz"), gzipBytes(t, tarBytes(t, map[string]string{"fer2013/fer2013.csv": valid})))
	if f, err := LoadFER2013Dir(filepath.Join(dir, "kaggle")); err != nil || f.Len() != 5 {
		t.Errorf("LoadFER2013Dir(kaggle layout): %v", err)
	}
	if _, err := LoadFER2013Dir(filepath.Join(dir, "nothing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadFER2013Dir(empty dir) = %v, want a not-exist error", err)
	}
	// A tar without fer2013.csv.
	p := writeFile(t, filepath.Join(dir, "f", "fer2013.tar.gz"), gzipBytes(t, tarBytes(t, map[string]string{"x.csv": valid})))
	if _, err := LoadFER2013(p); err == nil || !strings.Contains(err.Error(), "expected fer2013/fer2013.csv") {
		t.Errorf("tar without csv: %v", err)
	}
}
