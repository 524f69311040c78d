package viz

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/fer-thesis/fer/calibration"
)

// Colours of the reliability figures: accuracy bars in the palette's blue and
// the gap in translucent pink, the two colours of the thesis's figures 8.3
// and 8.4.
var (
	accuracyColor = ClassColor(0)
	gapFill       = color.NRGBA{R: 204, G: 121, B: 167, A: 150}
	gapEdge       = color.NRGBA{R: 160, G: 60, B: 120, A: 255}
	countColor    = color.NRGBA{R: 120, G: 120, B: 120, A: 255}
)

// diagramShare is the fraction of a reliability figure's height taken by the
// diagram; the count panel gets the rest.
const diagramShare = 0.72

// ReliabilityDiagram draws the reliability diagram of the bins: for each
// confidence bin (Lo, Hi] a blue bar as high as the accuracy of the examples
// in it, a black line at their mean confidence, a translucent pink box
// between the two (the gap; purple where it overlaps the bar, i.e. where the
// model is underconfident), and the diagonal a perfectly calibrated model
// would follow. Bars
// below the diagonal mean overconfidence. The legend gives the ECE and the
// number of examples. Empty bins draw nothing; Reliability adds the counts
// underneath, which the thesis's diagrams do not show.
//
// The gap is drawn to the bin's mean confidence rather than to the centre of
// the bin (as Guo et al. 2017 do), so its height is exactly the |acc − conf|
// that ECE averages.
func ReliabilityDiagram(title string, bins calibration.Bins) (*plot.Plot, error) {
	if len(bins) == 0 {
		return nil, fmt.Errorf("reliability diagram %q: no bins", title)
	}
	p := NewPlot(title, "confidence (largest probability)", "accuracy")
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.X.Tick.Marker, p.Y.Tick.Marker = unitTicks{}, unitTicks{}
	p.Add(plotter.NewGrid())

	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return nil, fmt.Errorf("reliability diagram %q: %w", title, err)
	}
	diag.Color = color.RGBA{90, 90, 90, 255}
	diag.Width = vg.Points(1.2)
	diag.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}

	var accThumb, gapThumb plot.Thumbnailer
	var confLines []*plotter.Line
	for i, b := range bins {
		if b.Count == 0 {
			continue
		}
		bar, err := rect(b.Lo, 0, b.Hi, b.Accuracy)
		if err != nil {
			return nil, fmt.Errorf("reliability diagram %q, bin %d: %w", title, i, err)
		}
		bar.Color = accuracyColor
		bar.LineStyle.Color = color.RGBA{0, 60, 100, 255}
		bar.LineStyle.Width = vg.Points(0.8)
		p.Add(bar)
		accThumb = bar

		gap, err := rect(b.Lo, math.Min(b.Accuracy, b.Confidence), b.Hi, math.Max(b.Accuracy, b.Confidence))
		if err != nil {
			return nil, fmt.Errorf("reliability diagram %q, bin %d: %w", title, i, err)
		}
		gap.Color = gapFill
		gap.LineStyle.Color = gapEdge
		gap.LineStyle.Width = vg.Points(0.8)
		p.Add(gap)
		gapThumb = gap

		conf, err := plotter.NewLine(plotter.XYs{{X: b.Lo, Y: b.Confidence}, {X: b.Hi, Y: b.Confidence}})
		if err != nil {
			return nil, fmt.Errorf("reliability diagram %q, bin %d: %w", title, i, err)
		}
		conf.Color = color.Black
		conf.Width = vg.Points(1.8)
		confLines = append(confLines, conf)
	}
	for _, l := range confLines {
		p.Add(l)
	}
	p.Add(diag)

	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(4), -vg.Points(4)
	if accThumb != nil {
		p.Legend.Add("accuracy", accThumb)
		p.Legend.Add("mean confidence", confLines[0])
		p.Legend.Add("gap |acc − conf|", gapThumb)
	}
	p.Legend.Add("perfect calibration", diag)
	p.Legend.Add(fmt.Sprintf("ECE = %.3f, MCE = %.3f", bins.ECE(), bins.MCE()))
	p.Legend.Add(fmt.Sprintf("n = %d, %d bins", bins.N(), len(bins)))
	return p, nil
}

