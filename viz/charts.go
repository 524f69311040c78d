package viz

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one named line of a line plot.
type Series struct {
	Name string
	X, Y []float64
	// Dashed draws the line dashed (e.g. validation curves).
	Dashed bool
	// Points also draws a marker at each point.
	Points bool
	// Color is a 1-based index into ClassColors; 0 picks the series' position.
	// Give a training curve and its validation curve the same Color.
	Color int
}

// Lines plots series as lines, each in its class colour, with a legend in
// the corner of the data area that the lines cross least (bottom-right on a
// tie); when every corner is crossed, the y range is widened so that the
// legend sits clear of the lines (see placeLegend). Move it with
// p.Legend.Top, Left, XOffs, YOffs (a widened range was made room for the
// corner chosen here, not for the one moved to). X values default to
// 1..len(Y) when X is nil.
func Lines(title, xLabel, yLabel string, series ...Series) (*plot.Plot, error) {
	p := NewPlot(title, xLabel, yLabel)
	p.Add(plotter.NewGrid())
	var all []plotter.XYs
	for i, s := range series {
		xs := s.X
		if xs == nil {
			xs = make([]float64, len(s.Y))
			for j := range xs {
				xs[j] = float64(j + 1)
			}
		}
		if len(xs) != len(s.Y) {
			return nil, fmt.Errorf("series %q: %d x values but %d y values", s.Name, len(xs), len(s.Y))
		}
		pts := make(plotter.XYs, 0, len(xs))
		for j := range xs {
			if !math.IsNaN(s.Y[j]) && !math.IsInf(s.Y[j], 0) {
				pts = append(pts, plotter.XY{X: xs[j], Y: s.Y[j]})
			}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("series %q: %w", s.Name, err)
		}
		ci := i
		if s.Color > 0 {
			ci = s.Color - 1
		}
		l.Color = ClassColor(ci)
		l.Width = vg.Points(2)
		if s.Dashed {
			l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		p.Add(l)
		if s.Points {
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, fmt.Errorf("series %q: %w", s.Name, err)
			}
			sc.Color = ClassColor(ci)
			sc.Shape = draw.CircleGlyph{}
			p.Add(sc)
			p.Legend.Add(s.Name, l, sc)
		} else {
			p.Legend.Add(s.Name, l)
		}
		all = append(all, pts)
	}
	padFlatRange(&p.Y)
	placeLegend(p, all, len(series))
	return p, nil
}

// padFlatRange gives an axis whose data are all one value v a range of
// v ± 10 % around it. gonum/plot would pad it by ±1, which flattens a small
// constant (a learning rate of 0.001) onto the zero line.
func padFlatRange(a *plot.Axis) {
	if a.Min != a.Max || a.Min == 0 || math.IsInf(a.Min, 0) || math.IsNaN(a.Min) {
		return
	}
	d := 0.1 * math.Abs(a.Min)
	a.Min, a.Max = a.Min-d, a.Max+d
}

// Legend geometry for placeLegend, as fractions of the data area: the
// legend's width, and its height per entry (a 12-point entry on the
// 3-inch-high plots of the notebooks, whose data area is about 150 points
// high).
const (
	legendWidthFrac  = 0.5
	legendHeightFrac = 0.09
)

// placeLegend chooses the corner of p's data area for a legend of n entries:
// the one whose box (legendWidthFrac of the width, n·legendHeightFrac of the
// height) the lines cross least, sampled along each segment; ties go to
// bottom-right, top-right, top-left, bottom-left in that order. If every
// corner is crossed, the y range is widened on the chosen corner's side so
// that the box lies beyond the data.
func placeLegend(p *plot.Plot, lines []plotter.XYs, n int) {
	xmin, xmax, ymin, ymax := p.X.Min, p.X.Max, p.Y.Min, p.Y.Max
	h := float64(n) * legendHeightFrac
	if n == 0 || h >= 0.5 || !(xmax > xmin) || !(ymax > ymin) {
		return
	}
	type corner struct{ top, left bool }
	corners := []corner{{false, false}, {true, false}, {true, true}, {false, true}}
	counts := make([]int, len(corners))
	const samples = 16 // points per segment, so a line crossing a box counts
	for _, pts := range lines {
		for i := range pts {
			steps := 1
			if i > 0 {
				steps = samples
			}
			for k := 1; k <= steps; k++ {
				x, y := pts[i].X, pts[i].Y
				if i > 0 {
					f := float64(k) / samples
					x, y = pts[i-1].X+f*(pts[i].X-pts[i-1].X), pts[i-1].Y+f*(pts[i].Y-pts[i-1].Y)
				}
				fx, fy := (x-xmin)/(xmax-xmin), (y-ymin)/(ymax-ymin)
				for c, cn := range corners {
					inX := fx >= 1-legendWidthFrac
					if cn.left {
						inX = fx <= legendWidthFrac
					}
					inY := fy <= h
					if cn.top {
						inY = fy >= 1-h
					}
					if inX && inY {
						counts[c]++
					}
				}
			}
		}
	}
	best := 0
	for c := range corners {
		if counts[c] < counts[best] {
			best = c
		}
	}
	p.Legend.Top, p.Legend.Left = corners[best].top, corners[best].left
	if counts[best] == 0 {
		return
	}
	// Widen the range so that the data end where the legend's box begins:
	// (old edge − new edge) = h · (new range).
	if corners[best].top {
		p.Y.Max = (ymax - h*ymin) / (1 - h)
	} else {
		p.Y.Min = (ymin - h*ymax) / (1 - h)
	}
}

