package lab

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fer-thesis/fer/calibration"
	"github.com/fer-thesis/fer/datasets"
	"github.com/fer-thesis/fer/fer"
)

// TestBeyondRunAndReevaluate trains chapter 9's network for one epoch on a
// tiny subset of the real data, then calls Beyond again: the finished run
// must be evaluated from its checkpoint without training, to the same
// numbers, and its logits file must give the reported accuracy.
func TestBeyondRunAndReevaluate(t *testing.T) {
	dataDir := findData(t)
	out := t.TempDir()
	var log bytes.Buffer
	opts := BeyondOptions{DataDir: dataDir, OutDir: out, Mode: "quick", TrainSubset: 96, EvalSubset: 64, Epochs: 1, Progress: &log}
	r, err := Beyond(opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if r.Epochs != 1 || r.TrainImages != 96 || r.TestImages != 64 || r.Parameters != 1758023 || r.History.Len() != 1 {
		t.Fatalf("result %+v", r)
	}
	if len(r.TTAs) != len(BeyondTTAs) {
		t.Fatalf("%d TTA results, want %d", len(r.TTAs), len(BeyondTTAs))
	}
	// The selected TTA is the best on PublicTest, and its accuracies are the
	// row's.
	for _, tr := range r.TTAs {
		if tr.ValAccuracy > r.ValAccuracy {
			t.Errorf("TTA %s has PublicTest %.4f above the selected %s's %.4f", tr.Name, tr.ValAccuracy, r.TTA, r.ValAccuracy)
		}
		if tr.Name == r.TTA && (tr.ValAccuracy != r.ValAccuracy || tr.TestAccuracy != r.TestAccuracy) {
			t.Errorf("selected TTA %+v, row %.4f / %.4f", tr, r.ValAccuracy, r.TestAccuracy)
		}
	}
	if r.Calibration == nil || !(r.Calibration.T > 0) {
		t.Fatalf("calibration %+v", r.Calibration)
	}
	logits, labels := readPrivateTestLogits(t, out)
	if got := argmaxAccuracy(logits, labels); len(logits) != 64 || got != r.TestAccuracy {
		t.Errorf("logits file: %d rows, accuracy %.4f; result %.4f", len(logits), got, r.TestAccuracy)
	}
	// Probabilities from the logits file sum to 1 (they are log p).
	s := 0.0
	for _, z := range logits[0] {
		s += math.Exp(z)
	}
	if math.Abs(s-1) > 1e-4 {
		t.Errorf("exp of the first row's logits sums to %g, want 1", s)
	}

	log.Reset()
	again, err := Beyond(opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if strings.Contains(log.String(), "Epoch 1/1") {
		t.Errorf("the finished run was trained again:\n%s", log.String())
	}
	if again.TestAccuracy != r.TestAccuracy || again.ValAccuracy != r.ValAccuracy || again.Calibration.After.ECE != r.Calibration.After.ECE {
		t.Errorf("re-evaluated from the checkpoint: %.4f / %.4f / ECE %.4f, first %.4f / %.4f / ECE %.4f",
			again.ValAccuracy, again.TestAccuracy, again.Calibration.After.ECE, r.ValAccuracy, r.TestAccuracy, r.Calibration.After.ECE)
	}
	loaded, err := LoadBeyondResult(out)
	if err != nil || loaded.TestAccuracy != r.TestAccuracy || loaded.TTA != r.TTA {
		t.Errorf("LoadBeyondResult: %+v, %v", loaded, err)
	}
}

func TestBeyondBadOptions(t *testing.T) {
	for _, c := range []struct {
		opts BeyondOptions
		want string
	}{
		{BeyondOptions{}, "OutDir is required"},
		{BeyondOptions{OutDir: t.TempDir(), Mode: "fast"}, `mode "fast"`},
		{BeyondOptions{OutDir: t.TempDir(), Mode: "quick", Epochs: -1}, "must not be negative"},
		{BeyondOptions{OutDir: t.TempDir(), Mode: "quick", DataDir: filepath.Join(t.TempDir(), "none")}, "none"},
		{BeyondOptions{OutDir: t.TempDir(), Mode: "quick", Labels: "fer+"}, `labels "fer+", want fer2013 or ferplus`},
		{BeyondOptions{OutDir: t.TempDir(), Mode: "quick", Width: 9}, "width multiplier 9, want 1 to 8"},
	} {
		if _, err := Beyond(c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.opts, err, c.want)
		}
	}
	if _, err := LoadBeyondResult(t.TempDir()); err == nil || !strings.Contains(err.Error(), "fer beyond") {
		t.Errorf("LoadBeyondResult of an empty folder: %v", err)
	}
}

// A warm restart (BeyondOptions.ContinueFrom) starts from the earlier run's
// weights, trains the new cycle only, counts the whole chain, and is
// re-evaluated from its own checkpoint when re-run.
func TestBeyondWarmRestart(t *testing.T) {
	dataDir := findData(t)
	first, second := t.TempDir(), t.TempDir()
	var log bytes.Buffer
	opts := BeyondOptions{DataDir: dataDir, OutDir: first, Mode: "quick", TrainSubset: 96, EvalSubset: 64, Epochs: 1, Progress: &log}
	r1, err := Beyond(opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	log.Reset()
	cont := opts
	cont.OutDir, cont.ContinueFrom, cont.Epochs = second, first, 2
	r2, err := Beyond(cont)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if strings.Contains(log.String(), "Epoch 1/3") || !strings.Contains(log.String(), "Epoch 2/3") {
		t.Errorf("the restart should train epochs 2 and 3 only:\n%s", log.String())
	}
	h := r2.History
	if r2.Epochs != 3 || r2.PlannedEpochs != 3 || h.Len() != 3 || !slices.Equal(r2.Cycles, []int{1, 2}) || r2.ContinuedFrom != first {
		t.Fatalf("restart: epochs %d/%d, history %d, cycles %v, from %q", r2.Epochs, r2.PlannedEpochs, h.Len(), r2.Cycles, r2.ContinuedFrom)
	}
	// The first epoch is the earlier run's, restored, not retrained.
	if e, e1 := h.At(0), r1.History.At(0); e.Loss != e1.Loss || e.ValAccuracy != e1.ValAccuracy {
		t.Errorf("epoch 1 of the chain %+v, of the first run %+v", e, e1)
	}
	// The new cycle's warm-up is min(2, 2-1) = 1 epoch, at the full rate.
	if lr := h.At(1).LearningRate; math.Abs(lr-beyondLR) > 1e-12 {
		t.Errorf("epoch 2 (first of the restart): rate %g, want %g", lr, beyondLR)
	}
	if !strings.Contains(r2.Settings, "1 + 2 epochs") {
		t.Errorf("settings %q do not name the cycles", r2.Settings)
	}
	if r2.Seconds <= r1.Seconds {
		t.Errorf("chain seconds %.1f not above the first run's %.1f", r2.Seconds, r1.Seconds)
	}

	log.Reset()
	again, err := Beyond(cont)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if strings.Contains(log.String(), "Epoch ") || again.TestAccuracy != r2.TestAccuracy || !slices.Equal(again.Cycles, r2.Cycles) {
		t.Errorf("re-run of the finished restart: PrivateTest %.4f (was %.4f), cycles %v; log:\n%s", again.TestAccuracy, r2.TestAccuracy, again.Cycles, log.String())
	}

	// Chains must match and the earlier run must be finished and elsewhere.
	for _, c := range []struct {
		edit func(o *BeyondOptions)
		want string
	}{
		{func(o *BeyondOptions) { o.OutDir = first }, "same folder"},
		{func(o *BeyondOptions) { o.TrainSubset = 64 }, "64 training faces"},
		{func(o *BeyondOptions) { o.ContinueFrom = t.TempDir() }, "no chapter 9 model"},
	} {
		o := cont
		o.OutDir = t.TempDir()
		c.edit(&o)
		if _, err := Beyond(o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}

// Stochastic weight averaging (BeyondOptions.SWALearningRate) continues a
// finished run at a constant rate, averages the new epochs, keeps the
// average in checkpoints/vgg-swa, and evaluates it again without training
// — even once the per-epoch checkpoints are gone.
func TestBeyondSWA(t *testing.T) {
	dataDir := findData(t)
	first, swaOut := t.TempDir(), t.TempDir()
	var log bytes.Buffer
	opts := BeyondOptions{DataDir: dataDir, OutDir: first, Mode: "quick", TrainSubset: 96, EvalSubset: 64, Epochs: 1, Progress: &log}
	if _, err := Beyond(opts); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	log.Reset()
	swa := opts
	swa.OutDir, swa.ContinueFrom, swa.SWALearningRate, swa.Epochs = swaOut, first, 0.0002, 0
	r, err := Beyond(swa)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "Epoch 2/3") || !strings.Contains(log.String(), "Epoch 3/3") {
		t.Errorf("SWA should train epochs 2 and 3 (quick default 2):\n%s", log.String())
	}
	if r.SWA == nil || !slices.Equal(r.SWA.Averaged, []int{2, 3}) || r.SWA.LearningRate != 0.0002 || r.Epochs != 3 {
		t.Fatalf("SWA result %+v, epochs %d", r.SWA, r.Epochs)
	}
	for _, e := range []int{2, 3} {
		if lr := r.History.At(e - 1).LearningRate; math.Abs(lr-0.0002) > 1e-12 {
			t.Errorf("epoch %d: rate %g, want the constant 0.0002", e, lr)
		}
	}
	if r.CheckpointDir != filepath.Join(swaOut, "checkpoints", SWADir) {
		t.Errorf("checkpoint folder %s", r.CheckpointDir)
	}
	if !strings.Contains(r.Settings, "averaged (SWA)") {
		t.Errorf("settings %q", r.Settings)
	}

	// The average is evaluated again from its own checkpoint, with the
	// per-epoch checkpoints removed.
	if err := os.RemoveAll(filepath.Join(swaOut, "checkpoints", VGG)); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	again, err := Beyond(swa)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if strings.Contains(log.String(), "Epoch ") || again.TestAccuracy != r.TestAccuracy || again.ValAccuracy != r.ValAccuracy ||
		again.SWA == nil || again.SWA.Last != r.SWA.Last || again.History.Len() != 3 {
		t.Errorf("re-evaluation: %.4f / %.4f (was %.4f / %.4f), SWA %+v, log:\n%s", again.ValAccuracy, again.TestAccuracy,
			r.ValAccuracy, r.TestAccuracy, again.SWA, log.String())
	}

	// SWA needs a run to continue, and an SWA run is not continued.
	o := swa
	o.OutDir, o.ContinueFrom = t.TempDir(), ""
	if _, err := Beyond(o); err == nil || !strings.Contains(err.Error(), "set ContinueFrom") {
		t.Errorf("SWA without ContinueFrom: %v", err)
	}
	o = opts
	o.OutDir, o.ContinueFrom = t.TempDir(), swaOut
	if _, err := Beyond(o); err == nil || !strings.Contains(err.Error(), "stochastic-weight-averaging run") {
		t.Errorf("continuing an SWA run: %v", err)
	}
	o = swa
	o.OutDir, o.SWALearningRate = t.TempDir(), -1
	if _, err := Beyond(o); err == nil || !strings.Contains(err.Error(), "must not be negative") {
		t.Errorf("negative SWA rate: %v", err)
	}
}

// On the FER+ majority labels the network has 8 outputs, the faces are
// those with a majority, the result carries no thesis or Kaggle comparison,
// and a warm restart on FER2013's labels is refused.
func TestBeyondFERPlus(t *testing.T) {
	dataDir := findData(t)
	if _, err := os.Stat(filepath.Join(dataDir, "fer2013", "fer2013new.csv")); err != nil {
		t.Skipf("no FER+ labels in %s", dataDir)
	}
	out := t.TempDir()
	var log bytes.Buffer
	opts := BeyondOptions{DataDir: dataDir, OutDir: out, Mode: "quick", TrainSubset: 96, EvalSubset: 64, Epochs: 1, Labels: LabelsFERPlus, Progress: &log}
	r, err := Beyond(opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if r.Parameters != 1758023+257 || r.Labels != LabelsFERPlus || len(r.ClassNames) != 8 || r.ClassNames[7] != "contempt" ||
		len(r.Confusion) != 8 || r.ThesisAccuracy != 0 || r.KagglePosition != "" || r.TrainImages != 96 || r.TestImages != 64 {
		t.Fatalf("FER+ result: %d parameters, labels %q %v, %d×%d confusion, thesis %g, Kaggle %q, %d/%d faces",
			r.Parameters, r.Labels, r.ClassNames, len(r.Confusion), len(r.Confusion), r.ThesisAccuracy, r.KagglePosition, r.TrainImages, r.TestImages)
	}
	if !strings.Contains(log.String(), "FER+ majority labels: training on 96 faces") || !strings.Contains(r.Settings, "fer-vgg-8") {
		t.Errorf("log or settings do not name the FER+ labels and network:\n%s\n%s", log.String(), r.Settings)
	}
	// The test faces are PrivateTest's first 64 with a FER+ majority, and the
	// logits file holds their FER+ labels over 8 columns.
	data, err := datasets.LoadFER2013Dir(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	splits, err := data.FERPlusMajoritySplits()
	if err != nil {
		t.Fatal(err)
	}
	logits, labels := readPrivateTestLogits(t, out)
	if len(logits) != 64 || len(logits[0]) != 8 || fmt.Sprint(labels) != fmt.Sprint(splits[2].IntLabels()[:64]) {
		t.Errorf("logits file: %d rows of %d, labels %v", len(logits), len(logits[0]), labels[:8])
	}
	// A warm restart must keep the labels.
	bad := BeyondOptions{DataDir: dataDir, OutDir: t.TempDir(), Mode: "quick", TrainSubset: 96, EvalSubset: 64, Epochs: 1, ContinueFrom: out}
	if _, err := Beyond(bad); err == nil || !strings.Contains(err.Error(), "learnt the ferplus labels, this run the fer2013 labels") {
		t.Errorf("continuing a FER+ run on FER2013's labels: %v", err)
	}
}

// A wider network (BeyondOptions.Width) is fer.FERVGGWith's, is recorded in
// the result, and cannot be continued at another width.
func TestBeyondWidth(t *testing.T) {
	dataDir := findData(t)
	out := t.TempDir()
	var log bytes.Buffer
	r, err := Beyond(BeyondOptions{DataDir: dataDir, OutDir: out, Mode: "quick", TrainSubset: 32, EvalSubset: 32, Epochs: 1, Width: 2, Progress: &log})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	m, err := fer.FERVGGWith(7, 2)
	if err != nil {
		t.Fatal(err)
	}
	if n, _, _ := m.CountParams(); r.Parameters != n || r.Width != 2 || !strings.Contains(r.Settings, "fer-vgg-w2") {
		t.Errorf("width 2: %d parameters (want %d), width %d, settings %q", r.Parameters, n, r.Width, r.Settings)
	}
	bad := BeyondOptions{DataDir: dataDir, OutDir: t.TempDir(), Mode: "quick", TrainSubset: 32, EvalSubset: 32, Epochs: 1, ContinueFrom: out}
	if _, err := Beyond(bad); err == nil || !strings.Contains(err.Error(), "width 2, this run one of width 1") {
		t.Errorf("continuing a width-2 run at width 1: %v", err)
	}
}

// readPrivateTestLogits reads the PrivateTest logits file Beyond wrote in out.
func readPrivateTestLogits(t *testing.T, out string) ([][]float64, []int) {
	t.Helper()
	f, err := os.Open(filepath.Join(out, VGG+"_privatetest_logits.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	logits, labels, err := calibration.ReadLogitsCSV(f, f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return logits, labels
}
