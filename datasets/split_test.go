package datasets

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// idxLine formats indices as testdata/gen_splits.py does.
func idxLine(name string, idx []int) string {
	s := make([]string, len(idx))
	for i, v := range idx {
		s[i] = strconv.Itoa(v)
	}
	sum := sha256.Sum256([]byte(strings.Join(s, ",")))
	return fmt.Sprintf("%s n=%d sha256=%s head=%s", name, len(idx), hex.EncodeToString(sum[:]), strings.Join(s[:min(10, len(s))], ","))
}

// TestSplitsGolden compares with scikit-learn's indices recorded in
// testdata/splits_circles.txt by testdata/gen_splits.py.
func TestSplitsGolden(t *testing.T) {
	raw, err := os.ReadFile("testdata/splits_circles.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var got []string
	_, y := MakeCircles(1000, 0.1, 1, true)
	folds, err := StratifiedKFold(y, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, f := range folds {
		got = append(got, idxLine(fmt.Sprintf("circles_skf5_fold%d_test", k), f.Test))
		if len(f.Train)+len(f.Test) != 1000 {
			t.Errorf("fold %d: %d+%d samples", k, len(f.Train), len(f.Test))
		}
	}
	for _, seed := range []uint32{0, 1, 42} {
		tr, te, err := TrainTestSplit(1000, 0, 0.2, seed, y)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, idxLine(fmt.Sprintf("circles_stratified_test0.2_seed%d_train", seed), tr))
		got = append(got, idxLine(fmt.Sprintf("circles_stratified_test0.2_seed%d_test", seed), te))
	}
	tr, te, err := TrainTestSplit(60000, 0.7, 0, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, idxLine("mnist_train0.7_seed100_train", tr), idxLine("mnist_train0.7_seed100_test", te))
	if len(got) != len(want) {
		t.Fatalf("%d lines, golden has %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("differs from scikit-learn:\n got %s\nwant %s", got[i], want[i])
		}
	}
}

func TestSplitErrors(t *testing.T) {
	if _, err := StratifiedKFold([]int{0, 1, 0}, 1, nil); err == nil {
		t.Error("n_splits=1 accepted")
	}
	if _, err := StratifiedKFold([]int{0, 1, 0}, 4, nil); err == nil {
		t.Error("n_splits > n accepted")
	}
	if _, err := StratifiedKFold([]int{0, 1, 2, 0, 1, 2}, 3, nil); err == nil {
		t.Error("classes all smaller than n_splits accepted")
	}
	if _, _, err := TrainTestSplit(10, 0, 0.2, 0, []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 1}); err == nil {
		t.Error("class with one member accepted")
	}
	if _, _, err := TrainTestSplit(10, 0.8, 0.3, 0, nil); err == nil {
		t.Error("sizes summing over 1 accepted")
	}
	if _, _, err := TrainTestSplit(10, 0, 1.5, 0, nil); err == nil {
		t.Error("test_size 1.5 accepted")
	}
	if tr, te, err := TrainTestSplit(10, 0, 0, 0, nil); err != nil || len(tr) != 7 || len(te) != 3 {
		t.Errorf("default sizes: %d/%d, %v", len(tr), len(te), err)
	}
}

// TestSplitsLiveSklearn compares many split configurations with
// scikit-learn run live.
func TestSplitsLiveSklearn(t *testing.T) {
	py := sklearnPython(t)
	type config struct {
		Kind      string  `json:"kind"` // skf, tts
		Y         []int   `json:"y"`
		N         int     `json:"n"`
		Splits    int     `json:"splits"`
		Seed      *uint32 `json:"seed"`
		TrainSize float64 `json:"train"`
		TestSize  float64 `json:"test"`
		Stratify  bool    `json:"stratify"`
	}
	u := func(v uint32) *uint32 { return &v }
	rs := NewRandomState(5)
	labels := func(n, k int, skew bool) []int {
		y := make([]int, n)
		for i := range y {
			v := int(rs.Interval(uint64(k - 1)))
			if skew && rs.RandomSample() < 0.5 {
				v = 0
			}
			y[i] = v*3 - 2 // labels need not start at 0 or be contiguous
		}
		return y
	}
	var configs []config
	for _, n := range []int{20, 37, 101, 500} {
		for _, k := range []int{2, 3, 7} {
			y := labels(n, k, k == 7)
			configs = append(configs,
				config{Kind: "skf", Y: y, Splits: 5},
				config{Kind: "skf", Y: y, Splits: 3, Seed: u(uint32(n * k))},
				config{Kind: "tts", Y: y, N: n, TestSize: 0.2, Stratify: true, Seed: u(uint32(k))},
				config{Kind: "tts", Y: y, N: n, TrainSize: 0.5, TestSize: 0.3, Stratify: true, Seed: u(7)},
				config{Kind: "tts", Y: y, N: n, TrainSize: 14, Stratify: true, Seed: u(4294967295)},
				config{Kind: "tts", N: n, TrainSize: 0.7, Seed: u(100)},
				config{Kind: "tts", N: n, TestSize: 5, Seed: u(3)},
			)
		}
	}
	js, err := json.Marshal(configs)
	if err != nil {
		t.Fatal(err)
	}
	prog := `
import json, sys, warnings
warnings.simplefilter("ignore")
import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split
def size(v):
    if v == 0: return None
    return v if v < 1 else int(v)
def answer(c):
    if c["kind"] == "skf":
        skf = StratifiedKFold(n_splits=c["splits"], shuffle=c["seed"] is not None, random_state=c["seed"])
        return [[int(i) for i in te] for _, te in skf.split(np.zeros(len(c["y"])), c["y"])]
    else:
        n = c["n"] if not c["y"] else len(c["y"])
        tr, te = train_test_split(np.arange(n), train_size=size(c["train"]), test_size=size(c["test"]),
                                  random_state=c["seed"], stratify=c["y"] if c["stratify"] else None)
        return [[int(i) for i in tr], [int(i) for i in te]]
for c in json.loads(sys.argv[1]):
    try:
        print(json.dumps(answer(c), separators=(",", ":")))
    except ValueError:
        print(json.dumps("error"))
`
	cmd := fmt.Sprintf("import sys; sys.argv=['x', %s]\n%s", strconv.Quote(string(js)), prog)
	out := strings.Split(strings.TrimSpace(runPython(t, py, cmd)), "\n")
	if len(out) != len(configs) {
		t.Fatalf("%d answers for %d configurations", len(out), len(configs))
	}
	for i, c := range configs {
		var got any
		if c.Kind == "skf" {
			var r *RandomState
			if c.Seed != nil {
				r = NewRandomState(*c.Seed)
			}
			folds, err := StratifiedKFold(c.Y, c.Splits, r)
			tests := make([][]int, len(folds))
			for k, f := range folds {
				tests[k] = f.Test
			}
			got = tests
			if err != nil {
				got = "error"
			}
		} else {
			n := c.N
			var strat []int
			if c.Stratify {
				strat, n = c.Y, len(c.Y)
			}
			tr, te, err := TrainTestSplit(n, c.TrainSize, c.TestSize, *c.Seed, strat)
			got = [][]int{tr, te}
			if err != nil {
				got = "error"
			}
		}
		gj, _ := json.Marshal(got)
		if string(gj) != out[i] {
			cj, _ := json.Marshal(c)
			t.Errorf("config %s:\n got %.200s\nwant %.200s", cj, gj, out[i])
		}
	}
}
