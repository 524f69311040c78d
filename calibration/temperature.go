package calibration

import (
	"fmt"
	"math"
)

// Default search range of FitTemperature. Temperatures outside it mean
// either that the logits say almost nothing about the labels (T → ∞) or that
// they separate the validation labels perfectly (T → 0); see TemperatureFit.
const (
	DefaultMinT = 1e-3
	DefaultMaxT = 1e3
)

// TemperatureFit is the result of FitTemperature.
type TemperatureFit struct {
	// T is the fitted temperature: use softmax(z/T). T > 1 softens
	// overconfident probabilities, T < 1 sharpens underconfident ones.
	T float64
	// NLLBefore and NLLAfter are the mean NLL of the fitting data at T = 1
	// and at the fitted T.
	NLLBefore, NLLAfter float64
	// Slope is dNLL/d(log T) at T: about 0 at an interior minimum, and its
	// sign says which way the NLL still falls when AtBound is set.
	Slope float64
	// AtBound is true when the minimum is not inside [MinT, MaxT] and T is
	// the limit of the range (or 1 when the NLL does not depend on T); Note
	// explains why.
	AtBound bool
	// Note is empty for an interior minimum, else a sentence for a human.
	Note string
	// Iterations is the number of derivative evaluations.
	Iterations int
}

// Apply returns softmax(z/T) for each row of logits.
func (f TemperatureFit) Apply(logits [][]float64) ([][]float64, error) {
	return Softmax(logits, f.T)
}

// TemperatureNLL returns the mean NLL of the labels under softmax(z/t),
// computed with log-sum-exp: the function FitTemperature minimises.
func TemperatureNLL(logits [][]float64, labels []int, t float64) (float64, error) {
	if !(t > 0) || math.IsInf(t, 0) {
		return 0, inputErr(-1, -1, "temperature %v, want a finite T > 0", t)
	}
	if _, err := checkShape(logits, labels); err != nil {
		return 0, fmt.Errorf("temperature NLL: %w", err)
	}
	return nllScaled(logits, labels, 1/t), nil
}

// FitTemperature fits temperature scaling on validation logits: the T in
// [DefaultMinT, DefaultMaxT] that minimises the mean NLL of softmax(z/T).
func FitTemperature(logits [][]float64, labels []int) (TemperatureFit, error) {
	return FitTemperatureIn(logits, labels, DefaultMinT, DefaultMaxT)
}

