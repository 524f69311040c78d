package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fer-thesis/fer/calibration"
)

// writeLogitsCSV writes n rows of overconfident logits (3 × calibrated ones)
// over k classes, with a header, and returns the path and the parsed data.
func writeLogitsCSV(t *testing.T, dir, name string, n, k int, seed uint64) (string, [][]float64, []int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 9))
	var b strings.Builder
	b.WriteString("label")
	for j := 0; j < k; j++ {
		fmt.Fprintf(&b, ",z%d", j)
	}
	b.WriteString("\n")
	z := make([][]float64, n)
	y := make([]int, n)
	for i := range z {
		u := make([]float64, k)
		for j := range u {
			u[j] = 1.5 * rng.NormFloat64()
		}
		p, _ := calibration.Softmax([][]float64{u}, 1)
		r, c := rng.Float64(), 0.0
		y[i] = k - 1
		for j, pj := range p[0] {
			if c += pj; r < c {
				y[i] = j
				break
			}
		}
		fmt.Fprintf(&b, "%d", y[i])
		z[i] = make([]float64, k)
		for j := range u {
			z[i][j] = 3 * u[j]
			fmt.Fprintf(&b, ",%v", z[i][j])
		}
		b.WriteString("\n")
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, z, y
}

func TestCalibrateGoodFiles(t *testing.T) {
	dir := t.TempDir()
	test, z, y := writeLogitsCSV(t, dir, "test.csv", 1500, 7, 1)
	val, vz, vy := writeLogitsCSV(t, dir, "val.csv", 1500, 7, 2)
	small := filepath.Join(dir, "small.csv") // no header, spaces, a float label
	if err := os.WriteFile(small, []byte("0, 2.0, 0.5, -1\n\n2.0,0,1,3\n1,1e-3,4,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fig := filepath.Join(dir, "fig.png")

	run1 := func(args ...string) map[string]any {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(append([]string{"calibrate"}, args...), &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d, stderr %s", args, code, errb.String())
		}
		var m map[string]any
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatalf("%v: output is not JSON: %v\n%s", args, err, out.String())
		}
		for _, key := range []string{"n", "accuracy", "ece", "mce", "nll", "brier", "temperature", "ece_after", "nll_after"} {
			if _, ok := m[key]; !ok {
				t.Errorf("%v: no %q in %s", args, key, out.String())
			}
		}
		return m
	}

	// Same file: the numbers are the library's.
	m := run1("--logits", test)
	r, _ := calibration.EvaluateLogits(z, y, 10)
	fit, _ := calibration.FitTemperature(z, y)
	if m["n"] != 1500.0 || m["classes"] != 7.0 || m["ece"] != r.ECE || m["nll"] != r.NLL || m["brier"] != r.Brier ||
		m["accuracy"] != r.Accuracy || m["temperature"] != fit.T || m["fit_file"] != test {
		t.Errorf("report %v\nwant ECE %v NLL %v T %v", m, r.ECE, r.NLL, fit.T)
	}
	if T := m["temperature"].(float64); math.Abs(T-3) > 0.3 || !(m["ece_after"].(float64) < m["ece"].(float64)/2) ||
		!(m["nll_after"].(float64) < m["nll"].(float64)) {
		t.Errorf("T = %v, ECE %v → %v, NLL %v → %v", T, m["ece"], m["ece_after"], m["nll"], m["nll_after"])
	}

	// --fit on validation logits, 15 bins, bootstrap, figure.
	m = run1("--logits", test, "--fit", val, "--bins", "15", "--bootstrap", "200", "--plot", fig)
	vfit, _ := calibration.FitTemperature(vz, vy)
	r15, _ := calibration.EvaluateLogits(z, y, 15)
	if m["temperature"] != vfit.T || m["fit_file"] != val || m["fit_n"] != 1500.0 || m["bins"] != 15.0 || m["ece"] != r15.ECE {
		t.Errorf("--fit: %v (validation T = %v)", m, vfit.T)
	}
	ci, ok := m["ece_ci"].([]any)
	if !ok || len(ci) != 2 || !(ci[0].(float64) < ci[1].(float64)) || m["ece_ci_level"] != 0.95 {
		t.Errorf("ece_ci = %v", m["ece_ci"])
	}
	if b, err := os.ReadFile(fig); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("figure: %v", err)
	}

	// Three right predictions: the NLL falls as T → 0, so T is the bottom of
	// the search range and the report says why.
	m = run1("--logits", small, "--bins", "5")
	if m["n"] != 3.0 || m["classes"] != 3.0 || m["accuracy"] != 1.0 || m["temperature"] != calibration.DefaultMinT ||
		m["temperature_at_bound"] != true || !strings.Contains(m["temperature_note"].(string), "T → 0") {
		t.Errorf("small file: %v", m)
	}
}

func TestCalibrateBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.csv", "label,a,b,c\n0,1,2,3\n2,0,0,1\n")
	twoClasses := write("two.csv", "0,1,2\n1,0,0\n")
	cases := []struct {
		name string
		args []string
		code int
		want []string // substrings of stderr
	}{
		{"wrong column count", []string{"--logits", write("cols.csv", "label,a,b,c\n0,1,2,3\n1,2,3\n")}, 1, []string{"cols.csv:3:", "3 fields, want 4"}},
		{"label too large", []string{"--logits", write("label.csv", "0,1,2,3\n3,1,2,3\n")}, 1, []string{"label.csv:2:", "field 1 (label)", `"3" is not a class in 0..2`}},
		{"negative label", []string{"--logits", write("neg.csv", "-1,1,2,3\n")}, 1, []string{"neg.csv:1:", "field 1 (label)"}},
		{"fractional label", []string{"--logits", write("frac.csv", "0.5,1,2,3\n")}, 1, []string{"frac.csv:1:", "field 1 (label)"}},
		{"not a number", []string{"--logits", write("nan.csv", "label,a,b,c\n0,1,2,3\n1,2,abc,3\n")}, 1, []string{"nan.csv:3:", "field 3 (z_1)", `"abc" is not a number`}},
		{"NaN logit", []string{"--logits", write("nan2.csv", "0,1,2,3\n1,2,3,NaN\n")}, 1, []string{"nan2.csv:2:", "field 4 (z_2)", "not a finite number"}},
		{"Inf logit", []string{"--logits", write("inf.csv", "0,1,+Inf,3\n")}, 1, []string{"inf.csv:1:", "field 3 (z_1)"}},
		{"empty file", []string{"--logits", write("empty.csv", "")}, 1, []string{"empty.csv: no data rows"}},
		{"header only", []string{"--logits", write("header.csv", "label,a,b\n")}, 1, []string{"header.csv: no data rows"}},
		{"one logit", []string{"--logits", write("one.csv", "0,1\n")}, 1, []string{"one.csv:1:", "at least 2 logits"}},
		{"bad quoting", []string{"--logits", write("quote.csv", "0,1,2\n1,\"2,3\n")}, 1, []string{"quote.csv"}},
		{"missing file", []string{"--logits", filepath.Join(dir, "nope.csv")}, 1, []string{"nope.csv", "no such file"}},
		{"bad fit file", []string{"--logits", good, "--fit", write("fitbad.csv", "0,1,2,x\n")}, 1, []string{"fitbad.csv:1:", "field 4 (z_2)"}},
		{"fit file with other classes", []string{"--logits", good, "--fit", twoClasses}, 1, []string{"two.csv has 2 classes", "good.csv has 3"}},
		{"no --logits", nil, 2, []string{"--logits FILE is required"}},
		{"zero bins", []string{"--logits", good, "--bins", "0"}, 2, []string{"--bins must be positive"}},
		{"unknown flag", []string{"--logit", good}, 2, []string{"flag provided but not defined"}},
		{"stray argument", []string{"--logits", good, "extra"}, 2, []string{"unexpected arguments"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(append([]string{"calibrate"}, c.args...), &out, &errb)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr %s", code, c.code, errb.String())
			}
			for _, w := range c.want {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
			if out.Len() != 0 {
				t.Errorf("stdout not empty: %s", out.String())
			}
		})
	}
}
