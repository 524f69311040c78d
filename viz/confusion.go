package viz

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ConfusionMatrix draws a K×K matrix as a heat map with the value written in
// every cell: rows are the true classes (top to bottom), columns the
// predicted ones. values[i][j] is what is coloured (counts, or row-normalized
// rates); labels[i][j] is what is written (nil writes the values, with
// format). Cell colours go from white (0) to dark blue (the largest value).
func ConfusionMatrix(title string, classNames []string, values [][]float64, labels [][]string, format string) (*plot.Plot, error) {
	k := len(classNames)
	if len(values) != k {
		return nil, fmt.Errorf("confusion matrix %q: %d rows for %d classes", title, len(values), k)
	}
	maxV := 0.0
	for i, row := range values {
		if len(row) != k {
			return nil, fmt.Errorf("confusion matrix %q: row %d has %d values, want %d", title, i, len(row), k)
		}
		for _, v := range row {
			maxV = math.Max(maxV, v)
		}
	}
	if format == "" {
		format = "%g"
	}
	// Each cell is drawn as a block of px×px pixels: gonum/plot smooths images
	// when it scales them, which would blur one-pixel cells into each other.
	const px = 32
	img := image.NewRGBA(image.Rect(0, 0, k*px, k*px))
	dark := color.RGBA{8, 48, 107, 255}
	var light, darkText []plotter.XY
	var lightLabels, darkLabels []string
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			t := 0.0
			if maxV > 0 {
				t = values[i][j] / maxV
			}
			c := blend(color.RGBA{255, 255, 255, 255}, dark, t)
			for y := i * px; y < (i+1)*px; y++ {
				for x := j * px; x < (j+1)*px; x++ {
					img.Set(x, y, c)
				}
			}
			s := fmt.Sprintf(format, values[i][j])
			if labels != nil {
				s = labels[i][j]
			}
			xy := plotter.XY{X: float64(j) + 0.5, Y: float64(k-1-i) + 0.5}
			if t > 0.5 {
				light, lightLabels = append(light, xy), append(lightLabels, s)
			} else {
				darkText, darkLabels = append(darkText, xy), append(darkLabels, s)
			}
		}
	}
	p := NewPlot(title, "predicted class", "true class")
	p.Add(plotter.NewImage(img, 0, 0, float64(k), float64(k)))
	for _, grp := range []struct {
		xy     []plotter.XY
		labels []string
		c      color.Color
	}{{light, lightLabels, color.White}, {darkText, darkLabels, color.Black}} {
		if len(grp.xy) == 0 {
			continue
		}
		l, err := plotter.NewLabels(plotter.XYLabels{XYs: grp.xy, Labels: grp.labels})
		if err != nil {
			return nil, err
		}
		for i := range l.TextStyle {
			l.TextStyle[i].Color = grp.c
			l.TextStyle[i].XAlign = draw.XCenter
			l.TextStyle[i].YAlign = draw.YCenter
			l.TextStyle[i].Font.Size = vg.Points(9)
		}
		p.Add(l)
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, float64(k), 0, float64(k)
	xt, yt := make([]plot.Tick, k), make([]plot.Tick, k)
	for i, n := range classNames {
		xt[i] = plot.Tick{Value: float64(i) + 0.5, Label: n}
		yt[i] = plot.Tick{Value: float64(k-1-i) + 0.5, Label: n}
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	p.Y.Tick.Marker = plot.ConstantTicks(yt)
	p.X.Tick.Label.Rotation = math.Pi / 4
	p.X.Tick.Label.XAlign = text.XRight
	p.X.Tick.Label.YAlign = text.YCenter
	return p, nil
}

// ConfusionCounts is ConfusionMatrix for integer counts.
func ConfusionCounts(title string, classNames []string, counts [][]int) (*plot.Plot, error) {
	v := make([][]float64, len(counts))
	for i, row := range counts {
		v[i] = make([]float64, len(row))
		for j, c := range row {
			v[i][j] = float64(c)
		}
	}
	return ConfusionMatrix(title, classNames, v, nil, "%.0f")
}
