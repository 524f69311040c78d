package calibration

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// fiveRows is the hand-worked case of the metric tests: K = 3 classes,
// M = 5 bins with edges 0.2, 0.4, 0.6, 0.8, 1.
//
//	row  probabilities        label  conf  bin         right
//	0    [0.9  0.05 0.05]     0      0.9   (0.8, 1]    yes
//	1    [0.8  0.1  0.1 ]     1      0.8   (0.6, 0.8]  no   (0.8 is an upper edge)
//	2    [0.3  0.6  0.1 ]     1      0.6   (0.4, 0.6]  yes  (0.6 is an upper edge)
//	3    [0.5  0.25 0.25]     2      0.5   (0.4, 0.6]  no
//	4    [0.05 0.95 0   ]     0      0.95  (0.8, 1]    no
//
// Bins: (0.4,0.6]: n=2, conf (0.6+0.5)/2 = 0.55, acc 1/2, gap 0.05
//
//	(0.6,0.8]: n=1, conf 0.8, acc 0, gap 0.8
//	(0.8,1]:   n=2, conf (0.9+0.95)/2 = 0.925, acc 1/2, gap 0.425
//
// ECE = (2·0.05 + 1·0.8 + 2·0.425)/5 = 1.75/5 = 0.35;  MCE = 0.8.
// Accuracy = 2/5 = 0.4; mean confidence = 3.75/5 = 0.75.
// NLL = −(ln 0.9 + ln 0.1 + ln 0.6 + ln 0.25 + ln 0.05)/5 ≈ 7.3007979/5 ≈ 1.4601596.
// Brier: row 0: 0.1² + 0.05² + 0.05² = 0.015; row 1: 0.8² + 0.9² + 0.1² = 1.46;
// row 2: 0.3² + 0.4² + 0.1² = 0.26; row 3: 0.5² + 0.25² + 0.75² = 0.875;
// row 4: 0.95² + 0.95² + 0 = 1.805; sum 4.415, mean 0.883.
// Class-wise ECE (each class binned on its own probability):
//
//	class 0: p = .9 .8 .3 .5 .05, y=0 in rows 0,4: one per bin, gaps .1 .8 .3 .5 .95 → 2.65/5 = 0.53
//	class 1: p = .05 .1 .6 .25 .95, y=1 in rows 1,2: bin (0,.2] has rows 0,1 (conf .075, acc .5,
//	         gap .425 ×2), then .25 vs 0, .6 vs 1, .95 vs 0 → (0.85+0.25+0.4+0.95)/5 = 0.49
//	class 2: p = .05 .1 .1 .25 0, y=2 in row 3: bin [0,.2] has 4 rows (conf .0625, acc 0),
//	         .25 vs 1 → (0.25 + 0.75)/5 = 0.2
//	mean (0.53 + 0.49 + 0.2)/3 = 0.40667
var fiveRows = struct {
	probs  [][]float64
	labels []int
}{
	probs: [][]float64{
		{0.9, 0.05, 0.05},
		{0.8, 0.1, 0.1},
		{0.3, 0.6, 0.1},
		{0.5, 0.25, 0.25},
		{0.05, 0.95, 0},
	},
	labels: []int{0, 1, 1, 2, 0},
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestHandWorkedMetrics(t *testing.T) {
	p, y := fiveRows.probs, fiveRows.labels
	b, err := Reliability(p, y, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		n, right  int
		conf, acc float64
	}{{0, 0, 0, 0}, {0, 0, 0, 0}, {2, 1, 0.55, 0.5}, {1, 0, 0.8, 0}, {2, 1, 0.925, 0.5}}
	for i, w := range want {
		if b[i].Count != w.n || b[i].Correct != w.right || !near(b[i].Confidence, w.conf, 1e-12) ||
			!near(b[i].Accuracy, w.acc, 1e-12) || !near(b[i].Gap, math.Abs(w.acc-w.conf), 1e-12) {
			t.Errorf("bin %d = %+v, want n=%d right=%d conf=%g acc=%g", i, b[i], w.n, w.right, w.conf, w.acc)
		}
		if !near(b[i].Lo, float64(i)/5, 1e-15) || !near(b[i].Hi, float64(i+1)/5, 1e-15) {
			t.Errorf("bin %d edges (%g, %g]", i, b[i].Lo, b[i].Hi)
		}
	}
	wantNLL := -(math.Log(0.9) + math.Log(0.1) + math.Log(0.6) + math.Log(0.25) + math.Log(0.05)) / 5
	if !near(wantNLL, 1.4601596, 1e-7) {
		t.Fatalf("hand NLL %v", wantNLL)
	}
	r, err := Evaluate(p, y, 5)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"ECE", r.ECE, 0.35}, {"MCE", r.MCE, 0.8}, {"accuracy", r.Accuracy, 0.4},
		{"confidence", r.Confidence, 0.75}, {"NLL", r.NLL, wantNLL}, {"Brier", r.Brier, 0.883},
		{"classwise ECE", r.ClasswiseECE, 1.22 / 3},
	}
	for _, c := range checks {
		if !near(c.got, c.want, 1e-12) {
			t.Errorf("Evaluate %s = %.15g, want %.15g", c.name, c.got, c.want)
		}
	}
	if r.N != 5 || r.Classes != 3 || len(r.Bins) != 5 {
		t.Errorf("report N=%d classes=%d bins=%d", r.N, r.Classes, len(r.Bins))
	}
	// The standalone functions agree with Evaluate.
	single := []struct {
		name string
		f    func() (float64, error)
		want float64
	}{
		{"ECE", func() (float64, error) { return ECE(p, y, 5) }, 0.35},
		{"MCE", func() (float64, error) { return MCE(p, y, 5) }, 0.8},
		{"Accuracy", func() (float64, error) { return Accuracy(p, y) }, 0.4},
		{"MeanConfidence", func() (float64, error) { return MeanConfidence(p) }, 0.75},
		{"NLL", func() (float64, error) { return NLL(p, y) }, wantNLL},
		{"Brier", func() (float64, error) { return Brier(p, y) }, 0.883},
		{"ClasswiseECE", func() (float64, error) { return ClasswiseECE(p, y, 5) }, 1.22 / 3},
	}
	for _, s := range single {
		got, err := s.f()
		if err != nil || !near(got, s.want, 1e-12) {
			t.Errorf("%s = %.15g, %v; want %.15g", s.name, got, err, s.want)
		}
	}
}

