package viz

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// ImageGrid is a titled grid of small grayscale images (digits, faces), each
// drawn pixel for pixel, every image pixel a Scale×Scale block of screen
// pixels and never smoothed, with an optional caption underneath (one or more
// lines, separated by "\n"). A thin grey frame marks each image's border, so
// a digit moved towards the edge shows it.
//
//	viz.ShowImages(viz.ImageGrid{Title: "MNIST", Height: 28, Width: 28,
//		Images: imgs, Captions: []string{"5", "0", "4"}, Cols: 3})
type ImageGrid struct {
	// Title is drawn above the grid (optional).
	Title string
	// Height and Width are the size of every image, in pixels.
	Height, Width int
	// Images are row-major Height×Width bytes each, 0 black to 255 white.
	Images [][]uint8
	// Captions, if set, hold one caption per image.
	Captions []string
	// CaptionColors, if set, hold one colour per caption (nil entries and
	// the default are black): e.g. green for a right prediction, red for a
	// wrong one.
	CaptionColors []color.Color
	// Cols is the number of images per row; 0 means all in one row, up to 10.
	Cols int
	// Scale is the number of screen pixels per image pixel; 0 picks one that
	// draws images about 100 pixels wide (4 for MNIST's 28×28 digits).
	Scale int
	// Invert draws 0 as white and 255 as black (dark ink on paper).
	Invert bool
}

// Sizes of the grid's layout, in screen pixels, and its fonts, in points.
const (
	gridMargin      = 12
	gridGap         = 12
	gridCaptionPad  = 4
	gridTitleSize   = 13
	gridCaptionSize = 11
)

// gridLayout is where ImageGrid puts things, in screen pixels from the top
// left corner.
type gridLayout struct {
	width, height int
	scale         int
	cellW, cellH  int
	cols, rows    int
	titleH        int
	// origins are the top left corners of the images.
	origins []image.Point
}

func (g ImageGrid) styles() (title, caption text.Style) {
	title = text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, gridTitleSize),
		XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler}
	caption = title
	caption.Font = font.From(plot.DefaultFont, gridCaptionSize)
	return title, caption
}

// toPixels converts a length in points to screen pixels at the PNG resolution.
func toPixels(l vg.Length) int { return int(l.Dots(dpi) + 0.999) }

func (g ImageGrid) validate() error {
	if g.Height <= 0 || g.Width <= 0 {
		return fmt.Errorf("image grid %q: image size %d×%d, expected positive sides", g.Title, g.Height, g.Width)
	}
	if len(g.Images) == 0 {
		return fmt.Errorf("image grid %q: no images", g.Title)
	}
	for i, img := range g.Images {
		if len(img) != g.Height*g.Width {
			return fmt.Errorf("image grid %q: image %d has %d pixels, expected %d×%d = %d", g.Title, i, len(img), g.Height, g.Width, g.Height*g.Width)
		}
	}
	if g.Captions != nil && len(g.Captions) != len(g.Images) {
		return fmt.Errorf("image grid %q: %d captions for %d images", g.Title, len(g.Captions), len(g.Images))
	}
	if g.CaptionColors != nil && len(g.CaptionColors) != len(g.Images) {
		return fmt.Errorf("image grid %q: %d caption colours for %d images", g.Title, len(g.CaptionColors), len(g.Images))
	}
	if g.Cols < 0 || g.Scale < 0 {
		return fmt.Errorf("image grid %q: Cols %d and Scale %d must not be negative", g.Title, g.Cols, g.Scale)
	}
	return nil
}

