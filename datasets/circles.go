package datasets

import (
	"math"
	"strconv"
	"strings"
)

// MakeCircles returns scikit-learn's
// make_circles(n_samples=n, shuffle=shuffle, noise=noise, random_state=seed)
// with the default factor 0.8, bit for bit: X holds the points and y their
// class, 0 for the outer circle (n/2 points) and 1 for the inner one (the
// rest). Noise 0 adds nothing. See MakeCirclesFrom for the algorithm.
func MakeCircles(n int, noise float64, seed uint32, shuffle bool) (X [][2]float64, y []int) {
	nOut := max(n, 0) / 2
	return MakeCirclesFrom(NewRandomState(seed), nOut, max(n, 0)-nOut, noise, 0.8, shuffle)
}

// MakeCirclesFrom is make_circles(n_samples=(nOut, nIn), shuffle, noise,
// random_state=rs, factor) drawing from an existing generator, exactly as
// scikit-learn 1.2 does:
//
//  1. angles np.linspace(0, 2π, m, endpoint=False), i.e. i·(2π/m), for each
//     circle; points (cos, sin) on the outer circle then factor·(cos, sin)
//     on the inner one, labels 0 then 1;
//  2. if shuffle, rows permuted by sklearn.utils.shuffle, which draws
//     indices = arange(n); rs.shuffle(indices);
//  3. X += rs.normal(scale=noise, size=(n, 2)), row by row, x before y.
//
// cos and sin are NumPy's (SVML on AVX-512 machines; see npmath.go) so that
// the points agree to the last bit. Negative counts count as 0.
func MakeCirclesFrom(rs *RandomState, nOut, nIn int, noise, factor float64, shuffle bool) (X [][2]float64, y []int) {
	nOut, nIn = max(nOut, 0), max(nIn, 0)
	X = make([][2]float64, 0, nOut+nIn)
	y = make([]int, 0, nOut+nIn)
	for _, a := range linspaceNoEnd(0, 2*math.Pi, nOut) {
		X = append(X, [2]float64{npCos(a), npSin(a)})
		y = append(y, 0)
	}
	for _, a := range linspaceNoEnd(0, 2*math.Pi, nIn) {
		X = append(X, [2]float64{float64(npCos(a) * factor), float64(npSin(a) * factor)})
		y = append(y, 1)
	}
	if shuffle {
		idx := rs.Permutation(len(X))
		X2 := make([][2]float64, len(X))
		y2 := make([]int, len(y))
		for j, i := range idx {
			X2[j], y2[j] = X[i], y[i]
		}
		X, y = X2, y2
	}
	if noise != 0 {
		for i := range X {
			X[i][0] += rs.Normal(0, noise)
			X[i][1] += rs.Normal(0, noise)
		}
	}
	return X, y
}

// linspaceNoEnd is np.linspace(start, stop, n, endpoint=False):
// start + i*((stop-start)/n).
func linspaceNoEnd(start, stop float64, n int) []float64 {
	out := make([]float64, n)
	if n == 0 {
		return out
	}
	step := (stop - start) / float64(n)
	for i := range out {
		out[i] = float64(float64(i)*step) + start
	}
	return out
}

// FormatFloatRepr formats v as Python's repr(float) does: the shortest
// string that reads back to v, in fixed notation with at least one decimal
// ("1.0", "0.0001") when the decimal exponent is in [-4, 16), else in
// exponent notation ("1e-05", "1.5e+16"); "nan", "inf", "-inf".
func FormatFloatRepr(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(v, 'e', -1, 64) // d.ddde±XX
	_, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
