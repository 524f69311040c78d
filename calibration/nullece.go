package calibration

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// NullECE answers "how large an ECE would a perfectly calibrated model show
// here?": it keeps the confidences of probs, draws each example right with
// probability equal to its confidence (so P(right | confidence = p) = p
// holds exactly), and recomputes the ECE with m bins, Resamples times. This is
// a parametric bootstrap under the hypothesis of perfect calibration.
//
// The result's Estimate is the mean of the simulated ECEs and [Lo, Hi] their
// central Level range. An observed ECE inside that range cannot be told apart
// from sampling noise of a calibrated model with this many examples and these
// confidences; ECE is biased upwards, and the bias shrinks only like 1/√n.
func (b Bootstrap) NullECE(probs [][]float64, m int) (Interval, error) {
	b, err := b.withDefaults()
	if err != nil {
		return Interval{}, err
	}
	if _, err := checkProbs(probs, make([]int, len(probs))); err != nil {
		return Interval{}, fmt.Errorf("null ECE: %w", err)
	}
	if m < 1 {
		return Interval{}, inputErr(-1, -1, "%d bins, want at least 1", m)
	}
	conf := make([]float64, len(probs))
	bin := make([]int, len(probs))
	for i, r := range probs {
		conf[i] = r[argmax(r)]
		bin[i] = BinIndex(conf[i], m)
	}
	rng := rand.New(rand.NewPCG(b.Seed, 0x6a09e667f3bcc908))
	sum := make([]float64, m) // Σ (confidence − 1{right}) per bin
	reps := make([]float64, b.Resamples)
	for r := range reps {
		clear(sum)
		for i, c := range conf {
			sum[bin[i]] += c
			if rng.Float64() < c {
				sum[bin[i]]--
			}
		}
		e := 0.0
		for _, s := range sum {
			e += math.Abs(s)
		}
		reps[r] = e / float64(len(conf))
	}
	out := Interval{Estimate: stat.Mean(reps, nil), StdErr: stat.StdDev(reps, nil), Level: b.Level, Resamples: b.Resamples}
	slices.Sort(reps)
	out.Lo = stat.Quantile((1-b.Level)/2, stat.Empirical, reps, nil)
	out.Hi = stat.Quantile((1+b.Level)/2, stat.Empirical, reps, nil)
	return out, nil
}
