package viz

import (
	"fmt"
	"math"
	"strconv"
	"testing"

	"gonum.org/v1/plot"
)

func TestIntegerTicks(t *testing.T) {
	label := func(lo, hi float64) string {
		var s []string
		for _, tk := range (IntegerTicks{}).Ticks(lo, hi) {
			s = append(s, tk.Label)
		}
		return fmt.Sprint(s)
	}
	for _, c := range []struct {
		lo, hi float64
		want   string
	}{
		{1, 2, "[1 2]"},
		{0.8, 2.2, "[1 2]"},
		{1, 10, "[1 2 3 4 5 6 7 8 9 10]"},
		{0, 3, "[0 1 2 3]"},
		{1, 20, "[2 4 6 8 10 12 14 16 18 20]"},
		{0, 50, "[0 5 10 15 20 25 30 35 40 45 50]"},
		{1, 100, "[10 20 30 40 50 60 70 80 90 100]"},
		{-3, 3, "[-3 -2 -1 0 1 2 3]"},
		{1.2, 1.8, "[]"},
		{2, 1, "[]"},
	} {
		if got := label(c.lo, c.hi); got != c.want {
			t.Errorf("Ticks(%g, %g) = %s, want %s", c.lo, c.hi, got, c.want)
		}
	}
}

func TestReadableTicksNameTheirValues(t *testing.T) {
	// gonum's DefaultTicks labels the ticks at 1.65, 1.85, 2.05 of this
	// range "1.7", "1.9", "2.1" (the range of a learning curve in notebook 08).
	for _, r := range [][2]float64{{1.6017, 2.0778}, {1.6017, 1.9921}, {0, 1}, {0.31, 0.37}, {-3, 1200}, {1e-4, 3e-4}} {
		labelled := 0
		for _, tk := range (ReadableTicks{}).Ticks(r[0], r[1]) {
			if tk.Label == "" {
				continue
			}
			labelled++
			v, err := strconv.ParseFloat(tk.Label, 64)
			if err != nil || math.Abs(v-tk.Value) > 1e-9*(r[1]-r[0]) {
				t.Errorf("range %v: tick at %g labelled %q", r, tk.Value, tk.Label)
			}
		}
		if labelled < 2 {
			t.Errorf("range %v: %d labelled ticks", r, labelled)
		}
	}
	// Exact labels are DefaultTicks' own.
	def := plot.DefaultTicks{}.Ticks(0, 1)
	for i, tk := range (ReadableTicks{}).Ticks(0, 1) {
		if tk != def[i] {
			t.Errorf("tick %d: %+v, DefaultTicks gives %+v", i, tk, def[i])
		}
	}
}
