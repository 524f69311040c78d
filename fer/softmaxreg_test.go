package fer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func softmaxData(t *testing.T) (*mat.Dense, []int) {
	t.Helper()
	id := mat.NewSymDense(3, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1})
	g, err := NewGaussianClasses([]float64{0.3, 0.3, 0.4}, [][]float64{{0, 0, 1}, {1.5, 0, 0}, {0.5, 1.5, 0}}, []*mat.SymDense{id, id, id})
	if err != nil {
		t.Fatal(err)
	}
	X, y := g.Sample(300, 11)
	D := mat.NewDense(len(X), 3, nil)
	for i, x := range X {
		D.SetRow(i, x)
	}
	return D, y
}

func TestSoftmaxL2GradientIsZeroAtOptimum(t *testing.T) {
	X, y := softmaxData(t)
	calls := 0
	m, info, err := FitSoftmaxL2(X, y, 3, SoftmaxL2Options{C: 0.5, MaxIter: 1000, Tol: 1e-9,
		Progress: func(iter int, f, g float64) { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || calls < info.Iterations-1 || calls > info.Iterations { // gonum may count the final step without recording it
		t.Errorf("progress called %d times for %d iterations", calls, info.Iterations)
	}
	if !info.Converged || info.GradNorm > 1e-8 {
		t.Errorf("fit: %+v", info)
	}
	// The intercepts' gradient is zero: per class, mean predicted probability equals class frequency.
	Z := m.Logits(X)
	n, K := Z.Dims()
	meanP, freq := make([]float64, K), make([]float64, K)
	for i := 0; i < n; i++ {
		p := softmaxF64(Z.RawRowView(i))
		for k := range p {
			meanP[k] += p[k] / float64(n)
		}
		freq[y[i]] += 1 / float64(n)
	}
	for k := range meanP {
		if math.Abs(meanP[k]-freq[k]) > 1e-7 {
			t.Errorf("class %d: mean probability %.8f, frequency %.8f", k, meanP[k], freq[k])
		}
	}
	if _, _, err := FitSoftmaxL2(X, y[:10], 3, SoftmaxL2Options{}); err == nil {
		t.Error("mismatched labels: want error")
	}
}

// TestSoftmaxL2MatchesScikitLearn compares with scikit-learn's
// LogisticRegression(C=0.5, lbfgs) when Debian's python3-sklearn is installed.
func TestSoftmaxL2MatchesScikitLearn(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import sklearn").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("scikit-learn missing in CI (scripts/install.sh installs python3-sklearn)")
		}
		t.Skip("scikit-learn not installed (/usr/bin/python3 with python3-sklearn)")
	}
	X, y := softmaxData(t)
	m, _, err := FitSoftmaxL2(X, y, 3, SoftmaxL2Options{C: 0.5, MaxIter: 1000, Tol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, _ := X.Dims()
	for i := 0; i < n; i++ {
		r := X.RawRowView(i)
		fmt.Fprintf(&buf, "%.17g,%.17g,%.17g,%d\n", r[0], r[1], r[2], y[i])
	}
	csv := filepath.Join(t.TempDir(), "d.csv")
	if err := os.WriteFile(csv, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `import sys, json, numpy as np
from sklearn.linear_model import LogisticRegression
d = np.loadtxt(sys.argv[1], delimiter=",")
m = LogisticRegression(C=0.5, max_iter=10000, tol=1e-12).fit(d[:, :3], d[:, 3].astype(int))
print(json.dumps({"coef": m.coef_.tolist(), "intercept": m.intercept_.tolist()}))`
	out, err := exec.Command(py, "-c", script, csv).Output()
	if err != nil {
		t.Fatalf("sklearn: %v", err)
	}
	var sk struct {
		Coef      [][]float64
		Intercept []float64
	}
	if err := json.Unmarshal(out, &sk); err != nil {
		t.Fatalf("sklearn output %q: %v", out, err)
	}
	for k := range sk.Coef {
		for j := range sk.Coef[k] {
			if d := math.Abs(sk.Coef[k][j] - m.W.At(k, j)); d > 1e-5 {
				t.Errorf("coef[%d][%d]: ours %.7f sklearn %.7f", k, j, m.W.At(k, j), sk.Coef[k][j])
			}
		}
		if d := math.Abs(sk.Intercept[k] - m.B[k]); d > 1e-5 {
			t.Errorf("intercept[%d]: ours %.7f sklearn %.7f", k, m.B[k], sk.Intercept[k])
		}
	}
}

func TestStandardizer(t *testing.T) {
	X := mat.NewDense(3, 2, []float64{1, 5, 2, 5, 3, 5})
	s := FitStandardizer(X)
	s.Transform(X)
	want := []float64{-math.Sqrt(1.5), 0, 0, 0, math.Sqrt(1.5), 0}
	for i, v := range X.RawMatrix().Data {
		if math.Abs(v-want[i]) > 1e-12 {
			t.Errorf("standardized[%d] = %g, want %g", i, v, want[i])
		}
	}
}
