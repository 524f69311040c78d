package lab

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSeedStudy(t *testing.T) {
	root := t.TempDir()
	write := func(dir string, r ModelResult) string {
		d := filepath.Join(root, dir)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writeJSON(filepath.Join(d, FC+".json"), &r); err != nil {
			t.Fatal(err)
		}
		return d
	}
	base := "Adam(0.001), batch 32, 5 epochs, 28709 training faces"
	dirs := []string{
		write("a", ModelResult{Model: FC, Settings: base, ValAccuracy: 0.30, TestAccuracy: 0.29, Epochs: 5, PlannedEpochs: 5}), // seed 0: the default
		write("b", ModelResult{Model: FC, Settings: base + ", seed 2", Seed: 2, ValAccuracy: 0.37, TestAccuracy: 0.36, Epochs: 5, PlannedEpochs: 5}),
		write("c", ModelResult{Model: FC, Settings: base + ", seed 3", Seed: 3, ValAccuracy: 0.35, TestAccuracy: 0.35, Epochs: 5, PlannedEpochs: 5}),
		write("d", ModelResult{Model: FC, Settings: base + ", seed 4", Seed: 4, ValAccuracy: 0.99, TestAccuracy: 0.99, Epochs: 2, PlannedEpochs: 5}), // unfinished: skipped
		filepath.Join(root, "missing"),
		filepath.Join(root, "b", FC+".json"), // a file, not a folder: skipped
	}
	s, err := LoadSeedStudy(FC, dirs...)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Runs) != 3 || s.Runs[0].Seed != 1 || s.Selected.Seed != 2 {
		t.Fatalf("runs %v, selected %+v", len(s.Runs), s.Selected)
	}
	if math.Abs(s.MeanTest-1.0/3) > 1e-12 || math.Abs(s.SDTest-math.Sqrt(((0.29-1.0/3)*(0.29-1.0/3)+(0.36-1.0/3)*(0.36-1.0/3)+(0.35-1.0/3)*(0.35-1.0/3))/2)) > 1e-12 ||
		s.MinTest != 0.29 || s.MaxTest != 0.36 {
		t.Errorf("summary %+v", s)
	}
	_, rows := s.Table()
	if len(rows) != 4 || !strings.Contains(rows[1][4], "best on validation") || !strings.HasPrefix(rows[3][2], "0.3333 ± ") {
		t.Errorf("table %v", rows)
	}

	// Other settings, a repeated seed, and nothing at all are errors that name the file.
	other := write("e", ModelResult{Model: FC, Settings: "Adam(0.001), batch 32, 9 epochs, 28709 training faces, seed 5", Seed: 5, Epochs: 9, PlannedEpochs: 9})
	if _, err := LoadSeedStudy(FC, append(dirs, other)...); err == nil || !strings.Contains(err.Error(), "e/fc.json was trained with other settings") {
		t.Errorf("other settings: %v", err)
	}
	if _, err := LoadSeedStudy(FC, dirs[1], dirs[1]); err == nil || !strings.Contains(err.Error(), "seed 2 appears twice") {
		t.Errorf("repeated seed: %v", err)
	}
	if _, err := LoadSeedStudy(FC, filepath.Join(root, "missing")); err == nil || !strings.Contains(err.Error(), "no finished fc runs") {
		t.Errorf("no runs: %v", err)
	}
	if err := os.WriteFile(filepath.Join(root, "a", FC+".json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSeedStudy(FC, dirs...); err == nil || !strings.Contains(err.Error(), "a/fc.json") {
		t.Errorf("broken file: %v", err)
	}
}