func TestPerfectAndUniformPredictions(t *testing.T) {
	// One-hot right predictions: everything in the last bin, all metrics 0.
	p := [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
	r, err := Evaluate(p, []int{0, 1, 2}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if r.ECE != 0 || r.MCE != 0 || r.NLL != 0 || r.Brier != 0 || r.Accuracy != 1 || r.Bins[9].Count != 3 {
		t.Errorf("perfect predictions: %+v", r)
	}
	// A one-hot wrong prediction: NLL is clipped at −log(ProbEpsilon), Brier is 2.
	r, err = Evaluate([][]float64{{1, 0}}, []int{1}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !near(r.NLL, -math.Log(ProbEpsilon), 1e-12) || r.Brier != 2 || r.ECE != 1 {
		t.Errorf("confident mistake: NLL %v Brier %v ECE %v", r.NLL, r.Brier, r.ECE)
	}
	// Uniform probabilities over K = 4: Brier = 1 − 1/K, NLL = log K.
	u := [][]float64{{.25, .25, .25, .25}, {.25, .25, .25, .25}}
	r, err = Evaluate(u, []int{0, 3}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !near(r.Brier, 0.75, 1e-15) || !near(r.NLL, math.Log(4), 1e-15) || r.Bins[2].Count != 2 {
		t.Errorf("uniform: Brier %v NLL %v bins %+v", r.Brier, r.NLL, r.Bins)
	}
}

func TestBinIndexEdges(t *testing.T) {
	for _, m := range []int{1, 3, 7, 10, 15, 25, 41, 50} {
		if BinIndex(0, m) != 0 || BinIndex(1, m) != m-1 {
			t.Errorf("m=%d: 0 → %d, 1 → %d", m, BinIndex(0, m), BinIndex(1, m))
		}
		for i := 1; i <= m; i++ {
			edge := float64(i) / float64(m)
			if got := BinIndex(edge, m); got != i-1 {
				t.Errorf("m=%d: upper edge %v in bin %d, want %d", m, edge, got, i-1)
			}
			if i < m {
				if got := BinIndex(math.Nextafter(edge, 2), m); got != i {
					t.Errorf("m=%d: just above %v in bin %d, want %d", m, edge, got, i)
				}
			}
		}
	}
	// 0.28·25 rounds to 7.000000000000001: a naive ceil(c·M)−1 puts 0.28 in (0.28, 0.32].
	// In float64 arithmetic 0.1·3 = 0.30000000000000004 (Go constants are
	// exact, hence the variable): above the edge 0.3, it belongs to (0.3, 0.4].
	tenth := 0.1
	above := tenth * 3
	if BinIndex(0.28, 25) != 6 || BinIndex(above, 10) != 3 || BinIndex(0.3, 10) != 2 || BinIndex(1e-300, 10) != 0 {
		t.Errorf("0.28 → %d, 0.1·3 → %d, 0.3 → %d, 1e-300 → %d", BinIndex(0.28, 25), BinIndex(above, 10), BinIndex(0.3, 10), BinIndex(1e-300, 10))
	}
}

func TestNLLLogitsHandWorked(t *testing.T) {
	// softmax(0, ln 3) = (1/4, 3/4); softmax(ln 4, 0) = (4/5, 1/5).
	// NLL = (−ln 3/4 − ln 1/5)/2 = ln(20/3)/2 ≈ 0.948560.
	z := [][]float64{{0, math.Log(3)}, {math.Log(4), 0}}
	got, err := NLLLogits(z, []int{1, 1})
	if err != nil || !near(got, math.Log(20.0/3)/2, 1e-15) || !near(got, 0.9485600, 1e-7) {
		t.Errorf("NLLLogits = %v, %v", got, err)
	}
	r, err := EvaluateLogits(z, []int{1, 1}, 10)
	if err != nil || r.NLL != got || r.Accuracy != 0.5 {
		t.Errorf("EvaluateLogits: %+v, %v", r, err)
	}
	// Logits of size 1e4: log-sum-exp gives the exact answers 0 and 2e4, no overflow,
	// where the probabilities route would clip at −log(ProbEpsilon).
	big := [][]float64{{1e4, -1e4}, {1e4, -1e4}}
	got, err = NLLLogits(big, []int{0, 1})
	if err != nil || got != 1e4 {
		t.Errorf("NLLLogits(±1e4) = %v, %v; want (0 + 2e4)/2", got, err)
	}
	p, err := Softmax(big, 1)
	if err != nil || p[0][0] != 1 || p[0][1] != 0 {
		t.Errorf("softmax(±1e4) = %v, %v", p, err)
	}
}

func TestInputErrorsNameTheRow(t *testing.T) {
	good := [][]float64{{0.5, 0.5, 0}, {0.2, 0.3, 0.5}, {1, 0, 0}}
	cases := []struct {
		name     string
		probs    [][]float64
		labels   []int
		row, col int
		text     string
	}{
		{"label too large", good, []int{0, 3, 0}, 1, -1, "label 3 outside 0..2"},
		{"negative label", good, []int{0, 0, -1}, 2, -1, "label -1"},
		{"ragged", [][]float64{{0.5, 0.5, 0}, {0.2, 0.3, 0.5}, {1, 0}}, []int{0, 0, 0}, 2, -1, "2 values, want 3"},
		{"NaN", [][]float64{{0.5, math.NaN(), 0}, {0.2, 0.3, 0.5}, {1, 0, 0}}, []int{0, 0, 0}, 0, 1, "not finite"},
		{"Inf", [][]float64{{0.5, 0.5, 0}, {0.2, 0.3, math.Inf(1)}, {1, 0, 0}}, []int{0, 0, 0}, 1, 2, "not finite"},
		{"sum", [][]float64{{0.5, 0.5, 0}, {0.2, 0.3, 0.4}, {1, 0, 0}}, []int{0, 0, 0}, 1, -1, "sum to 0.9"},
		{"negative", [][]float64{{0.5, 0.5, 0}, {0.2, 0.3, 0.5}, {1.5, -0.5, 0}}, []int{0, 0, 0}, 2, 0, "outside [0, 1]"},
		{"labels short", good, []int{0, 0}, -1, -1, "3 rows but 2 labels"},
		{"empty", nil, nil, -1, -1, "no rows"},
		{"one class", [][]float64{{1}}, []int{0}, 0, -1, "at least 2 classes"},
	}
	for _, c := range cases {
		for fname, f := range map[string]func() error{
			"Evaluate":    func() error { _, err := Evaluate(c.probs, c.labels, 10); return err },
			"Reliability": func() error { _, err := Reliability(c.probs, c.labels, 10); return err },
			"NLL":         func() error { _, err := NLL(c.probs, c.labels); return err },
			"Brier":       func() error { _, err := Brier(c.probs, c.labels); return err },
		} {
			err := f()
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("%s / %s: err = %v, want an *InputError", c.name, fname, err)
				continue
			}
			if ie.Row != c.row || ie.Col != c.col || !strings.Contains(err.Error(), c.text) {
				t.Errorf("%s / %s: err = %v (row %d col %d), want row %d col %d and %q", c.name, fname, err, ie.Row, ie.Col, c.row, c.col, c.text)
			}
		}
	}
	if _, err := Reliability(good, []int{0, 0, 0}, 0); err == nil {
		t.Error("0 bins: want error")
	}
	if _, err := Softmax(good, 0); err == nil {
		t.Error("T = 0: want error")
	}
	if _, err := ReliabilityConf([]float64{0.5, 1.2}, []bool{true, false}, 10); err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("confidence 1.2: err = %v", err)
	}
	// Logits are not probabilities: the message says so.
	if _, err := Evaluate([][]float64{{2, -1}}, []int{0}, 10); err == nil || !strings.Contains(err.Error(), "logits") {
		t.Errorf("logits passed as probabilities: err = %v", err)
	}
}

func TestRows(t *testing.T) {
	flat := []float64{0.1, 0.9, 0.6, 0.4, 0.5, 0.5}
	rows, err := Rows(flat, 2)
	if err != nil || len(rows) != 3 || rows[1][0] != 0.6 || cap(rows[0]) != 2 {
		t.Fatalf("Rows = %v, %v", rows, err)
	}
	if acc, err := Accuracy(rows, []int{1, 0, 0}); err != nil || acc != 1 {
		t.Errorf("accuracy on reshaped rows = %v, %v", acc, err)
	}
	if _, err := Rows(flat, 4); err == nil {
		t.Error("6 values in rows of 4: want error")
	}
	if _, err := Rows(flat, 0); err == nil {
		t.Error("rows of 0: want error")
	}
}
