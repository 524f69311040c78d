package calibration

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// synthetic draws n examples of k classes whose "true" logits u have
// independent N(0, sigma²) entries and whose labels are drawn from
// softmax(u): softmax(u) is calibrated by construction. It returns u and the
// labels; callers distort u to make a miscalibrated model.
func synthetic(n, k int, sigma float64, seed uint64) (u [][]float64, labels []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	u = make([][]float64, n)
	labels = make([]int, n)
	p := make([]float64, k)
	for i := range u {
		u[i] = make([]float64, k)
		for j := range u[i] {
			u[i][j] = sigma * rng.NormFloat64()
		}
		softmaxInto(p, u[i], 1)
		r, c := rng.Float64(), 0.0
		labels[i] = k - 1
		for j, pj := range p {
			if c += pj; r < c {
				labels[i] = j
				break
			}
		}
	}
	return u, labels
}

func scaleRows(rows [][]float64, s float64) [][]float64 {
	out := make([][]float64, len(rows))
	for i, r := range rows {
		out[i] = make([]float64, len(r))
		for j, v := range r {
			out[i][j] = s * v
		}
	}
	return out
}

func TestTemperatureRecoversTheOverconfidenceFactor(t *testing.T) {
	u, y := synthetic(4000, 5, 1.5, 7)
	z := scaleRows(u, 3) // three times too confident
	fit, err := FitTemperature(z, y)
	if err != nil {
		t.Fatal(err)
	}
	if fit.AtBound || fit.Note != "" || fit.Iterations > 30 {
		t.Errorf("interior optimum in a few Newton steps expected: %+v", fit)
	}
	if math.Abs(fit.T-3) > 0.15 {
		t.Errorf("T = %v, want about 3 (the logits were scaled by 3)", fit.T)
	}
	if !(fit.NLLAfter < fit.NLLBefore) {
		t.Errorf("NLL did not improve: %v → %v", fit.NLLBefore, fit.NLLAfter)
	}
	// Calibration improves on the same data: ECE before and after.
	before, _ := EvaluateLogits(z, y, 15)
	after, _ := EvaluateLogits(scaleRows(z, 1/fit.T), y, 15)
	if !(after.ECE < before.ECE/3) || after.Accuracy != before.Accuracy {
		t.Errorf("ECE %v → %v, accuracy %v → %v", before.ECE, after.ECE, before.Accuracy, after.Accuracy)
	}
	t.Logf("T = %.6f in %d iterations; NLL %.4f → %.4f; ECE %.4f → %.4f", fit.T, fit.Iterations, fit.NLLBefore, fit.NLLAfter, before.ECE, after.ECE)

	// The analytic derivative vanishes at T, and changes sign within T·(1 ± 1e-6):
	// the minimiser is located to better than 1e-6 relative.
	beta := 1 / fit.T
	g, h := nllDerivatives(z, y, beta)
	if math.Abs(g) > 1e-10 || math.Abs(fit.Slope) > 1e-10 || !(h > 0) {
		t.Errorf("f'(1/T) = %v, slope %v, f'' = %v; want f' ≈ 0 and f'' > 0", g, fit.Slope, h)
	}
	gLo, _ := nllDerivatives(z, y, beta*(1-1e-6))
	gHi, _ := nllDerivatives(z, y, beta*(1+1e-6))
	if !(gLo < 0 && gHi > 0) {
		t.Errorf("f' at β(1∓1e-6) = %v, %v: want a sign change", gLo, gHi)
	}
	// An independent check of the derivative formula: central finite
	// difference of TemperatureNLL in T.
	const d = 1e-4
	fp, _ := TemperatureNLL(z, y, fit.T*(1+d))
	fm, _ := TemperatureNLL(z, y, fit.T*(1-d))
	if fd := (fp - fm) / (2 * d); math.Abs(fd) > 1e-7 {
		t.Errorf("finite-difference dNLL/dlogT at T = %v", fd)
	}
	gd, _ := nllDerivatives(z, y, 0.5)
	f1, _ := TemperatureNLL(z, y, 1/(0.5+1e-6))
	f0, _ := TemperatureNLL(z, y, 1/(0.5-1e-6))
	if fd := (f1 - f0) / 2e-6; math.Abs(fd-gd) > 1e-6*math.Max(1, math.Abs(gd)) {
		t.Errorf("f'(0.5) analytic %v vs finite difference %v", gd, fd)
	}

	// Brute force: a fine grid of log T over [2, 4.5].
	const steps = 1500
	lo, hi := math.Log(2), math.Log(4.5)
	bestT, bestF := 0.0, math.Inf(1)
	for i := 0; i <= steps; i++ {
		tt := math.Exp(lo + (hi-lo)*float64(i)/steps)
		f, err := TemperatureNLL(z, y, tt)
		if err != nil {
			t.Fatal(err)
		}
		if f < bestF {
			bestT, bestF = tt, f
		}
	}
	spacing := (hi - lo) / steps
	if math.Abs(math.Log(fit.T/bestT)) > spacing {
		t.Errorf("fitted T = %v, grid minimum at %v (log spacing %v)", fit.T, bestT, spacing)
	}
	if fit.NLLAfter > bestF+1e-13 {
		t.Errorf("fitted NLL %v above the grid's best %v", fit.NLLAfter, bestF)
	}
}

func TestUnderconfidentLogitsGiveTBelowOne(t *testing.T) {
	u, y := synthetic(4000, 4, 2, 11)
	fit, err := FitTemperature(scaleRows(u, 0.5), y)
	if err != nil {
		t.Fatal(err)
	}
	if fit.AtBound || math.Abs(fit.T-0.5) > 0.05 {
		t.Errorf("T = %v (%s), want about 0.5", fit.T, fit.Note)
	}
}

