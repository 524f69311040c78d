package lab

import (
	"bytes"
	"strings"
	"testing"
)

func TestSweepConfigModels(t *testing.T) {
	c := SweepConfig{Depth: 3, Width: 16, Dropout: 0.25}
	m, err := c.Model()
	if err != nil {
		t.Fatal(err)
	}
	// conv 3·3·1·16+16, 3·3·16·32+32, 3·3·32·64+64; BatchNorm 4·(16+32+64);
	// Dense (6·6·64)·7+7.
	want := (9*16 + 16) + (9*16*32 + 32) + (9*32*64 + 64) + 4*(16+32+64) + 6*6*64*7 + 7
	if total, _, _ := m.CountParams(); total != want || c.Name() != "d3-w16-p0.25" {
		t.Errorf("%s: %d parameters, want %d", c.Name(), total, want)
	}
	for _, bad := range []SweepConfig{{Depth: 0, Width: 8}, {Depth: 6, Width: 8}, {Depth: 2, Width: 0}, {Depth: 2, Width: 8, Dropout: 1}} {
		if _, err := bad.Model(); err == nil || !strings.Contains(err.Error(), bad.Name()) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if _, err := c.ModelWithBNMomentum(1); err == nil || !strings.Contains(err.Error(), "BatchNorm momentum 1") {
		t.Errorf("momentum 1: %v", err)
	}
	if _, err := ParseInts("2, 3,x", "--depths"); err == nil || !strings.Contains(err.Error(), `--depths: "x" is not an integer`) {
		t.Errorf("ParseInts: %v", err)
	}
	if v, err := ParseFloats("0,0.25", "--dropouts"); err != nil || len(v) != 2 || v[1] != 0.25 {
		t.Errorf("ParseFloats: %v %v", v, err)
	}
}

// TestSweepRunsAndResumes runs a two-configuration sweep on a tiny subset of
// the real data, then again: the second call must reuse both results.
func TestSweepRunsAndResumes(t *testing.T) {
	dataDir := findData(t)
	out := t.TempDir()
	opts := SweepOptions{DataDir: dataDir, OutDir: out, Depths: []int{1, 2}, Widths: []int{4}, Dropouts: []float64{0},
		TrainSubset: 128, EvalSubset: 64, Epochs: 1}
	var log bytes.Buffer
	opts.Progress = &log
	res, err := Sweep(opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if len(res.Runs) != 2 || res.Runs[0].Config.Depth != 1 || res.Runs[1].Params <= 0 || res.Best() == nil {
		t.Fatalf("runs %+v", res.Runs)
	}
	for _, r := range res.Runs {
		if r.ValAccuracy < 0 || r.ValAccuracy > 1 || r.Epochs != 1 {
			t.Errorf("%s: %+v", r.Config.Name(), r)
		}
	}
	names, widths, accs := res.ByDepthAndDropout()
	if len(names) != 2 || len(widths[0]) != 1 || accs[1][0] != res.Runs[1].ValAccuracy {
		t.Errorf("series %v %v %v", names, widths, accs)
	}
	log.Reset()
	again, err := Sweep(opts)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(log.String(), "reusing") != 2 || again.Runs[1].ValAccuracy != res.Runs[1].ValAccuracy {
		t.Errorf("second run did not reuse the results:\n%s", log.String())
	}
	if _, err := Sweep(SweepOptions{DataDir: dataDir, OutDir: out, Depths: []int{9}, Widths: []int{4}, Dropouts: []float64{0}}); err == nil ||
		!strings.Contains(err.Error(), "d9-w4-p0: depth 9") {
		t.Errorf("bad grid: %v", err)
	}
}
