package fer

import (
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// weightValues returns the model's layer weights by store path.
func weightValues(t *testing.T, m *Model) map[string][]float32 {
	t.Helper()
	ws, err := m.snapshotWeights()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for _, w := range ws {
		out[w.path] = tensors.MustCopyFlatData[float32](w.t)
	}
	return out
}

func TestAverageCheckpointsIsTheMean(t *testing.T) {
	needBackend(t)
	train, val := testCircles(400, 0.1, 1), testCircles(100, 0.1, 2)
	dir := t.TempDir()
	m := killTestModel(t)
	if _, err := m.Fit(train, FitOptions{Epochs: 4, BatchSize: 16, Validation: &val, CheckpointDir: dir,
		KeepCheckpoints: 3, Progress: io.Discard}); err != nil {
		t.Fatal(err)
	}
	list, err := ListCheckpoints(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].Epoch != 2 || list[2].Epoch != 4 {
		t.Fatalf("KeepCheckpoints 3 after 4 epochs: got %v, want epochs 2, 3, 4 oldest first", list)
	}
	var paths []string
	want := map[string][]float64{}
	for _, c := range list {
		paths = append(paths, c.Path)
		ck, err := readCheckpoint(c.Path)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range ck.vars {
			if !m.isModelWeight(v.path) {
				continue
			}
			flat := tensors.MustCopyFlatData[float32](v.t)
			if want[v.path] == nil {
				want[v.path] = make([]float64, len(flat))
			}
			for k, x := range flat {
				want[v.path][k] += float64(x) / 3
			}
		}
	}
	if len(want) != 8 { // 2 Dense × (kernel, bias) + BatchNorm's gamma, beta, moving mean, moving variance
		t.Fatalf("%d layer weights in the checkpoints, want 8: %v", len(want), want)
	}

	avg := killTestModel(t)
	if err := avg.AverageCheckpoints(paths...); err != nil {
		t.Fatal(err)
	}
	if avg.Epochs() != 4 || avg.History().Len() != 4 {
		t.Errorf("after averaging: %d epochs done, history of %d; want the last file's 4", avg.Epochs(), avg.History().Len())
	}
	got := weightValues(t, avg)
	last := weightValues(t, m)
	moved := false
	for path, w := range want {
		g := got[path]
		if len(g) != len(w) {
			t.Fatalf("%s: %d values, want %d", path, len(g), len(w))
		}
		for k := range w {
			if math.Abs(float64(g[k])-w[k]) > 1e-6*max(1, math.Abs(w[k])) {
				t.Fatalf("%s[%d] = %g, want the mean %g", path, k, g[k], w[k])
			}
			if g[k] != last[path][k] {
				moved = true
			}
		}
	}
	if !moved {
		t.Error("the average equals the last epoch's weights: nothing was averaged")
	}
	// The averaged model predicts (its graphs build on the restored state).
	if _, acc, err := avg.Evaluate(val); err != nil || acc < 0.6 {
		t.Errorf("averaged model: accuracy %.3f, err %v", acc, err)
	}
}

func TestAverageCheckpointsErrors(t *testing.T) {
	needBackend(t)
	m := killTestModel(t)
	if err := m.AverageCheckpoints(); err == nil || !strings.Contains(err.Error(), "no checkpoint files") {
		t.Errorf("no files: err %v", err)
	}
	missing := filepath.Join(t.TempDir(), "epoch-000001.ckpt")
	if err := m.AverageCheckpoints(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: err %v, want it named", err)
	}
	// A checkpoint of another network.
	other, err := NewSequential(Input(2), Dense{Units: 3, Activation: ActReLU}, Dense{Units: 1, Activation: ActSigmoid})
	if err != nil {
		t.Fatal(err)
	}
	other.WithName("other")
	if err := other.Compile(Adam(0.01), BinaryCrossEntropy); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := other.Fit(testCircles(64, 0.1, 1), FitOptions{Epochs: 1, CheckpointDir: dir, Progress: io.Discard}); err != nil {
		t.Fatal(err)
	}
	list, err := ListCheckpoints(dir)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListCheckpoints: %v, %v", list, err)
	}
	if err := m.AverageCheckpoints(list[0].Path); err == nil || !strings.Contains(err.Error(), "different layers") {
		t.Errorf("another model's checkpoint: err %v", err)
	}
}

