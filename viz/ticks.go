package viz

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// IntegerTicks marks an axis at whole numbers only, for counts such as epochs
// or pixels: every integer when the range is short, else every 2nd, 5th,
// 10th, 20th, ... so that there are at most about 10 labels. Use it as
// p.X.Tick.Marker = viz.IntegerTicks{}.
type IntegerTicks struct{}

// Ticks returns the major ticks, labelled, between lo and hi.
func (IntegerTicks) Ticks(lo, hi float64) []plot.Tick {
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || hi < lo {
		return nil
	}
	step := 1.0
	for mult := 0; (hi-lo)/step > 10; mult++ {
		step *= []float64{2, 2.5, 2}[mult%3] // 1, 2, 5, 10, 20, 50, ...
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64)})
	}
	return ticks
}
