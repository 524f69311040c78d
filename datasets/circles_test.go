package datasets

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// circlesCSV formats make_circles output as the reference command prints it.
func circlesCSV(X [][2]float64, y []int) string {
	var b strings.Builder
	for i := range X {
		fmt.Fprintf(&b, "%s,%s,%d\n", FormatFloatRepr(X[i][0]), FormatFloatRepr(X[i][1]), y[i])
	}
	return b.String()
}

// firstDiff describes the first differing line of two texts.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d: got %q, want %q", i+1, gl, wl)
		}
	}
	return "no difference"
}

func TestMakeCirclesGolden(t *testing.T) {
	want, err := os.ReadFile("testdata/circles_n1000_noise0.1_seed1.csv")
	if err != nil {
		t.Fatal(err)
	}
	got := circlesCSV(MakeCircles(1000, 0.1, 1, true))
	if got != string(want) {
		t.Fatalf("MakeCircles(1000, 0.1, 1, true) differs from scikit-learn's: %s", firstDiff(got, string(want)))
	}
}

func TestMakeCirclesShape(t *testing.T) {
	X, y := MakeCircles(7, 0, 0, false)
	if len(X) != 7 || fmt.Sprint(y) != "[0 0 0 1 1 1 1]" {
		t.Fatalf("got %d points, labels %v", len(X), y)
	}
	if X[0] != [2]float64{1, 0} || X[3] != [2]float64{0.8, 0} {
		t.Errorf("first points %v %v, want (1,0) and (0.8,0)", X[0], X[3])
	}
	if X, y := MakeCircles(0, 0.1, 1, true); len(X) != 0 || len(y) != 0 {
		t.Error("n=0 not empty")
	}
	if X, _ := MakeCircles(-3, 0.1, 1, true); len(X) != 0 {
		t.Error("n<0 not empty")
	}
}

// sklearnPython returns a Python interpreter with scikit-learn, or skips:
// $FER_SKLEARN_PYTHON, else Debian's /usr/bin/python3 (the python3 on PATH
// may be another one without scikit-learn).
func sklearnPython(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping the live comparison with scikit-learn in -short mode")
	}
	py := os.Getenv("FER_SKLEARN_PYTHON")
	if py == "" {
		py = "/usr/bin/python3"
	}
	if err := exec.Command(py, "-c", "import sklearn, numpy").Run(); err != nil {
		t.Skipf("no Python with scikit-learn at %s (%v): set FER_SKLEARN_PYTHON to compare live", py, err)
	}
	return py
}

// requireNumPyAVX512 skips a live comparison unless NumPy runs its AVX-512
// (AVX512_SKX) cos and sin on this CPU: npCos and npSin reproduce those.
// Without AVX-512, NumPy calls the C library's cos and sin, which round
// differently in the last bit for some angles, and scikit-learn's
// make_circles itself then gives other last digits on this machine; the
// tables in the tests above still pin the AVX-512 results.
func requireNumPyAVX512(t *testing.T, py string) {
	t.Helper()
	out := runPython(t, py, "from numpy.core._multiarray_umath import __cpu_features__ as f; print(f.get('AVX512_SKX', False))")
	if strings.TrimSpace(out) != "True" {
		t.Skip("NumPy on this CPU has no AVX512_SKX cos/sin (it falls back to the C library's), so scikit-learn's make_circles differs in last digits from the AVX-512 results datasets.MakeCircles reproduces")
	}
}

// runPython runs a Python program and returns its standard output.
func runPython(t *testing.T, py, prog string) string {
	t.Helper()
	cmd := exec.Command(py, "-c", prog)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	return string(out)
}

func TestMakeCirclesLiveSklearn(t *testing.T) {
	py := sklearnPython(t)
	requireNumPyAVX512(t, py)
	type circlesCase struct {
		n       int
		noise   float64
		seed    uint32
		shuffle bool
	}
	cases := []circlesCase{
		{1000, 0.1, 1, true},
		{7, 0.3, 0, false},
		{501, 0.05, 4294967295, true},
		{2000, 0.2, 123, true},
		{64, 1.5, 99, false},
	}
	// One Python process prints every case, each followed by a "--" line.
	prog := "from sklearn.datasets import make_circles\n"
	for _, c := range cases {
		pyShuffle := "False"
		if c.shuffle {
			pyShuffle = "True"
		}
		prog += fmt.Sprintf("X,y=make_circles(n_samples=%d,noise=%s,random_state=%d,shuffle=%s)\n"+
			"[print(f'{a!r},{b!r},{c}') for (a,b),c in zip(X,y)]\nprint('--')\n",
			c.n, FormatFloatRepr(c.noise), c.seed, pyShuffle)
	}
	wants := strings.Split(runPython(t, py, prog), "--\n")
	if len(wants) != len(cases)+1 {
		t.Fatalf("%d outputs for %d cases", len(wants)-1, len(cases))
	}
	for i, c := range cases {
		got := circlesCSV(MakeCircles(c.n, c.noise, c.seed, c.shuffle))
		if got != wants[i] {
			t.Errorf("make_circles(n_samples=%d, noise=%v, random_state=%d, shuffle=%v) differs from scikit-learn: %s",
				c.n, c.noise, c.seed, c.shuffle, firstDiff(got, wants[i]))
		}
	}
}

// TestNumPyMathLive compares glibcLog, npCos and npSin with NumPy on this
// machine over many inputs (the tables above pin a few of them).
func TestNumPyMathLive(t *testing.T) {
	py := sklearnPython(t)
	requireNumPyAVX512(t, py)
	out := runPython(t, py, `
import numpy as np, math, struct
rs = np.random.RandomState(2024)
xs = np.concatenate([rs.random_sample(20000), 1 + rs.uniform(-0.07, 0.07, 5000)])
ang = np.concatenate([rs.uniform(-20, 20, 20000), np.linspace(0, 2*np.pi, 997, endpoint=False)])
h = lambda v: struct.pack('<d', float(v)).hex()
print(' '.join(h(x) + ':' + h(math.log(x)) for x in xs))
print(' '.join(h(a) + ':' + h(c) + ':' + h(s) for a, c, s in zip(ang, np.cos(ang), np.sin(ang))))
`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("unexpected Python output: %d lines", len(lines))
	}
	bad := 0
	for _, f := range strings.Fields(lines[0]) {
		v := hexFloats(t, f)
		if got := glibcLog(v[0]); got != v[1] {
			if bad++; bad < 5 {
				t.Errorf("log(%v) = %v, Python %v", v[0], got, v[1])
			}
		}
	}
	for _, f := range strings.Fields(lines[1]) {
		v := hexFloats(t, f)
		if c, s := npCos(v[0]), npSin(v[0]); c != v[1] || s != v[2] {
			if bad++; bad < 5 {
				t.Errorf("cos, sin(%v) = %v, %v; NumPy %v, %v", v[0], c, s, v[1], v[2])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d mismatches", bad)
	}
}
