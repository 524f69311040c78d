package viz

import (
	"bytes"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

// digitLike returns n 28×28 images, image i with a bright 4×4 square at
// (row i+5, column 2i+5) and its top-left pixel at 200.
func digitLike(n int) [][]uint8 {
	var out [][]uint8
	for i := 0; i < n; i++ {
		img := make([]uint8, 28*28)
		for r := 0; r < 4; r++ {
			for c := 0; c < 4; c++ {
				img[(i+5+r)*28+2*i+5+c] = 255
			}
		}
		img[0] = 200
		out = append(out, img)
	}
	return out
}

func TestImageGridDrawsPixelsAsBlocks(t *testing.T) {
	g := ImageGrid{Title: "five digits", Height: 28, Width: 28, Images: digitLike(5),
		Captions:      []string{"label 0", "label 1", "label 2\npred 7", "label 3", "label 4"},
		CaptionColors: []color.Color{nil, color.RGBA{200, 0, 0, 255}, nil, nil, nil}, Cols: 3}
	b, err := g.PNG()
	if err != nil {
		t.Fatal(err)
	}
	saveForLooking(t, "image_grid.png", b)
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	l := g.layout()
	if l.scale != 4 || l.cols != 3 || l.rows != 2 || len(l.origins) != 5 {
		t.Fatalf("layout %+v", l)
	}
	if img.Bounds().Dx() != l.width || img.Bounds().Dy() != l.height {
		t.Errorf("PNG %v, layout %d×%d", img.Bounds(), l.width, l.height)
	}
	gray := func(x, y int) uint8 { return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y }
	for i, o := range l.origins {
		// Every image pixel is a 4×4 block of the same value: no smoothing.
		for dy := 0; dy < 4; dy++ {
			for dx := 0; dx < 4; dx++ {
				if v := gray(o.X+dx, o.Y+dy); v != 200 {
					t.Fatalf("image %d: pixel (0,0) block at +(%d,%d) is %d, want 200", i, dx, dy, v)
				}
				if v := gray(o.X+4*(2*i+5)+dx, o.Y+4*(i+5)+dy); v != 255 {
					t.Fatalf("image %d: square pixel is %d, want 255", i, v)
				}
				if v := gray(o.X+4+dx, o.Y+4*27+dy); v != 0 {
					t.Fatalf("image %d: background is %d, want 0", i, v)
				}
			}
		}
		// The frame just outside the image is grey.
		if v := gray(o.X-1, o.Y+10); v < 150 || v > 190 {
			t.Errorf("image %d: frame is %d", i, v)
		}
		// Some text is drawn under each image (ink: far from white).
		dark := 0
		for y := o.Y + 28*4 + 2; y < o.Y+l.cellH && y < l.height; y++ {
			for x := o.X; x < o.X+28*4; x++ {
				if r, gr, bl, _ := img.At(x, y).RGBA(); r+gr+bl < 3*0x8000 {
					dark++
				}
			}
		}
		if dark == 0 {
			t.Errorf("image %d: no caption", i)
		}
	}
	// The second caption is red.
	o := l.origins[1]
	red := 0
	for y := o.Y + 28*4; y < o.Y+l.cellH; y++ {
		for x := o.X; x < o.X+28*4; x++ {
			if r, gr, bl, _ := img.At(x, y).RGBA(); r > 0x9000 && gr < 0x6000 && bl < 0x6000 {
				red++
			}
		}
	}
	if red == 0 {
		t.Error("caption colour not used")
	}
	// The two-line caption makes every cell taller than a one-line one.
	one := g
	one.Captions = []string{"a", "b", "c", "d", "e"}
	if l1 := one.layout(); l1.cellH >= l.cellH {
		t.Errorf("two-line captions: cell height %d, one line: %d", l.cellH, l1.cellH)
	}
}

func TestImageGridInvertAndErrors(t *testing.T) {
	g := ImageGrid{Height: 2, Width: 3, Images: [][]uint8{{0, 255, 0, 0, 0, 0}}, Scale: 10, Invert: true}
	img, err := g.Render()
	if err != nil {
		t.Fatal(err)
	}
	o := g.layout().origins[0]
	if v := color.GrayModel.Convert(img.At(o.X+15, o.Y+5)).(color.Gray).Y; v != 0 {
		t.Errorf("inverted 255 drawn as %d, want 0", v)
	}
	if v := color.GrayModel.Convert(img.At(o.X+5, o.Y+5)).(color.Gray).Y; v != 255 {
		t.Errorf("inverted 0 drawn as %d, want 255", v)
	}
	for _, c := range []struct {
		g    ImageGrid
		want string
	}{
		{ImageGrid{Title: "t", Height: 2, Width: 2}, "no images"},
		{ImageGrid{Title: "t", Height: 2, Width: 2, Images: [][]uint8{{1, 2, 3}}}, "image 0 has 3 pixels"},
		{ImageGrid{Title: "t", Height: 0, Width: 2, Images: [][]uint8{{}}}, "positive"},
		{ImageGrid{Title: "t", Height: 1, Width: 1, Images: [][]uint8{{1}}, Captions: []string{"a", "b"}}, "2 captions"},
		{ImageGrid{Title: "t", Height: 1, Width: 1, Images: [][]uint8{{1}}, CaptionColors: []color.Color{}}, "0 caption colours"},
	} {
		if _, err := c.g.PNG(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.g, err, c.want)
		}
	}
}