func TestUpdateBatchNormEstimatesTheData(t *testing.T) {
	needBackend(t)
	m, err := NewSequential(Input(2), BatchNormalization{}, Dense{Units: 1, Activation: ActSigmoid})
	if err != nil {
		t.Fatal(err)
	}
	m.WithSeed(3)
	if err := m.Compile(Adam(0.01), BinaryCrossEntropy); err != nil {
		t.Fatal(err)
	}
	// Feature 0 ~ N(3, 2²), feature 1 ~ N(-1, 0.5²).
	const n = 8000
	rng := rand.New(rand.NewPCG(1, 2))
	d := Data{X: make([]float32, 2*n), Shape: []int{2}}
	for i := range n {
		d.X[2*i] = float32(3 + 2*rng.NormFloat64())
		d.X[2*i+1] = float32(-1 + 0.5*rng.NormFloat64())
	}
	if _, err := m.Logits(Data{X: d.X[:2], Shape: []int{2}}); err != nil { // creates the variables
		t.Fatal(err)
	}
	before := weightValues(t, m)
	if err := m.UpdateBatchNorm(d, 16, nil); err != nil {
		t.Fatal(err)
	}
	after := weightValues(t, m)
	// Every example is in one of the 500 equal batches: the mean of the
	// batch means is the sample mean; the mean of the batch (biased)
	// variances is about 15/16 of the sample variance.
	var mean, sq [2]float64
	for i := range n {
		for f := range 2 {
			x := float64(d.X[2*i+f])
			mean[f] += x / n
			sq[f] += x * x / n
		}
	}
	for path, w := range before {
		switch {
		case strings.HasSuffix(path, "/moving_mean"):
			for f := range 2 {
				if g := float64(after[path][f]); math.Abs(g-mean[f]) > 1e-4 {
					t.Errorf("%s[%d] = %.6f, want the sample mean %.6f", path, f, g, mean[f])
				}
			}
		case strings.HasSuffix(path, "/moving_variance"):
			for f := range 2 {
				want := (sq[f] - mean[f]*mean[f]) * 15 / 16
				if g := float64(after[path][f]); math.Abs(g/want-1) > 0.03 {
					t.Errorf("%s[%d] = %.4f, want about %.4f", path, f, g, want)
				}
			}
		default:
			for k := range w {
				if after[path][k] != w[k] {
					t.Errorf("%s changed: %v → %v", path, w, after[path])
					break
				}
			}
		}
	}
	// One batch: its own mean, whatever the averages held before (the
	// training momentum would leave 99 % of them).
	if err := m.UpdateBatchNorm(Data{X: d.X[:32], Shape: []int{2}}, 16, nil); err != nil {
		t.Fatal(err)
	}
	var m16 float64
	for i := range 16 {
		m16 += float64(d.X[2*i]) / 16
	}
	if g := float64(weightValues(t, m)["/batch_normalization/moving_mean"][0]); math.Abs(g-m16) > 1e-4 {
		t.Errorf("after one batch of 16: moving mean %.6f, want the batch's mean %.6f", g, m16)
	}
	if err := m.UpdateBatchNorm(Data{X: d.X[:20], Shape: []int{2}}, 8, nil); err != nil {
		t.Errorf("10 examples, batch 8: err %v", err)
	}
	if err := m.UpdateBatchNorm(Data{X: d.X[:20], Shape: []int{2}}, 32, nil); err == nil || !strings.Contains(err.Error(), "fewer than one batch") {
		t.Errorf("10 examples, batch 32: err %v", err)
	}
	if err := m.UpdateBatchNorm(Data{X: d.X[:6], Shape: []int{3}}, 1, nil); err == nil {
		t.Error("examples shaped [3] for a model taking [2]: no error")
	}
}

// UpdateBatchNorm changes the BatchNorm averages only: the training-mode
// pass also draws dropout masks, whose random state must not move.
func TestUpdateBatchNormChangesOnlyTheAverages(t *testing.T) {
	needBackend(t)
	m := killTestModel(t) // Dense, BatchNorm, Dropout, Dense
	d := testCircles(256, 0.1, 1)
	if _, err := m.Fit(d, FitOptions{Epochs: 1, BatchSize: 32, Progress: io.Discard}); err != nil {
		t.Fatal(err)
	}
	all := func() map[string][]byte {
		vs, err := m.snapshot(nil)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		for _, v := range vs {
			v.t.ConstBytes(func(b []byte) { out[v.path] = append([]byte(nil), b...) })
		}
		return out
	}
	before := all()
	if err := m.UpdateBatchNorm(d, 32, nil); err != nil {
		t.Fatal(err)
	}
	after := all()
	if len(after) != len(before) {
		t.Fatalf("%d variables after, %d before", len(after), len(before))
	}
	changed := 0
	for path, b := range before {
		same := string(after[path]) == string(b)
		if strings.HasSuffix(path, "/moving_mean") || strings.HasSuffix(path, "/moving_variance") {
			if !same {
				changed++
			}
		} else if !same {
			t.Errorf("%s changed", path)
		}
	}
	if changed != 2 {
		t.Errorf("%d of the 2 moving averages changed", changed)
	}
}