// BinCounts draws how many examples fall in each confidence bin, with the
// count written above each non-empty bar so that a bin holding one example
// is visible next to one holding thousands.
func BinCounts(title string, bins calibration.Bins) (*plot.Plot, error) {
	if len(bins) == 0 {
		return nil, fmt.Errorf("bin counts %q: no bins", title)
	}
	p := NewPlot(title, "confidence (largest probability)", "examples")
	p.X.Min, p.X.Max, p.Y.Min = 0, 1, 0
	p.X.Tick.Marker = unitTicks{}
	p.Add(plotter.NewGrid())
	top := 0
	var xys plotter.XYs
	var labels []string
	for i, b := range bins {
		top = max(top, b.Count)
		if b.Count == 0 {
			continue
		}
		bar, err := rect(b.Lo, 0, b.Hi, float64(b.Count))
		if err != nil {
			return nil, fmt.Errorf("bin counts %q, bin %d: %w", title, i, err)
		}
		bar.Color = countColor
		bar.LineStyle.Color = color.RGBA{60, 60, 60, 255}
		bar.LineStyle.Width = vg.Points(0.6)
		p.Add(bar)
		xys = append(xys, plotter.XY{X: (b.Lo + b.Hi) / 2, Y: float64(b.Count)})
		labels = append(labels, fmt.Sprint(b.Count))
	}
	p.Y.Max = math.Max(1, float64(top)*1.25) // room for the labels
	if len(xys) > 0 {
		l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return nil, fmt.Errorf("bin counts %q: %w", title, err)
		}
		for i := range l.TextStyle {
			l.TextStyle[i].Font.Size = vg.Points(8)
			l.TextStyle[i].XAlign = draw.XCenter
		}
		l.Offset = vg.Point{Y: vg.Points(2)}
		p.Add(l)
	}
	return p, nil
}

