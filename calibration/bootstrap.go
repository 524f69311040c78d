package calibration

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// Bootstrap sets up nonparametric bootstrap confidence intervals: the
// examples are resampled with replacement Resamples times, the statistic is
// recomputed on each resample, and the interval is the central Level part of
// those values (the percentile interval). The same Seed gives the same
// interval.
type Bootstrap struct {
	Resamples int     // B; 0 means 1000
	Level     float64 // coverage, e.g. 0.95; 0 means 0.95
	Seed      uint64  // seed of the PCG generator
}

// Interval is a bootstrap estimate.
type Interval struct {
	Estimate float64 // the statistic on the original examples
	Lo, Hi   float64 // percentile interval
	StdErr   float64 // standard deviation of the bootstrap replicates
	Level    float64 // coverage of [Lo, Hi]
	// Resamples is the number of bootstrap replicates.
	Resamples int
}

func (b Bootstrap) withDefaults() (Bootstrap, error) {
	if b.Resamples == 0 {
		b.Resamples = 1000
	}
	if b.Level == 0 {
		b.Level = 0.95
	}
	if b.Resamples < 2 {
		return b, inputErr(-1, -1, "%d bootstrap resamples, want at least 2", b.Resamples)
	}
	if !(b.Level > 0 && b.Level < 1) {
		return b, inputErr(-1, -1, "bootstrap level %v, want in (0, 1)", b.Level)
	}
	return b, nil
}

// Interval bootstraps any statistic of n examples. statistic receives the indices
// of a sample (length n, with repeats) and returns the statistic on it; it is
// first called with 0..n-1 for the estimate. The slice is reused between
// calls.
func (b Bootstrap) Interval(n int, statistic func(idx []int) float64) (Interval, error) {
	b, err := b.withDefaults()
	if err != nil {
		return Interval{}, err
	}
	if n < 1 {
		return Interval{}, inputErr(-1, -1, "bootstrap of %d examples", n)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	out := Interval{Estimate: statistic(idx), Level: b.Level, Resamples: b.Resamples}
	rng := rand.New(rand.NewPCG(b.Seed, 0x9e3779b97f4a7c15))
	reps := make([]float64, b.Resamples)
	for r := range reps {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		reps[r] = statistic(idx)
		if math.IsNaN(reps[r]) {
			return Interval{}, fmt.Errorf("bootstrap: statistic is NaN on resample %d", r)
		}
	}
	slices.Sort(reps)
	out.Lo = stat.Quantile((1-b.Level)/2, stat.Empirical, reps, nil)
	out.Hi = stat.Quantile((1+b.Level)/2, stat.Empirical, reps, nil)
	out.StdErr = stat.StdDev(reps, nil)
	return out, nil
}

// ECE bootstraps the expected calibration error of probs with m bins.
func (b Bootstrap) ECE(probs [][]float64, labels []int, m int) (Interval, error) {
	if _, err := checkProbs(probs, labels); err != nil {
		return Interval{}, fmt.Errorf("bootstrap ECE: %w", err)
	}
	if m < 1 {
		return Interval{}, inputErr(-1, -1, "%d bins, want at least 1", m)
	}
	conf, correct := topLabel(probs, labels)
	bin := make([]int, len(conf))
	for i, c := range conf {
		bin[i] = BinIndex(c, m)
	}
	sum := make([]float64, m) // Σ (confidence − 1{right}) per bin
	return b.Interval(len(conf), func(idx []int) float64 {
		clear(sum)
		for _, i := range idx {
			sum[bin[i]] += conf[i]
			if correct[i] {
				sum[bin[i]]--
			}
		}
		// Σ_m (n_m/N)·|conf_m − acc_m| = (1/N) Σ_m |Σ_{i∈m} (c_i − 1{right})|.
		e := 0.0
		for j := range sum {
			e += math.Abs(sum[j])
		}
		return e / float64(len(idx))
	})
}
