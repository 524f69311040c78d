package lab

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fer-thesis/fer/calibration"
)

func TestKagglePosition(t *testing.T) {
	for _, c := range []struct {
		acc  float64
		want string
	}{
		{0.72, "1st (above the winner's 0.712)"},
		{0.7116, "between 4th–5th and 1st"},
		{0.662, "4th–5th"},
		{0.50, "between 41st–42nd and 4th–5th"},
		{0.388, "41st–42nd"},
		{0.33, "48th–49th"},
		{0.20, "below 49th"},
	} {
		if got := KagglePosition(c.acc); got != c.want {
			t.Errorf("KagglePosition(%g) = %q, want %q", c.acc, got, c.want)
		}
	}
}

func TestOptionsValidation(t *testing.T) {
	if _, err := FER2013(FER2013Options{}); err == nil {
		t.Error("no OutDir: want error")
	}
	if _, err := FER2013(FER2013Options{OutDir: t.TempDir(), Mode: "fast"}); err == nil || !strings.Contains(err.Error(), "fast") {
		t.Errorf("bad mode: %v", err)
	}
	if _, err := FER2013(FER2013Options{OutDir: t.TempDir(), Models: []string{"resnet"}}); err == nil || !strings.Contains(err.Error(), "resnet") {
		t.Errorf("bad model: %v", err)
	}
	if _, err := FER2013(FER2013Options{OutDir: t.TempDir(), FCSeeds: -1}); err == nil || !strings.Contains(err.Error(), "FCSeeds -1") {
		t.Errorf("negative FCSeeds: %v", err)
	}
}

func TestWriteLogitsCSVReadsBackInCalibrate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.csv")
	if err := WriteLogitsCSV(path, [][]float64{{1, 2, 0.5}, {0.1, -3, 2}}, []int{1, 2}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if string(data) != "label,z0,z1,z2\n1,1,2,0.5\n2,0.1,-3,2\n" {
		t.Errorf("csv:\n%s", data)
	}
	if err := WriteLogitsCSV(path, [][]float64{{1}}, nil); err == nil {
		t.Error("mismatched labels: want error")
	}
}

func findData(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("FER_DATA_DIR"); d != "" {
		return d
	}
	dir, _ := filepath.Abs(".")
	for {
		cand := filepath.Join(dir, "..", "shared", "data")
		if _, err := os.Stat(filepath.Join(cand, "fer2013")); err == nil {
			return cand
		}
		if parent := filepath.Dir(dir); parent != dir {
			dir = parent
		} else {
			t.Skip("FER2013 not found: set FER_DATA_DIR (CI uses ../shared/data)")
		}
	}
}

