// Package viz draws the figures of the thesis's chapters with gonum/plot:
// scatter plots by class, decision regions, line plots (training curves,
// log-likelihood traces), and image grids.
//
// Every function returns a *plot.Plot (or an image), a value that renders to
// PNG or SVG anywhere; Show displays it inline when the program runs inside a
// GoNB notebook cell, and Save writes it to a file otherwise.
package viz

import (
	"bytes"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Default figure size, in points (1/72 inch). At the default 96 dpi of PNG
// rendering this gives 576×432-pixel images, readable in a notebook.
const (
	DefaultWidth  = 6 * vg.Inch
	DefaultHeight = 4.5 * vg.Inch
)

// dpi is the resolution used for PNG rendering.
const dpi = 96

// ClassColors is the palette used for classes (colour-blind friendly, from
// Okabe & Ito); class i uses ClassColors[i % len(ClassColors)].
var ClassColors = []color.RGBA{
	{0, 114, 178, 255},   // blue
	{213, 94, 0, 255},    // vermillion
	{0, 158, 115, 255},   // bluish green
	{204, 121, 167, 255}, // reddish purple
	{230, 159, 0, 255},   // orange
	{86, 180, 233, 255},  // sky blue
	{240, 228, 66, 255},  // yellow
	{0, 0, 0, 255},       // black
	{120, 120, 120, 255}, // grey
	{140, 86, 75, 255},   // brown
}

// ClassColor returns the colour of class i.
func ClassColor(i int) color.RGBA {
	return ClassColors[((i%len(ClassColors))+len(ClassColors))%len(ClassColors)]
}

// NewPlot returns an empty plot with a title and axis labels set, and
// ReadableTicks on both axes.
func NewPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Tick.Marker, p.Y.Tick.Marker = ReadableTicks{}, ReadableTicks{}
	return p
}

// PNG renders p as a PNG image of the given size in points.
func PNG(p *plot.Plot, width, height vg.Length) ([]byte, error) {
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))}
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("rendering plot %q as PNG: %w", p.Title.Text, err)
	}
	return buf.Bytes(), nil
}

// Save writes p to path; the format follows the extension (.png, .svg, .pdf).
func Save(p *plot.Plot, width, height vg.Length, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("saving plot: %w", err)
	}
	if err := p.Save(width, height, path); err != nil {
		return fmt.Errorf("saving plot %q to %s: %w", p.Title.Text, path, err)
	}
	return nil
}

// Row renders several plots side by side, each width×height, into one PNG.
func Row(width, height vg.Length, plots ...*plot.Plot) ([]byte, error) {
	return Grid(width, height, 1, len(plots), plots...)
}

// Grid renders plots in a rows×cols grid, each cell width×height, into one PNG.
// Nil entries leave a cell empty.
func Grid(width, height vg.Length, rows, cols int, plots ...*plot.Plot) ([]byte, error) {
	if rows*cols < len(plots) {
		return nil, fmt.Errorf("grid of %d×%d cannot hold %d plots", rows, cols, len(plots))
	}
	img := vgimg.NewWith(vgimg.UseWH(width*vg.Length(cols), height*vg.Length(rows)), vgimg.UseDPI(dpi))
	dc := draw.New(img)
	t := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter, PadY: vg.Millimeter}
	cells := make([][]*plot.Plot, rows)
	for r := range cells {
		cells[r] = make([]*plot.Plot, cols)
		for c := range cells[r] {
			if i := r*cols + c; i < len(plots) {
				cells[r][c] = plots[i]
			}
		}
	}
	canvases := plot.Align(cells, t, dc)
	for r := range cells {
		for c := range cells[r] {
			if cells[r][c] != nil {
				cells[r][c].Draw(canvases[r][c])
			}
		}
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("rendering grid: %w", err)
	}
	return buf.Bytes(), nil
}

// figureCounter numbers figures written outside a notebook.
var figureCounter int

// ShowPNG displays a PNG inline in a GoNB notebook. Outside a notebook it
// writes the image to $FER_FIG_DIR (if set) and prints where it went.
func ShowPNG(png []byte, name string) {
	if gonbui.IsNotebook {
		gonbui.DisplayPNG(png)
		// Wait until GoNB has the image: a cell program that exits right
		// after displaying can otherwise lose it (seen under heavy load).
		gonbui.Sync()
		return
	}
	dir := os.Getenv("FER_FIG_DIR")
	if dir == "" {
		fmt.Printf("[figure %q: %d bytes of PNG; set FER_FIG_DIR to save it]\n", name, len(png))
		return
	}
	figureCounter++
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, name)
	path := filepath.Join(dir, fmt.Sprintf("%03d_%s.png", figureCounter, safe))
	if err := os.MkdirAll(dir, 0o755); err == nil {
		err = os.WriteFile(path, png, 0o644)
		if err == nil {
			fmt.Printf("[figure saved to %s]\n", path)
			return
		}
	}
	fmt.Printf("[figure %q could not be saved to %s]\n", name, dir)
}

// Show renders p at the default size and displays it (see ShowPNG).
// Rendering errors are printed, not returned, since Show is meant for notebook cells.
func Show(p *plot.Plot) { ShowSized(p, DefaultWidth, DefaultHeight) }

// ShowSized is Show with an explicit size in points.
func ShowSized(p *plot.Plot, width, height vg.Length) {
	png, err := PNG(p, width, height)
	if err != nil {
		fmt.Println("viz:", err)
		return
	}
	ShowPNG(png, p.Title.Text)
}

// ShowRow renders plots side by side, each at width×height, and displays them.
func ShowRow(width, height vg.Length, plots ...*plot.Plot) {
	png, err := Row(width, height, plots...)
	if err != nil {
		fmt.Println("viz:", err)
		return
	}
	name := "row"
	if len(plots) > 0 && plots[0] != nil {
		name = plots[0].Title.Text
	}
	ShowPNG(png, name)
}

func inNotebook() bool { return gonbui.IsNotebook }

// ShowHTML displays an HTML fragment in a notebook, or prints it otherwise.
func ShowHTML(html string) {
	if inNotebook() {
		gonbui.DisplayHTML(html)
		gonbui.Sync()
		return
	}
	fmt.Println(html)
}