// Scatter plots 2-D points coloured by class label, with a legend entry per
// class. xs and ys are the coordinates and labels the class of each point
// (0..len(classNames)-1).
func Scatter(title, xLabel, yLabel string, xs, ys []float64, labels []int, classNames []string) (*plot.Plot, error) {
	p := NewPlot(title, xLabel, yLabel)
	if err := addClassScatter(p, xs, ys, labels, classNames, vg.Points(3)); err != nil {
		return nil, err
	}
	return p, nil
}

func addClassScatter(p *plot.Plot, xs, ys []float64, labels []int, classNames []string, radius vg.Length) error {
	if len(xs) != len(ys) || len(xs) != len(labels) {
		return fmt.Errorf("scatter: %d x, %d y and %d labels (want equal lengths)", len(xs), len(ys), len(labels))
	}
	for c, name := range classNames {
		var pts plotter.XYs
		for i, l := range labels {
			if l == c {
				pts = append(pts, plotter.XY{X: xs[i], Y: ys[i]})
			}
		}
		if len(pts) == 0 {
			continue
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return fmt.Errorf("scatter class %q: %w", name, err)
		}
		s.GlyphStyle.Color = ClassColor(c)
		s.GlyphStyle.Radius = radius
		s.GlyphStyle.Shape = classGlyph(c)
		p.Add(s)
		p.Legend.Add(name, s)
	}
	for i, l := range labels {
		if l < 0 || l >= len(classNames) {
			return fmt.Errorf("scatter: point %d has label %d, want 0..%d", i, l, len(classNames)-1)
		}
	}
	return nil
}

func classGlyph(c int) draw.GlyphDrawer {
	switch c % 4 {
	case 0:
		return draw.CircleGlyph{}
	case 1:
		return draw.TriangleGlyph{}
	case 2:
		return draw.SquareGlyph{}
	default:
		return draw.CrossGlyph{}
	}
}

// Region describes the rectangle [XMin,XMax]×[YMin,YMax] over which a
// classifier is evaluated on a Steps×Steps mesh.
type Region struct {
	XMin, XMax, YMin, YMax float64
	Steps                  int
}

// RegionAround returns a Region covering the points with a margin of 10% on
// each side, evaluated on a steps×steps mesh.
func RegionAround(xs, ys []float64, steps int) Region {
	r := Region{XMin: math.Inf(1), XMax: math.Inf(-1), YMin: math.Inf(1), YMax: math.Inf(-1), Steps: steps}
	for i := range xs {
		r.XMin, r.XMax = math.Min(r.XMin, xs[i]), math.Max(r.XMax, xs[i])
		r.YMin, r.YMax = math.Min(r.YMin, ys[i]), math.Max(r.YMax, ys[i])
	}
	dx, dy := 0.1*(r.XMax-r.XMin), 0.1*(r.YMax-r.YMin)
	r.XMin, r.XMax, r.YMin, r.YMax = r.XMin-dx, r.XMax+dx, r.YMin-dy, r.YMax+dy
	return r
}

// Mesh returns the centres of the Steps×Steps mesh cells, row by row from the
// top (largest y) down, as parallel x and y slices: the order ProbabilityRegion
// and ClassRegions expect their values in.
func (r Region) Mesh() (xs, ys []float64) {
	n := r.Steps
	xs, ys = make([]float64, 0, n*n), make([]float64, 0, n*n)
	for row := 0; row < n; row++ {
		y := r.YMax - (float64(row)+0.5)*(r.YMax-r.YMin)/float64(n)
		for col := 0; col < n; col++ {
			xs = append(xs, r.XMin+(float64(col)+0.5)*(r.XMax-r.XMin)/float64(n))
			ys = append(ys, y)
		}
	}
	return xs, ys
}

