package lab

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/fer-thesis/fer/fer"
)

// SeedStudy gathers runs of one network that differ only in their seed
// (fer reproduce fer2013 --seed N), to tell a real difference from seed luck:
// a network whose final BatchNormalization statistics lag behind fast-moving
// weights (the thesis's FC network on FER2013) can move several points of
// test accuracy from one seed to the next.
type SeedStudy struct {
	Model string
	Runs  []*ModelResult // sorted by seed
	// MeanTest and SDTest are the mean and the sample standard deviation of
	// the PrivateTest accuracies; MinTest and MaxTest their range.
	MeanTest, SDTest, MinTest, MaxTest float64
	// Selected is the run with the highest PublicTest (validation)
	// accuracy: the one a practitioner would keep without looking at the
	// test set.
	Selected *ModelResult
}

// LoadSeedStudy reads OutDir/<model>.json from each results folder of dirs
// (folders without it, and paths that are not folders, are skipped, so a
// glob may include unfinished runs and their logs)
// and summarises them. Runs must share the settings but the seed; two runs
// of the same seed are an error.
func LoadSeedStudy(model string, dirs ...string) (*SeedStudy, error) {
	s := &SeedStudy{Model: model}
	seen := map[int64]string{}
	var settings string
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue // a glob may also match log files beside the folders
		}
		path := filepath.Join(dir, model+".json")
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		var r ModelResult
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("lab: %s: %w", path, err)
		}
		if !r.Complete() {
			continue
		}
		if r.Seed == 0 { // results written before seeds were recorded
			r.Seed = fer.DefaultSeed
		}
		if prev, ok := seen[r.Seed]; ok {
			return nil, fmt.Errorf("lab: seed %d appears twice: %s and %s", r.Seed, prev, path)
		}
		seen[r.Seed] = path
		if base := withoutSeed(r.Settings); settings == "" {
			settings = base
		} else if base != settings {
			return nil, fmt.Errorf("lab: %s was trained with other settings (%q, want %q)", path, r.Settings, settings)
		}
		s.Runs = append(s.Runs, &r)
	}
	if len(s.Runs) == 0 {
		return nil, fmt.Errorf("lab: no finished %s runs in %d folders", model, len(dirs))
	}
	slices.SortFunc(s.Runs, func(a, b *ModelResult) int { return cmp.Compare(a.Seed, b.Seed) })
	s.MinTest, s.MaxTest = math.Inf(1), math.Inf(-1)
	for _, r := range s.Runs {
		s.MeanTest += r.TestAccuracy / float64(len(s.Runs))
		s.MinTest, s.MaxTest = min(s.MinTest, r.TestAccuracy), max(s.MaxTest, r.TestAccuracy)
		if s.Selected == nil || r.ValAccuracy > s.Selected.ValAccuracy {
			s.Selected = r
		}
	}
	if n := len(s.Runs); n > 1 {
		var ss float64
		for _, r := range s.Runs {
			ss += (r.TestAccuracy - s.MeanTest) * (r.TestAccuracy - s.MeanTest)
		}
		s.SDTest = math.Sqrt(ss / float64(n-1))
	}
	return s, nil
}

// withoutSeed strips the ", seed N" that settingsOf appends.
func withoutSeed(settings string) string {
	for i := len(settings) - 1; i >= 0; i-- {
		if settings[i] == ',' {
			var n int64
			if _, err := fmt.Sscanf(settings[i:], ", seed %d", &n); err == nil && fmt.Sprintf(", seed %d", n) == settings[i:] {
				return settings[:i]
			}
			break
		}
	}
	return settings
}

// Table lists the runs (seed, PublicTest and PrivateTest accuracy, time),
// marks the one selected on PublicTest, and ends with the mean ± standard
// deviation.
func (s *SeedStudy) Table() (header []string, rows [][]string) {
	header = []string{"seed", "PublicTest (validation)", "PrivateTest (test)", "training time", ""}
	for _, r := range s.Runs {
		mark := ""
		if r == s.Selected {
			mark = "← best on validation"
		}
		rows = append(rows, []string{fmt.Sprint(r.Seed), fmt.Sprintf("%.4f", r.ValAccuracy), fmt.Sprintf("%.4f", r.TestAccuracy),
			fmt.Sprintf("%.0f s", r.Seconds), mark})
	}
	rows = append(rows, []string{fmt.Sprintf("%d seeds", len(s.Runs)), "", fmt.Sprintf("%.4f ± %.4f", s.MeanTest, s.SDTest), "",
		fmt.Sprintf("range %.4f–%.4f", s.MinTest, s.MaxTest)})
	return header, rows
}
