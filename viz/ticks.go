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

// ReadableTicks is gonum's plot.DefaultTicks with each label printed with as
// many decimals as its tick's value needs. DefaultTicks (gonum plot v0.15.2)
// can place ticks at 1.65, 1.85 and 2.05 and label them "1.7", "1.9" and
// "2.1" — every curve then reads 0.05 off. Where DefaultTicks' labels are
// already exact they are kept as they are. NewPlot uses it on both axes.
type ReadableTicks struct{}

// Ticks returns DefaultTicks' ticks between lo and hi, relabelled where a
// label does not name its tick's value.
func (ReadableTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	tol := 1e-9 * (hi - lo)
	exact := func(label string, v float64) bool {
		r, err := strconv.ParseFloat(label, 64)
		return err == nil && math.Abs(r-v) <= tol
	}
	wrong := false
	for _, t := range ticks {
		if t.Label != "" && !exact(t.Label, t.Value) {
			wrong = true
		}
	}
	if !wrong {
		return ticks
	}
	for prec := 0; prec <= 10; prec++ {
		ok := true
		for _, t := range ticks {
			if t.Label != "" && !exact(strconv.FormatFloat(t.Value, 'f', prec, 64), t.Value) {
				ok = false
				break
			}
		}
		if ok {
			for i, t := range ticks {
				if t.Label != "" {
					ticks[i].Label = strconv.FormatFloat(t.Value, 'f', prec, 64)
				}
			}
			break
		}
	}
	return ticks
}