// ProbabilityRegion draws the probability of the positive class, prob[i] for
// mesh cell i (in Region.Mesh order), as a blue–white–red background with a
// colour bar, the 0.5 contour implied by the white band, and the labelled
// points on top. It is the thesis's decision-region figure for binary models.
func ProbabilityRegion(title string, r Region, prob []float64, xs, ys []float64, labels []int, classNames []string) (*plot.Plot, error) {
	n := r.Steps
	if n <= 0 || len(prob) != n*n {
		return nil, fmt.Errorf("probability region %q: %d values for a %d×%d mesh", title, len(prob), n, n)
	}
	cmap := moreland.SmoothBlueRed()
	cmap.SetMin(0)
	cmap.SetMax(1)
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for i, v := range prob {
		c, err := cmap.At(math.Min(1, math.Max(0, v)))
		if err != nil {
			return nil, fmt.Errorf("probability region %q: value %g at cell %d: %w", title, v, i, err)
		}
		img.Set(i%n, i/n, lighten(c, 0.35))
	}
	p := NewPlot(title, "x₁", "x₂")
	p.Add(plotter.NewImage(img, r.XMin, r.YMin, r.XMax, r.YMax))
	if err := addClassScatter(p, xs, ys, labels, classNames, vg.Points(2.5)); err != nil {
		return nil, err
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = r.XMin, r.XMax, r.YMin, r.YMax
	p.Legend.Top = true
	return p, nil
}

// ProbabilityColorBar returns a small plot with the colour bar used by
// ProbabilityRegion, to be shown beside it.
func ProbabilityColorBar(label string) *plot.Plot {
	cmap := moreland.SmoothBlueRed()
	cmap.SetMin(0)
	cmap.SetMax(1)
	p := plot.New()
	cb := &plotter.ColorBar{ColorMap: cmap}
	p.Add(cb)
	p.HideY()
	p.X.Label.Text = label
	return p
}

// ClassRegions colours each mesh cell by its predicted class (the argmax of
// probs[i], one probability vector per cell in Region.Mesh order), paler
// where the model is less sure, and draws the labelled points on top.
func ClassRegions(title string, r Region, probs [][]float64, xs, ys []float64, labels []int, classNames []string) (*plot.Plot, error) {
	n := r.Steps
	if n <= 0 || len(probs) != n*n {
		return nil, fmt.Errorf("class regions %q: %d values for a %d×%d mesh", title, len(probs), n, n)
	}
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for i, pv := range probs {
		best := 0
		for k := range pv {
			if pv[k] > pv[best] {
				best = k
			}
		}
		conf := pv[best]
		// Map confidence from [1/K, 1] to a blend from white to a light class colour.
		k := float64(len(pv))
		t := 0.15 + 0.5*math.Max(0, (conf-1/k)/(1-1/k))
		img.Set(i%n, i/n, blend(color.RGBA{255, 255, 255, 255}, ClassColor(best), t))
	}
	p := NewPlot(title, "x₁", "x₂")
	p.Add(plotter.NewImage(img, r.XMin, r.YMin, r.XMax, r.YMax))
	if err := addClassScatter(p, xs, ys, labels, classNames, vg.Points(2.5)); err != nil {
		return nil, err
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = r.XMin, r.XMax, r.YMin, r.YMax
	p.Legend.Top = true
	return p, nil
}

func lighten(c color.Color, t float64) color.RGBA {
	return blend(c, color.RGBA{255, 255, 255, 255}, t)
}

// blend returns (1-t)·a + t·b.
func blend(a, b color.Color, t float64) color.RGBA {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	mix := func(x, y uint32) uint8 { return uint8(((1-t)*float64(x) + t*float64(y)) / 257) }
	return color.RGBA{mix(ar, br), mix(ag, bg), mix(ab, bb), 255}
}

// Function plots y = f(x) for x in [xMin, xMax], one series per function.
func Function(title, xLabel, yLabel string, xMin, xMax float64, names []string, fs ...func(float64) float64) (*plot.Plot, error) {
	if len(names) != len(fs) {
		return nil, fmt.Errorf("function plot %q: %d names for %d functions", title, len(names), len(fs))
	}
	const n = 200
	series := make([]Series, len(fs))
	for i, f := range fs {
		s := Series{Name: names[i], X: make([]float64, n), Y: make([]float64, n)}
		for j := 0; j < n; j++ {
			x := xMin + (xMax-xMin)*float64(j)/(n-1)
			s.X[j], s.Y[j] = x, f(x)
		}
		series[i] = s
	}
	return Lines(title, xLabel, yLabel, series...)
}
