package viz

import (
	"fmt"
	"testing"
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
