package calibration_test

import (
	"math/rand/v2"
	"testing"

	"github.com/fer-thesis/fer/calibration"
)

// TestECEOfACalibratedModelShrinksWithN draws labels from softmax(z) itself
// (a perfectly calibrated model): its ECE must shrink towards 0 as n grows.
func TestECEOfACalibratedModelShrinksWithN(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ece := func(n int) float64 {
		z := make([][]float64, n)
		y := make([]int, n)
		for i := range z {
			z[i] = []float64{2 * rng.NormFloat64(), 2 * rng.NormFloat64(), 2 * rng.NormFloat64()}
			p, _ := calibration.Softmax([][]float64{z[i]}, 1)
			r, c := rng.Float64(), 0.0
			y[i] = 2
			for k, pk := range p[0] {
				if c += pk; r < c {
					y[i] = k
					break
				}
			}
		}
		rep, err := calibration.EvaluateLogits(z, y, 10)
		if err != nil {
			t.Fatal(err)
		}
		return rep.ECE
	}
	e1, e2, e3 := ece(1000), ece(20000), ece(400000)
	if !(e3 < e2 && e2 < e1) || e3 > 0.005 {
		t.Errorf("ECE for n = 1e3, 2e4, 4e5: %.4f %.4f %.4f, want decreasing towards 0", e1, e2, e3)
	}
	t.Logf("ECE of a calibrated model: n=1,000 %.4f; n=20,000 %.4f; n=400,000 %.4f", e1, e2, e3)
}
