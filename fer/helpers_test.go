package fer

import (
	"math"
	"math/rand/v2"
)

// testCircles returns n points on two noisy concentric circles (radius 1: label
// 0, radius 0.5: label 1), like scikit-learn's make_circles(factor=0.5);
// the tests need a small separable-by-a-network set, not sklearn's exact
// sample (the datasets package reproduces that).
func testCircles(n int, noise float64, seed uint64) Data {
	rng := rand.New(rand.NewPCG(seed, 7))
	pts := make([][2]float64, n)
	labels := make([]int, n)
	for i := range n {
		a := 2 * math.Pi * rng.Float64()
		r := 1.0
		if i%2 == 1 {
			r, labels[i] = 0.5, 1
		}
		pts[i] = [2]float64{r*math.Cos(a) + noise*rng.NormFloat64(), r*math.Sin(a) + noise*rng.NormFloat64()}
	}
	return FromPoints(pts, labels)
}
