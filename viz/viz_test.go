package viz

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func decodeSize(t *testing.T, b []byte) (int, int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img.Bounds().Dx(), img.Bounds().Dy()
}

func TestLinesRendersPNGOfRequestedSize(t *testing.T) {
	p, err := Lines("loss", "epoch", "loss", Series{Name: "train", Y: []float64{1, 0.5, 0.25}}, Series{Name: "val", Y: []float64{1.1, 0.7, 0.6}, Dashed: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := PNG(p, DefaultWidth, DefaultHeight)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := decodeSize(t, b); w != 576 || h != 432 {
		t.Errorf("PNG is %d×%d, want 576×432 (6×4.5 in at 96 dpi)", w, h)
	}
	if _, err := Lines("bad", "x", "y", Series{Name: "s", X: []float64{1}, Y: []float64{1, 2}}); err == nil || !strings.Contains(err.Error(), `"s"`) {
		t.Errorf("mismatched series: err = %v", err)
	}
}

func TestRegionsValidateTheirInput(t *testing.T) {
	r := Region{XMin: 0, XMax: 1, YMin: 0, YMax: 1, Steps: 4}
	mx, my := r.Mesh()
	if len(mx) != 16 || mx[0] != 0.125 || my[0] != 0.875 {
		t.Fatalf("mesh starts at (%g,%g), len %d", mx[0], my[0], len(mx))
	}
	prob := make([]float64, 16)
	if _, err := ProbabilityRegion("t", r, prob[:15], nil, nil, nil, []string{"a", "b"}); err == nil {
		t.Error("short probability slice: want error")
	}
	p, err := ProbabilityRegion("t", r, prob, []float64{0.5}, []float64{0.5}, []int{1}, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PNG(p, 200, 200); err != nil {
		t.Fatal(err)
	}
	if _, err := ProbabilityRegion("t", r, prob, []float64{0.5}, []float64{0.5}, []int{7}, []string{"a", "b"}); err == nil || !strings.Contains(err.Error(), "label 7") {
		t.Errorf("label out of range: err = %v", err)
	}
	probs := make([][]float64, 16)
	for i := range probs {
		probs[i] = []float64{0.2, 0.8}
	}
	if _, err := ClassRegions("t", r, probs, nil, nil, nil, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
}

func TestGridAndSave(t *testing.T) {
	a, _ := Function("f", "x", "y", 0, 1, []string{"x²"}, func(x float64) float64 { return x * x })
	b := NewPlot("empty", "x", "y")
	img, err := Grid(200, 150, 1, 2, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := decodeSize(t, img); w != 533 || h != 200 {
		t.Errorf("grid PNG %d×%d", w, h)
	}
	if _, err := Grid(100, 100, 1, 1, a, b); err == nil {
		t.Error("too many plots for the grid: want error")
	}
	path := filepath.Join(t.TempDir(), "sub", "f.svg")
	if err := Save(a, 200, 150, path); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(path); err != nil || !bytes.Contains(data, []byte("<svg")) {
		t.Errorf("saved SVG: %v", err)
	}
}

func TestShowPNGOutsideNotebookWritesToFigDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FER_FIG_DIR", dir)
	ShowPNG([]byte("\x89PNG"), "My figure: 1")
	m, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	if len(m) != 1 || !strings.Contains(m[0], "My_figure__1") {
		t.Errorf("figures written: %v", m)
	}
}

func TestTables(t *testing.T) {
	h := HTMLTable("cap <x>", []string{"model", "acc"}, [][]string{{"a&b", "0.81"}})
	for _, want := range []string{"cap &lt;x&gt;", "a&amp;b", "text-align:right\">0.81"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML table lacks %q:\n%s", want, h)
		}
	}
	txt := TextTable([]string{"model", "acc"}, [][]string{{"logistic", "0.5"}, {"fc", "0.815"}})
	want := "model       acc\nlogistic    0.5\nfc        0.815\n"
	if txt != want {
		t.Errorf("text table:\n%q\nwant\n%q", txt, want)
	}
}

func TestBars(t *testing.T) {
	p, err := Bars("counts", "images", []string{"a", "b", "c"}, []string{"train", "test"}, [][]float64{{1, 2, 3}, {0.5, 1, 1.5}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PNG(p, 300, 200); err != nil {
		t.Fatal(err)
	}
	if _, err := Bars("x", "y", []string{"a"}, []string{"s"}, [][]float64{{1, 2}}); err == nil || !strings.Contains(err.Error(), `"s"`) {
		t.Errorf("mismatched values: err = %v", err)
	}
}

func TestConfusionMatrixPlot(t *testing.T) {
	p, err := ConfusionCounts("cm", []string{"a", "b"}, [][]int{{5, 1}, {2, 7}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PNG(p, 300, 300); err != nil {
		t.Fatal(err)
	}
	if _, err := ConfusionCounts("cm", []string{"a", "b"}, [][]int{{5, 1}}); err == nil {
		t.Error("missing row: want error")
	}
	if _, err := ConfusionMatrix("cm", []string{"a", "b"}, [][]float64{{1, 2}, {3}}, nil, ""); err == nil {
		t.Error("short row: want error")
	}
}

func TestFeatureMaps(t *testing.T) {
	acts := make([]float32, 4*4*3)
	for i := range acts {
		acts[i] = float32(i % 7)
	}
	g, err := FeatureMaps("maps", acts, 4, 4, 3, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Images) != 2 || g.Captions[1] != "#1" {
		t.Fatalf("grid %+v", g)
	}
	// Channel 0 holds acts[0], acts[3], ... = 0,3,6,2,5,1,4,0,...: min 0 → 0, max 6 → 255.
	if g.Images[0][0] != 0 || g.Images[0][2] != 255 {
		t.Errorf("channel 0 scaled to %v", g.Images[0])
	}
	if _, err := g.PNG(); err != nil {
		t.Fatal(err)
	}
	if _, err := FeatureMaps("x", acts[:5], 4, 4, 3, 2, 2); err == nil {
		t.Error("wrong size: want error")
	}
}

func TestLinesPlacesLegendWhereNoLineIs(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	falling := []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
	rising := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct {
		name      string
		y         [][]float64
		top, left bool
		widened   bool
	}{
		{"falling: bottom-right is crossed, top-right is free", [][]float64{falling}, true, false, false},
		{"rising: bottom-right is free", [][]float64{rising}, false, false, false},
		{"both: only the middle of the edges is free", [][]float64{falling, rising}, false, false, true},
	} {
		var series []Series
		for i, y := range c.y {
			series = append(series, Series{Name: fmt.Sprint("s", i), X: x, Y: y})
		}
		p, err := Lines(c.name, "x", "y", series...)
		if err != nil {
			t.Fatal(err)
		}
		if p.Legend.Top != c.top || p.Legend.Left != c.left {
			t.Errorf("%s: legend top=%v left=%v, want top=%v left=%v", c.name, p.Legend.Top, p.Legend.Left, c.top, c.left)
		}
		if widened := p.Y.Min < 1; widened != c.widened {
			t.Errorf("%s: y range [%g, %g], widened %v, want %v", c.name, p.Y.Min, p.Y.Max, widened, c.widened)
		}
		if c.widened {
			// The legend's band (2 entries) must now lie below every line.
			h := 2 * legendHeightFrac
			if band := p.Y.Min + h*(p.Y.Max-p.Y.Min); math.Abs(band-1) > 1e-9 {
				t.Errorf("%s: legend band ends at y = %g, want 1 (the lowest point)", c.name, band)
			}
		}
	}
}

func TestLinesPadsAFlatSeriesAroundItsValue(t *testing.T) {
	for _, v := range []float64{0.001, -3} {
		p, err := Lines("flat", "epoch", "rate", Series{Name: "rate", Y: []float64{v, v, v}})
		if err != nil {
			t.Fatal(err)
		}
		if lo, hi := p.Y.Min, p.Y.Max; !(lo < v && v < hi) || hi-lo > 0.5*math.Abs(v) {
			t.Errorf("constant %g: y range [%g, %g], want a narrow range around it", v, lo, hi)
		}
	}
}
