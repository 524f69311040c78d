package viz

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Bars draws a grouped bar chart: one group of bars per category (on the x
// axis), one bar per series in each group, with a legend naming the series.
// values[s][c] is the height of series s in category c.
func Bars(title, yLabel string, categories, seriesNames []string, values [][]float64) (*plot.Plot, error) {
	if len(values) != len(seriesNames) {
		return nil, fmt.Errorf("bars %q: %d series names for %d series", title, len(seriesNames), len(values))
	}
	p := NewPlot(title, "", yLabel)
	p.Add(plotter.NewGrid())
	n := len(seriesNames)
	w := vg.Points(float64(min(60, 180/max(1, len(categories)))) / float64(max(1, n)) * 2)
	for s, vals := range values {
		if len(vals) != len(categories) {
			return nil, fmt.Errorf("bars %q: series %q has %d values for %d categories", title, seriesNames[s], len(vals), len(categories))
		}
		b, err := plotter.NewBarChart(plotter.Values(vals), w)
		if err != nil {
			return nil, fmt.Errorf("bars %q: series %q: %w", title, seriesNames[s], err)
		}
		b.Color = ClassColor(s)
		b.LineStyle.Width = 0
		b.Offset = w * vg.Length(float64(s)-float64(n-1)/2)
		p.Add(b)
		if n > 1 {
			p.Legend.Add(seriesNames[s], b)
		}
	}
	p.NominalX(categories...)
	p.Legend.Top = true
	// Leave headroom above the tallest bar for the legend.
	top := 0.0
	for _, vals := range values {
		for _, v := range vals {
			top = max(top, v)
		}
	}
	if top > 0 && n > 1 {
		p.Y.Max = top * 1.2
	}
	return p, nil
}
