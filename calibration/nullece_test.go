package calibration

import (
	"math"
	"testing"
)

func TestNullECE(t *testing.T) {
	// Confidence 1 everywhere: a calibrated model is always right, ECE 0.
	sure := [][]float64{{1, 0}, {0, 1}, {1, 0}}
	iv, err := Bootstrap{Resamples: 50, Seed: 1}.NullECE(sure, 10)
	if err != nil {
		t.Fatal(err)
	}
	if iv.Estimate != 0 || iv.Lo != 0 || iv.Hi != 0 {
		t.Errorf("all-certain rows: got %+v, want ECE 0", iv)
	}

	// n examples at confidence 0.6 in one bin: ECE = |0.6 − k/n| with
	// k ~ Binomial(n, 0.6), whose mean is about √(2/π)·√(0.6·0.4/n).
	const n = 2000
	probs := make([][]float64, n)
	for i := range probs {
		probs[i] = []float64{0.6, 0.3, 0.1}
	}
	b := Bootstrap{Resamples: 2000, Level: 0.9, Seed: 7}
	iv, err = b.NullECE(probs, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := math.Sqrt(2/math.Pi) * math.Sqrt(0.6*0.4/n)
	if math.Abs(iv.Estimate-want) > 0.05*want {
		t.Errorf("mean null ECE %.5f, want about %.5f", iv.Estimate, want)
	}
	if !(iv.Lo < iv.Estimate && iv.Estimate < iv.Hi) || iv.Level != 0.9 || iv.Resamples != 2000 {
		t.Errorf("interval %+v", iv)
	}
	again, _ := b.NullECE(probs, 10)
	if again != iv {
		t.Errorf("same seed, different result: %+v vs %+v", again, iv)
	}

	if _, err := b.NullECE([][]float64{{2, -1}}, 10); err == nil {
		t.Error("logits accepted as probabilities")
	}
	if _, err := b.NullECE(probs, 0); err == nil {
		t.Error("0 bins accepted")
	}
}
