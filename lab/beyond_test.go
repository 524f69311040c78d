package lab

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fer-thesis/fer/calibration"
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
	f, err := os.Open(filepath.Join(out, VGG+"_privatetest_logits.csv"))
	if err != nil {
		t.Fatal(err)
	}
	logits, labels, err := calibration.ReadLogitsCSV(f, f.Name())
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
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
	} {
		if _, err := Beyond(c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.opts, err, c.want)
		}
	}
	if _, err := LoadBeyondResult(t.TempDir()); err == nil || !strings.Contains(err.Error(), "fer beyond") {
		t.Errorf("LoadBeyondResult of an empty folder: %v", err)
	}
}