// FitTemperatureIn is FitTemperature with the search range [minT, maxT].
//
// The method. Write β = 1/T. The mean NLL
//
//	f(β) = (1/N) Σ_i [ log Σ_k exp(β z_ik) − β z_iy ]
//
// is convex in β (a log-sum-exp of linear functions minus a linear one), with
//
//	f'(β)  = (1/N) Σ_i ( E_p[z_i] − z_iy ),   f''(β) = (1/N) Σ_i Var_p[z_i] ≥ 0,
//
// where p = softmax(β z_i). So the minimum is where f' = 0, f' is increasing,
// and it is found by a safeguarded Newton iteration on f' (Numerical Recipes'
// rtsafe): a bracket [a, b] with f'(a) < 0 < f'(b) is kept; a Newton step is
// taken when it stays inside the bracket and shrinks fast enough, otherwise the
// bracket is bisected at its geometric mean, i.e. halved in log T, which
// matters because the range spans six orders of magnitude. Bisection alone
// guarantees convergence, Newton makes the last digits quadratic, and the
// stopping rule (a step or bracket below 1e-14 of β, or f' = 0) puts T within far less
// than 1e-6 relative of the true minimiser. Every softmax is shifted by its
// row maximum, so logits of size 1e4 at T = 1e-3 do not overflow.
//
// If f' does not change sign in the range the minimum is at an end: f' ≥ 0
// at β = 1/maxT (NLL still falling as T grows: the logits carry little
// information about the labels; the optimum is T → ∞, uniform probabilities)
// returns maxT, and f' ≤ 0 at β = 1/minT (NLL still falling as T shrinks:
// every validation prediction is right, so sharper is always better) returns
// minT. Both set AtBound and Note. If every row of logits is constant, the
// NLL does not depend on T and T = 1 is returned with a Note.
//
// This is hand-written rather than built on gonum/optimize because that
// package minimises unconstrained functions of several variables; here one
// bounded variable, a known convex structure and exact detection of the
// boundary cases are what matters.
func FitTemperatureIn(logits [][]float64, labels []int, minT, maxT float64) (TemperatureFit, error) {
	if !(minT > 0) || !(maxT > minT) || math.IsInf(maxT, 0) {
		return TemperatureFit{}, inputErr(-1, -1, "temperature range [%v, %v], want 0 < minT < maxT < ∞", minT, maxT)
	}
	if _, err := checkShape(logits, labels); err != nil {
		return TemperatureFit{}, fmt.Errorf("fit temperature: %w", err)
	}
	fit := TemperatureFit{NLLBefore: nllScaled(logits, labels, 1)}
	done := func(beta float64, iters int, note string) (TemperatureFit, error) {
		fit.T = 1 / beta
		fit.NLLAfter = nllScaled(logits, labels, beta)
		g, _ := nllDerivatives(logits, labels, beta)
		fit.Slope = -beta * g // d f / d log T = f'(β) · dβ/dlog T = −β f'(β)
		fit.Iterations = iters
		fit.Note = note
		fit.AtBound = note != ""
		return fit, nil
	}
	if constantRows(logits) {
		return done(1, 0, "every row of logits is constant: the NLL does not depend on T; T = 1 returned")
	}

	a, b := 1/maxT, 1/minT
	ga, _ := nllDerivatives(logits, labels, a)
	if ga >= 0 {
		return done(a, 1, fmt.Sprintf("NLL still decreases as T grows at T = %g, the top of the search range: "+
			"the logits carry little information about the labels and the optimum is T → ∞ (uniform probabilities)", maxT))
	}
	gb, _ := nllDerivatives(logits, labels, b)
	if gb <= 0 {
		return done(b, 2, fmt.Sprintf("NLL still decreases as T shrinks at T = %g, the bottom of the search range: "+
			"the logits separate the labels (essentially every prediction right, by a margin), so sharper is always better and the optimum is T → 0", minT))
	}

	beta := math.Min(math.Max(1, a), b) // start from T = 1, as the thesis does
	prevStep := b - a
	iters := 2
	for ; iters < 500; iters++ {
		g, h := nllDerivatives(logits, labels, beta)
		if g == 0 {
			break
		}
		if g < 0 {
			a = beta
		} else {
			b = beta
		}
		newton := math.Abs(g / h)
		if h > 0 && newton <= 1e-14*beta {
			beta = math.Min(math.Max(beta-g/h, a), b) // converged
			break
		}
		next := beta - g/h
		if !(h > 0) || !(next > a && next < b) || 2*newton > prevStep {
			next = math.Sqrt(a * b) // bisect in log T
		}
		prevStep = math.Abs(next - beta)
		beta = next
		if b-a <= 1e-14*beta {
			break
		}
	}
	return done(beta, iters, "")
}

// nllDerivatives returns the first and second derivatives f′(β), f″(β) of the mean NLL (see
// FitTemperatureIn): the mean over rows of E_p[z] − z_y and of Var_p[z],
// with p = softmax(β z).
func nllDerivatives(logits [][]float64, labels []int, beta float64) (g, h float64) {
	p := make([]float64, len(logits[0]))
	for i, z := range logits {
		softmaxInto(p, z, beta)
		mean := 0.0
		for k, v := range z {
			mean += p[k] * v
		}
		v2 := 0.0
		for k, v := range z {
			d := v - mean
			v2 += p[k] * d * d
		}
		g += mean - z[labels[i]]
		h += v2
	}
	n := float64(len(logits))
	return g / n, h / n
}

func constantRows(logits [][]float64) bool {
	for _, z := range logits {
		for _, v := range z {
			if v != z[0] {
				return false
			}
		}
	}
	return true
}
