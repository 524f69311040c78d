package datasets

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// realDataDir returns the directory with the real datasets: $FER_DATA_DIR,
// else ../shared/data next to the repository root (found by walking up to
// go.mod). It skips the test when neither exists or when sub is missing.
func realDataDir(t testing.TB, sub string) string {
	t.Helper()
	dir := os.Getenv(DataDirEnv)
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(d, "..", "shared", "data")
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if dir == "" {
		t.Skipf("real data not available: set %s (no go.mod found above the package to locate ../shared/data)", DataDirEnv)
	}
	if _, err := os.Stat(filepath.Join(dir, sub)); err != nil {
		t.Skipf("real data not available: %s not found (set %s to the data directory)", filepath.Join(dir, sub), DataDirEnv)
	}
	return dir
}

// idxBytes encodes an IDX file of unsigned bytes.
func idxBytes(magic uint32, dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(data)
	return b.Bytes()
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeFile(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fakeMNIST writes small MNIST-like files (nTrain and nTest 28×28 digits,
// pixel value = (image index + pixel index) % 256, label = index % 10) into
// dir, gzipped if gz.
func fakeMNIST(t testing.TB, dir string, nTrain, nTest int, gz bool) {
	t.Helper()
	for _, p := range []struct {
		prefix string
		n      int
	}{{"train", nTrain}, {"t10k", nTest}} {
		pix := make([]byte, p.n*28*28)
		for i := range pix {
			pix[i] = byte(i/(28*28) + i%(28*28))
		}
		lbl := make([]byte, p.n)
		for i := range lbl {
			lbl[i] = byte(i % 10)
		}
		img := idxBytes(IDXMagicImages, []uint32{uint32(p.n), 28, 28}, pix)
		lab := idxBytes(IDXMagicLabels, []uint32{uint32(p.n)}, lbl)
		imgName, labName := p.prefix+"-images-idx3-ubyte", p.prefix+"-labels-idx1-ubyte"
		if gz {
			img, lab = gzipBytes(t, img), gzipBytes(t, lab)
			imgName, labName = imgName+".gz", labName+".gz"
		}
		writeFile(t, filepath.Join(dir, imgName), img)
		writeFile(t, filepath.Join(dir, labName), lab)
	}
}

// hexFloats decodes "hex:hex:..." little-endian float64 bytes as printed by
// Python's struct.pack('<d', v).hex().
func hexFloats(t testing.TB, s string) []float64 {
	t.Helper()
	var out []float64
	for _, h := range strings.Split(s, ":") {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != 8 {
			t.Fatalf("bad hex float %q", h)
		}
		out = append(out, math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}
	return out
}

// tarBytes builds a tar archive with the given files, in name order.
func tarBytes(t testing.TB, files map[string]string) []byte {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[n])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