func (g ImageGrid) layout() gridLayout {
	n := len(g.Images)
	l := gridLayout{cols: g.Cols, scale: g.Scale}
	if l.cols == 0 {
		l.cols = min(n, 10)
	}
	l.cols = min(l.cols, n)
	l.rows = (n + l.cols - 1) / l.cols
	if l.scale == 0 {
		l.scale = max(1, (100+max(g.Height, g.Width)/2)/max(g.Height, g.Width))
	}
	titleStyle, captionStyle := g.styles()
	l.cellW, l.cellH = g.Width*l.scale, g.Height*l.scale
	if g.Captions != nil {
		lines := 1
		for _, c := range g.Captions {
			lines = max(lines, strings.Count(c, "\n")+1)
			l.cellW = max(l.cellW, toPixels(captionStyle.Width(c))+2*gridCaptionPad)
		}
		l.cellH += gridCaptionPad + toPixels(captionStyle.Height(strings.Repeat("\n", lines-1)+"Mg"))
	}
	if g.Title != "" {
		l.titleH = toPixels(titleStyle.Height(g.Title)) + gridGap
	}
	l.width = 2*gridMargin + l.cols*l.cellW + (l.cols-1)*gridGap
	if g.Title != "" {
		l.width = max(l.width, toPixels(titleStyle.Width(g.Title))+2*gridMargin)
	}
	l.height = 2*gridMargin + l.titleH + l.rows*l.cellH + (l.rows-1)*gridGap
	left := (l.width - (l.cols*l.cellW + (l.cols-1)*gridGap)) / 2
	for i := 0; i < n; i++ {
		r, c := i/l.cols, i%l.cols
		x := left + c*(l.cellW+gridGap) + (l.cellW-g.Width*l.scale)/2
		y := gridMargin + l.titleH + r*(l.cellH+gridGap)
		l.origins = append(l.origins, image.Pt(x, y))
	}
	return l
}

// Render draws the grid as an image.
func (g ImageGrid) Render() (image.Image, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	l := g.layout()
	pt := func(px int) vg.Length { return vg.Length(px) * vg.Inch / dpi }
	c := vgimg.NewWith(vgimg.UseWH(pt(l.width), pt(l.height)), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(c)
	titleStyle, captionStyle := g.styles()
	// The canvas's y axis points up; layout's y points down.
	at := func(x, y int) vg.Point { return vg.Point{X: pt(x), Y: pt(l.height - y)} }
	if g.Title != "" {
		dc.FillText(titleStyle, at(l.width/2, gridMargin), g.Title)
	}
	for i, o := range l.origins {
		if g.Captions == nil {
			break
		}
		s := captionStyle
		if g.CaptionColors != nil && g.CaptionColors[i] != nil {
			s.Color = g.CaptionColors[i]
		}
		dc.FillText(s, at(o.X+g.Width*l.scale/2, o.Y+g.Height*l.scale+gridCaptionPad), g.Captions[i])
	}
	dst := c.Image()
	frame := color.RGBA{170, 170, 170, 255}
	for i, o := range l.origins {
		w, h := g.Width*l.scale, g.Height*l.scale
		for x := -1; x <= w; x++ {
			dst.Set(o.X+x, o.Y-1, frame)
			dst.Set(o.X+x, o.Y+h, frame)
		}
		for y := 0; y < h; y++ {
			dst.Set(o.X-1, o.Y+y, frame)
			dst.Set(o.X+w, o.Y+y, frame)
		}
		for y := 0; y < h; y++ {
			row := g.Images[i][(y/l.scale)*g.Width:]
			for x := 0; x < w; x++ {
				v := row[x/l.scale]
				if g.Invert {
					v = 255 - v
				}
				dst.Set(o.X+x, o.Y+y, color.Gray{Y: v})
			}
		}
	}
	return dst, nil
}

// PNG renders the grid as a PNG image.
func (g ImageGrid) PNG() ([]byte, error) {
	img, err := g.Render()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("image grid %q: encoding PNG: %w", g.Title, err)
	}
	return buf.Bytes(), nil
}

// ShowImages renders the grid and displays it (see ShowPNG). Errors are
// printed, not returned, since ShowImages is meant for notebook cells.
func ShowImages(g ImageGrid) {
	b, err := g.PNG()
	if err != nil {
		fmt.Println("viz:", err)
		return
	}
	ShowPNG(b, g.Title)
}