// TestFER2013QuickRunAndResume trains the three models on a tiny subset of the
// real data, checks the results file, and runs again to see that finished
// models are reused rather than retrained.
func TestFER2013QuickRunAndResume(t *testing.T) {
	dataDir := findData(t)
	out := t.TempDir()
	opts := FER2013Options{DataDir: dataDir, OutDir: out, Mode: "quick", TrainSubset: 300, EvalSubset: 200, LogisticMaxIter: 30}
	var log bytes.Buffer
	opts.Progress = &log
	res, err := FER2013(opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if len(res.Models) != 3 || res.TrainImages != 300 || res.TestImages != 200 {
		t.Fatalf("results %+v", res)
	}
	// After ~10 training steps the networks' BatchNorm moving averages are
	// still near their initial values, so their inference-mode accuracy can
	// be anything (even below chance); only the logistic regression, fitted
	// to its optimum on these faces, has to beat chance here.
	if acc := res.Models[0].TestAccuracy; acc < 0.2 {
		t.Errorf("logistic regression on 300 faces: test accuracy %.3f, want > 0.2", acc)
	}
	for _, m := range res.Models {
		if m.TestAccuracy < 0 || m.TestAccuracy > 0.7 || m.KagglePosition == "" {
			t.Errorf("%s: test accuracy %.3f, position %q", m.Model, m.TestAccuracy, m.KagglePosition)
		}
		total := 0
		for _, row := range m.Confusion {
			for _, v := range row {
				total += v
			}
		}
		if total != 200 {
			t.Errorf("%s: confusion matrix holds %d examples, want 200", m.Model, total)
		}
		for _, split := range []string{"publictest", "privatetest"} {
			f, err := os.Open(filepath.Join(out, m.Model+"_"+split+"_logits.csv"))
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	// Quick mode trains the FC network with two seeds and keeps the one
	// better on PublicTest, with that seed's logits.
	fc := res.Models[1]
	if len(fc.SeedRuns) != 2 || !strings.HasSuffix(fc.Settings, "the best on PublicTest of seeds 1–2") {
		t.Fatalf("fc seed runs %+v, settings %q", fc.SeedRuns, fc.Settings)
	}
	best, total := fc.SeedRuns[0], 0.0
	for _, s := range fc.SeedRuns {
		total += s.Seconds
		if s.ValAccuracy > best.ValAccuracy {
			best = s
		}
	}
	if fc.Seed != best.Seed || fc.ValAccuracy != best.ValAccuracy || fc.TestAccuracy != best.TestAccuracy || math.Abs(fc.Seconds-total) > 1e-9 {
		t.Errorf("fc kept seed %d (val %.4f, test %.4f, %.1f s); want seed %d of %+v, %.1f s in all", fc.Seed, fc.ValAccuracy, fc.TestAccuracy, fc.Seconds, best.Seed, fc.SeedRuns, total)
	}
	for _, split := range []string{"publictest", "privatetest"} {
		file := FC + "_" + split + "_logits.csv"
		top, err1 := os.ReadFile(filepath.Join(out, file))
		own, err2 := os.ReadFile(filepath.Join(SeedDir(out, FC, fc.Seed), file))
		if err1 != nil || err2 != nil || !bytes.Equal(top, own) {
			t.Errorf("%s is not seed %d's (%v, %v)", file, fc.Seed, err1, err2)
		}
	}
	if _, rows := res.Table(); !strings.HasSuffix(rows[1][6], fmt.Sprintf(": seed %d", fc.Seed)) {
		t.Errorf("table row %q does not name the kept seed", rows[1])
	}
	cnn := res.Models[2]
	if cnn.Calibration == nil || !cnn.Calibration.AccuracyUnchanged || cnn.Calibration.T <= 0 {
		t.Errorf("cnn calibration %+v", cnn.Calibration)
	}
	if cnn.Calibration.After.NLL > cnn.Calibration.Before.NLL+0.05 {
		t.Errorf("temperature scaling raised test NLL: %.4f → %.4f", cnn.Calibration.Before.NLL, cnn.Calibration.After.NLL)
	}
	// Bins hold every test image.
	if n := calibration.Bins(cnn.Calibration.Before.Bins).N(); n != 200 {
		t.Errorf("reliability bins hold %d examples", n)
	}
	loaded, err := LoadFER2013Results(out)
	if err != nil || len(loaded.Models) != 3 || loaded.Models[0].TestAccuracy != res.Models[0].TestAccuracy {
		t.Fatalf("reloaded %+v, %v", loaded, err)
	}

	log.Reset()
	t0 := time.Now()
	again, err := FER2013(opts)
	if err != nil {
		t.Fatal(err)
	}
	if c := strings.Count(log.String(), "reusing"); c != 3 {
		t.Errorf("second run reused %d models, want 3:\n%s", c, log.String())
	}
	if again.Models[1].TestAccuracy != res.Models[1].TestAccuracy {
		t.Error("reused result differs")
	}
	t.Logf("second run took %s", time.Since(t0))
}

// TestCirclesCV runs the chapter 5 cross-validation in full (it is small) and
// checks the must-show tolerances: logistic mean 0.47 ± 0.03, FC 0.82 ± 0.03.
func TestCirclesCV(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 10 models for 500 epochs")
	}
	r, err := CirclesCV(nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := r.Mean(0); m < 0.44 || m > 0.50 {
		t.Errorf("logistic CV mean %.3f, want 0.47 ± 0.03", m)
	}
	if m := r.Mean(1); m < 0.79 || m > 0.85 {
		t.Errorf("FC CV mean %.3f, want 0.82 ± 0.03", m)
	}
	header, rows := r.Table()
	if len(header) != 8 || len(rows) != 6 {
		t.Errorf("table %v %v", header, rows)
	}
	t.Logf("CV in %.1f s: logistic %v, FC %v", r.Seconds, r.Accuracy[0], r.Accuracy[1])
}