// ConfidenceHistogram draws the share of examples in each confidence bin of
// the report, with vertical lines at the accuracy and at the mean confidence
// (the top row of Guo et al.'s figure 1): a mean confidence to the right of
// the accuracy is overconfidence, at a glance.
func ConfidenceHistogram(title string, r calibration.Report) (*plot.Plot, error) {
	n := r.Bins.N()
	if n == 0 {
		return nil, fmt.Errorf("confidence histogram %q: no examples", title)
	}
	p := NewPlot(title, "confidence (largest probability)", "fraction of examples")
	p.X.Min, p.X.Max, p.Y.Min = 0, 1, 0
	p.X.Tick.Marker = unitTicks{}
	p.Add(plotter.NewGrid())
	top := 0.0
	for i, b := range r.Bins {
		if b.Count == 0 {
			continue
		}
		f := float64(b.Count) / float64(n)
		top = math.Max(top, f)
		bar, err := rect(b.Lo, 0, b.Hi, f)
		if err != nil {
			return nil, fmt.Errorf("confidence histogram %q, bin %d: %w", title, i, err)
		}
		bar.Color = lighten(accuracyColor, 0.35)
		bar.LineStyle.Color = color.RGBA{0, 60, 100, 255}
		bar.LineStyle.Width = vg.Points(0.6)
		p.Add(bar)
	}
	p.Y.Max = math.Min(1, top*1.15)
	for i, v := range []struct {
		name string
		x    float64
		c    color.RGBA
	}{
		{fmt.Sprintf("accuracy %.3f", r.Accuracy), r.Accuracy, ClassColor(2)},
		{fmt.Sprintf("mean confidence %.3f", r.Confidence), r.Confidence, ClassColor(1)},
	} {
		l, err := plotter.NewLine(plotter.XYs{{X: v.x, Y: 0}, {X: v.x, Y: p.Y.Max}})
		if err != nil {
			return nil, fmt.Errorf("confidence histogram %q: %w", title, err)
		}
		l.Color = v.c
		l.Width = vg.Points(2.2)
		if i == 1 {
			l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		p.Add(l)
		p.Legend.Add(v.name, l)
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(4), -vg.Points(4)
	return p, nil
}

// Reliability renders the reliability diagram of the bins over their count
// panel (BinCounts), the two sharing the confidence axis, as one PNG of
// width×height points.
func Reliability(title string, bins calibration.Bins, width, height vg.Length) ([]byte, error) {
	d, c, err := reliabilityPanels(title, bins)
	if err != nil {
		return nil, err
	}
	return renderPNG(width, height, func(dc draw.Canvas) { drawColumn(dc, d, c) })
}

// ShowReliability renders Reliability at 6×6 inches and displays it (see
// ShowPNG).
func ShowReliability(title string, bins calibration.Bins) {
	png, err := Reliability(title, bins, DefaultWidth, DefaultWidth)
	if err != nil {
		fmt.Println("viz:", err)
		return
	}
	ShowPNG(png, title)
}

// BeforeAfter renders two reliability figures side by side, each
// width×height points, typically the same test set before and after
// temperature scaling. The count panels share their vertical scale so the
// two can be compared bar by bar.
func BeforeAfter(beforeTitle string, before calibration.Bins, afterTitle string, after calibration.Bins, width, height vg.Length) ([]byte, error) {
	d1, c1, err := reliabilityPanels(beforeTitle, before)
	if err != nil {
		return nil, err
	}
	d2, c2, err := reliabilityPanels(afterTitle, after)
	if err != nil {
		return nil, err
	}
	c1.Y.Max = math.Max(c1.Y.Max, c2.Y.Max)
	c2.Y.Max = c1.Y.Max
	return renderPNG(2*width, height, func(dc draw.Canvas) {
		pad := vg.Millimeter
		left := draw.Crop(dc, 0, -width-pad, 0, 0)
		right := draw.Crop(dc, width+pad, 0, 0, 0)
		drawColumn(left, d1, c1)
		drawColumn(right, d2, c2)
	})
}

// ShowBeforeAfter renders BeforeAfter with 6×6-inch panels and displays it.
func ShowBeforeAfter(beforeTitle string, before calibration.Bins, afterTitle string, after calibration.Bins) {
	png, err := BeforeAfter(beforeTitle, before, afterTitle, after, DefaultWidth, DefaultWidth)
	if err != nil {
		fmt.Println("viz:", err)
		return
	}
	ShowPNG(png, beforeTitle)
}

// reliabilityPanels returns the diagram (without its x label, which the
// count panel underneath carries) and the count panel.
func reliabilityPanels(title string, bins calibration.Bins) (diagram, counts *plot.Plot, err error) {
	diagram, err = ReliabilityDiagram(title, bins)
	if err != nil {
		return nil, nil, err
	}
	diagram.X.Label.Text = ""
	counts, err = BinCounts("", bins)
	if err != nil {
		return nil, nil, err
	}
	return diagram, counts, nil
}

// drawColumn draws the diagram in the top diagramShare of c and the count
// panel below it, with their data areas aligned horizontally so that the
// bins line up.
func drawColumn(c draw.Canvas, diagram, counts *plot.Plot) {
	h := c.Max.Y - c.Min.Y
	split := vg.Length(1-diagramShare) * h
	top := draw.Crop(c, 0, 0, split, 0)
	bottom := draw.Crop(c, 0, 0, 0, split-h)
	dt, db := diagram.DataCanvas(top), counts.DataCanvas(bottom)
	left := max(dt.Min.X-top.Min.X, db.Min.X-bottom.Min.X)
	right := max(top.Max.X-dt.Max.X, bottom.Max.X-db.Max.X)
	top = draw.Crop(top, left-(dt.Min.X-top.Min.X), (top.Max.X-dt.Max.X)-right, 0, 0)
	bottom = draw.Crop(bottom, left-(db.Min.X-bottom.Min.X), (bottom.Max.X-db.Max.X)-right, 0, 0)
	diagram.Draw(top)
	counts.Draw(bottom)
}

// renderPNG draws onto a fresh width×height canvas and encodes it as PNG.
func renderPNG(width, height vg.Length, drawFn func(draw.Canvas)) ([]byte, error) {
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	drawFn(dc)
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("rendering PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// unitTicks marks [0, 1] every 0.1, labelled every 0.2: probability axes.
type unitTicks struct{}

// Ticks implements plot.Ticker.
func (unitTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for i := 0; i <= 10; i++ {
		v := float64(i) / 10
		if v < lo-1e-9 || v > hi+1e-9 {
			continue
		}
		t := plot.Tick{Value: v}
		if i%2 == 0 {
			t.Label = fmt.Sprintf("%.1f", v)
		}
		ts = append(ts, t)
	}
	return ts
}

// rect returns the filled rectangle [x0, x1]×[y0, y1].
func rect(x0, y0, x1, y1 float64) (*plotter.Polygon, error) {
	return plotter.NewPolygon(plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
}