func TestTemperatureNeverChangesTheArgmax(t *testing.T) {
	u, _ := synthetic(500, 7, 3, 3)
	u = append(u, []float64{1e4, -1e4, 0, 5e3, -3, 2, 9999}, []float64{-1e4, -1e4, -1e4, -1e4, -1e4, -1e4, -9999.5})
	for _, temp := range []float64{1e-3, 0.01, 0.5, 1, 3, 100, 1e3} {
		p, err := Softmax(u, temp)
		if err != nil {
			t.Fatal(err)
		}
		for i := range u {
			if argmax(p[i]) != argmax(u[i]) {
				t.Fatalf("T = %v, row %d: argmax %d → %d", temp, i, argmax(u[i]), argmax(p[i]))
			}
			s := 0.0
			for _, v := range p[i] {
				if math.IsNaN(v) {
					t.Fatalf("T = %v, row %d: NaN", temp, i)
				}
				s += v
			}
			if !near(s, 1, 1e-12) {
				t.Fatalf("T = %v, row %d: sums to %v", temp, i, s)
			}
		}
	}
}

func TestTemperatureEdgeCases(t *testing.T) {
	t.Run("all wrong and confident: T to the top of the range", func(t *testing.T) {
		z := [][]float64{{1e4, -1e4, 0}, {0, 1e4, -1e4}, {-1e4, 0, 1e4}, {10, 0, 0}}
		y := []int{1, 2, 0, 2}
		fit, err := FitTemperature(z, y)
		if err != nil {
			t.Fatal(err)
		}
		if fit.T != DefaultMaxT || !fit.AtBound || !strings.Contains(fit.Note, "T → ∞") || !(fit.Slope < 0) {
			t.Errorf("fit = %+v", fit)
		}
		// One confident mistake among calibrated data drags T up the same way:
		// NLL charges it 2e4/T, the price of a proper scoring rule.
		u, yu := synthetic(2000, 3, 1, 5)
		fit, err = FitTemperature(append(u, z[0]), append(yu, 1))
		if err != nil || fit.T < 100 {
			t.Errorf("calibrated data plus one mistake by 2e4: fit = %+v, %v", fit, err)
		}
		if math.IsNaN(fit.NLLAfter) || math.IsInf(fit.NLLAfter, 0) || !(fit.NLLAfter < fit.NLLBefore) {
			t.Errorf("NLL %v → %v", fit.NLLBefore, fit.NLLAfter)
		}
	})
	t.Run("separable with logits 1e4: T to the bottom of the range", func(t *testing.T) {
		z := [][]float64{{1e4, -1e4}, {-1e4, 1e4}, {3e3, 2e3}, {-5, 5}}
		y := []int{0, 1, 0, 1}
		fit, err := FitTemperature(z, y)
		if err != nil {
			t.Fatal(err)
		}
		if fit.T != DefaultMinT || !fit.AtBound || !strings.Contains(fit.Note, "T → 0") {
			t.Errorf("fit = %+v", fit)
		}
		if math.IsNaN(fit.NLLAfter) || fit.NLLAfter < 0 || fit.NLLAfter > fit.NLLBefore {
			t.Errorf("NLL %v → %v", fit.NLLBefore, fit.NLLAfter)
		}
	})
	t.Run("separable with small margins", func(t *testing.T) {
		fit, err := FitTemperatureIn([][]float64{{1, 0}, {0, 0.5}}, []int{0, 1}, 0.05, 20)
		if err != nil || fit.T != 0.05 || !fit.AtBound {
			t.Errorf("fit = %+v, %v", fit, err)
		}
	})
	t.Run("constant logits", func(t *testing.T) {
		fit, err := FitTemperature([][]float64{{2, 2}, {-1, -1}}, []int{0, 1})
		if err != nil || fit.T != 1 || !fit.AtBound || !near(fit.NLLAfter, math.Log(2), 1e-15) {
			t.Errorf("fit = %+v, %v", fit, err)
		}
	})
	t.Run("calibrated data plus logits of size 1e4", func(t *testing.T) {
		// The large rows are right with big margins, so they cost (almost)
		// nothing at T near 1 and leave the optimum where the rest put it;
		// they must not overflow anything.
		u, y := synthetic(2000, 3, 1, 5)
		ref, err := FitTemperature(u, y)
		if err != nil {
			t.Fatal(err)
		}
		u = append(u, []float64{1e4, -1e4, 0}, []float64{-1e4, -2e4, -1e4 + 50})
		y = append(y, 0, 2)
		fit, err := FitTemperature(u, y)
		if err != nil || fit.AtBound || math.Abs(fit.T-ref.T) > 1e-3*ref.T {
			t.Errorf("fit = %+v, %v; without the large rows T = %v", fit, err, ref.T)
		}
		g, _ := nllDerivatives(u, y, 1/fit.T)
		if math.Abs(g) > 1e-9 {
			t.Errorf("f'(1/T) = %v", g)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		if _, err := FitTemperatureIn([][]float64{{1, 0}}, []int{0}, 2, 1); err == nil {
			t.Error("minT > maxT: want error")
		}
		if _, err := FitTemperature([][]float64{{1, 0}}, []int{2}); err == nil || !strings.Contains(err.Error(), "row 0: label 2") {
			t.Errorf("bad label: err = %v", err)
		}
		if _, err := TemperatureNLL([][]float64{{1, 0}}, []int{0}, -1); err == nil {
			t.Error("T < 0: want error")
		}
	})
}
