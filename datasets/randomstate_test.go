package datasets

import (
	"fmt"
	"math"
	"testing"
)

// Reference values printed by NumPy 1.24.2, e.g.
// np.random.RandomState(1).random_sample(5).
func TestRandomStateMatchesNumPy(t *testing.T) {
	check := func(name string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s:\n got %v\nwant %v", name, got, want)
		}
	}
	reprs := func(v []float64) []string {
		out := make([]string, len(v))
		for i, x := range v {
			out[i] = FormatFloatRepr(x)
		}
		return out
	}
	draw := func(n int, f func() float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = f()
		}
		return out
	}

	r := NewRandomState(1)
	check("RandomState(1).random_sample(5)", reprs(draw(5, r.RandomSample)),
		[]string{"0.417022004702574", "0.7203244934421581", "0.00011437481734488664", "0.30233257263183977", "0.14675589081711304"})

	r = NewRandomState(1)
	check("RandomState(1).normal(size=5)", reprs(draw(5, r.StandardNormal)),
		[]string{"1.6243453636632417", "-0.6117564136500754", "-0.5281717522634557", "-1.0729686221561705", "0.8654076293246785"})

	r = NewRandomState(1)
	check("RandomState(1).permutation(10)", r.Permutation(10), []int{2, 9, 6, 4, 0, 3, 1, 7, 8, 5})

	r = NewRandomState(math.MaxUint32)
	check("RandomState(2**32-1).random_sample(3)", reprs(draw(3, r.RandomSample)),
		[]string{"0.0976320289940138", "0.9123828453026218", "0.78903530185164"})

	// Crosses a state reload (700 doubles = 1400 words), then mixes calls.
	r = NewRandomState(42)
	draw(700, r.RandomSample)
	check("RandomState(42) after 700: permutation(20)", r.Permutation(20),
		[]int{8, 18, 11, 16, 12, 17, 3, 19, 14, 15, 13, 6, 4, 9, 7, 1, 5, 0, 2, 10})
	check("then normal(3, 2) x3", reprs(draw(3, func() float64 { return r.Normal(3, 2) })),
		[]string{"1.5533218350975322", "7.867696156804833", "-0.5404863766837842"})

	r = NewRandomState(7)
	check("RandomState(7).permutation(70000)[:5]", r.Permutation(70000)[:5], []int{7653, 66274, 9119, 10760, 43166})
}

func TestGlibcLog(t *testing.T) {
	// Inputs where Go's math.Log differs from glibc's (by one ulp), and
	// glibc's results, from Python's math.log on the reference machine. The
	// last three go through the path for inputs close to 1.
	cases := [][2]uint64{
		{0x3fe759c147e8f79a, 0xbfd42acfaad14d25},
		{0x3fc7f3f326faf050, 0xbffad0a618ed2f83},
		{0x3fd184b2126e750e, 0xbff4baeb601a4ffd},
		{0x3fdd336b777d5b8c, 0xbfe91c23a862466d},
		{0x3fe3fd2aed83a9dd, 0xbfde1d9af9a885af},
		{0x3fef1ed73536d3d4, 0xbf9c89f7f97d6171},
		{0x3fefcb5108d7da01, 0xbf7a6d429651232b},
		{0x3fee25194bc62074, 0xbfae93907702eb15},
		{0x3fe1a022ec486c1a, 0xbfe3159adc72135e},
		{0x3fc0132df0a66c68, 0xc000992101bc91cd},
	}
	for _, c := range cases {
		x := math.Float64frombits(c[0])
		if got := math.Float64bits(glibcLog(x)); got != c[1] {
			t.Errorf("glibcLog(%v) = %#016x, want %#016x", x, got, c[1])
		}
	}
	for _, x := range []float64{1, 2, 0.5, 1e-300, math.E} {
		if got, want := glibcLog(x), math.Log(x); math.Abs(got-want) > 1e-15*math.Abs(want) {
			t.Errorf("glibcLog(%v) = %v, want about %v", x, got, want)
		}
	}
	// Subnormal inputs (Python's math.log gives these; Go's math.Log does not).
	if got := FormatFloatRepr(glibcLog(5e-324)); got != "-744.4400719213812" {
		t.Errorf("glibcLog(5e-324) = %s", got)
	}
	if got := FormatFloatRepr(glibcLog(1e-310)); got != "-713.8013788281542" {
		t.Errorf("glibcLog(1e-310) = %s", got)
	}
	if !math.IsInf(glibcLog(0), -1) || !math.IsNaN(glibcLog(-1)) || !math.IsInf(glibcLog(math.Inf(1)), 1) {
		t.Error("glibcLog special cases")
	}
}

func TestNumPyCosSin(t *testing.T) {
	// np.linspace(0, 2*np.pi, 7, endpoint=False), np.cos and np.sin of it,
	// on the reference machine (NumPy 1.24.2 with AVX512_SKX).
	cases := [][3]uint64{
		{0x0000000000000000, 0x3ff0000000000000, 0x0000000000000000},
		{0x3fecb91f3bbba140, 0x3fe3f3a0e28bedd1, 0x3fe904c37505de4c},
		{0x3ffcb91f3bbba140, 0xbfcc7b90e3024581, 0x3fef329c0558e96b},
		{0x40058ad76cccb8f0, 0xbfecd4bca9cb5c70, 0x3fdbc4c04d71abc2},
		{0x400cb91f3bbba140, 0xbfecd4bca9cb5c70, 0xbfdbc4c04d71abbf},
		{0x4011f3b3855544c8, 0xbfcc7b90e302458a, 0xbfef329c0558e96a},
		{0x40158ad76cccb8f0, 0x3fe3f3a0e28bedcf, 0xbfe904c37505de4d},
	}
	lin := linspaceNoEnd(0, 2*math.Pi, 7)
	for i, c := range cases {
		x := math.Float64frombits(c[0])
		if lin[i] != x {
			t.Errorf("linspace[%d] = %v, want %v", i, lin[i], x)
		}
		if got := math.Float64bits(npCos(x)); got != c[1] {
			t.Errorf("npCos(%v) = %#016x, want %#016x", x, got, c[1])
		}
		if got := math.Float64bits(npSin(x)); got != c[2] {
			t.Errorf("npSin(%v) = %#016x, want %#016x", x, got, c[2])
		}
	}
}

func TestFormatFloatRepr(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{1, "1.0"}, {-0.0 * -1, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {1e16, "1e+16"}, {1.5e16, "1.5e+16"},
		{123456789012345.6, "123456789012345.6"}, {1e-5, "1e-05"}, {0.0001, "0.0001"}, {1e22, "1e+22"},
		{5e-324, "5e-324"}, {0.1, "0.1"}, {math.NaN(), "nan"}, {math.Inf(-1), "-inf"},
	} {
		if got := FormatFloatRepr(c.v); got != c.want {
			t.Errorf("FormatFloatRepr(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}
