package viz

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fer-thesis/fer/calibration"
)

// overconfidentLogits draws n examples of k classes whose labels follow
// softmax(u) and returns the logits 2.5·u: a model that is too sure of itself,
// the way the thesis's CNN is.
func overconfidentLogits(n, k int, seed uint64) ([][]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 3))
	z := make([][]float64, n)
	y := make([]int, n)
	for i := range z {
		u := make([]float64, k)
		for j := range u {
			u[j] = 1.3 * rng.NormFloat64()
		}
		p, _ := calibration.Softmax([][]float64{u}, 1)
		r, c := rng.Float64(), 0.0
		y[i] = k - 1
		for j, pj := range p[0] {
			if c += pj; r < c {
				y[i] = j
				break
			}
		}
		for j := range u {
			u[j] *= 2.5
		}
		z[i] = u
	}
	return z, y
}

// saveForLooking writes a figure to $FER_FIG_DIR when it is set, so that a
// person can look at what the tests draw.
func saveForLooking(t *testing.T, name string, b []byte) {
	if dir := os.Getenv("FER_FIG_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Error(err)
		}
	}
}

// countPixels counts the pixels of img within 30 (of 255) of c in each channel.
func countPixels(t *testing.T, b []byte, c [3]uint8) int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	n := 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if close3(img, x, y, c) {
				n++
			}
		}
	}
	return n
}

func close3(img image.Image, x, y int, c [3]uint8) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	d := func(a uint32, b uint8) bool { v := int(a>>8) - int(b); return v > -30 && v < 30 }
	return d(r, c[0]) && d(g, c[1]) && d(b, c[2])
}

func TestReliabilityFigures(t *testing.T) {
	z, y := overconfidentLogits(3589, 7, 1)
	before, err := calibration.EvaluateLogits(z, y, 10)
	if err != nil {
		t.Fatal(err)
	}
	fit, err := calibration.FitTemperature(z, y)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := fit.Apply(z)
	if err != nil {
		t.Fatal(err)
	}
	after, err := calibration.Evaluate(probs, y, 10)
	if err != nil {
		t.Fatal(err)
	}

	b, err := Reliability("CNN on the test set", before.Bins, DefaultWidth, DefaultWidth)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := decodeSize(t, b); w != 576 || h != 576 {
		t.Errorf("reliability figure %d×%d, want 576×576", w, h)
	}
	saveForLooking(t, "reliability.png", b)

	ba, err := BeforeAfter("Before calibration (T = 1)", before.Bins,
		fmt.Sprintf("Temperature scaling, T = %.2f", fit.T), after.Bins, DefaultWidth, DefaultWidth)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := decodeSize(t, ba); w != 1152 || h != 576 {
		t.Errorf("before/after figure %d×%d, want 1152×576", w, h)
	}
	saveForLooking(t, "before_after.png", ba)

	hp, err := ConfidenceHistogram("Confidence of the CNN", before)
	if err != nil {
		t.Fatal(err)
	}
	hb, err := PNG(hp, DefaultWidth, DefaultHeight)
	if err != nil {
		t.Fatal(err)
	}
	saveForLooking(t, "confidence_histogram.png", hb)
	if !strings.Contains(hp.Title.Text, "Confidence") {
		t.Errorf("title %q", hp.Title.Text)
	}
}

func TestReliabilityDiagramDrawsBarsAndGaps(t *testing.T) {
	// Ten examples per bin, at the bin's upper edge, all right or all wrong.
	bins := func(right bool) calibration.Bins {
		var conf []float64
		var ok []bool
		for m := 1; m <= 10; m++ {
			for range 10 {
				conf = append(conf, float64(m)/10)
				ok = append(ok, right)
			}
		}
		b, err := calibration.ReliabilityConf(conf, ok, 10)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	render := func(b calibration.Bins) []byte {
		p, err := ReliabilityDiagram("t", b)
		if err != nil {
			t.Fatal(err)
		}
		png, err := PNG(p, 300, 300)
		if err != nil {
			t.Fatal(err)
		}
		return png
	}
	blue := [3]uint8{accuracyColor.R, accuracyColor.G, accuracyColor.B}
	pink := [3]uint8{226, 177, 205} // gapFill over white
	allRight, allWrong := render(bins(true)), render(bins(false))
	// All right: accuracy bars fill the plot, the gaps sit on top of them.
	// All wrong: no accuracy bars, pink gaps from 0 up to each bin's confidence.
	if br, bw := countPixels(t, allRight, blue), countPixels(t, allWrong, blue); !(br > 20000 && bw < 500) {
		t.Errorf("blue pixels: %d when all right, %d when all wrong", br, bw)
	}
	if pw := countPixels(t, allWrong, pink); pw < 10000 {
		t.Errorf("pink pixels when all wrong: %d", pw)
	}
	// An empty set of bins is an error, not a blank figure.
	if _, err := ReliabilityDiagram("t", nil); err == nil {
		t.Error("no bins: want error")
	}
	if _, err := Reliability("t", nil, 100, 100); err == nil {
		t.Error("no bins: want error")
	}
	if _, err := ConfidenceHistogram("t", calibration.Report{}); err == nil {
		t.Error("empty report: want error")
	}
}

// A reliability figure (diagram over counts) from calibration's bins; in a
// GoNB notebook, ShowReliability displays it inline instead. The four
// predictions have confidences 0.9, 0.8, 0.7, 0.6, one per bin, and only the
// 0.8 one is wrong: ECE = (0.1 + 0.8 + 0.3 + 0.4)/4 = 0.4.
func ExampleReliability() {
	probs := [][]float64{{0.9, 0.1}, {0.8, 0.2}, {0.3, 0.7}, {0.6, 0.4}}
	bins, err := calibration.Reliability(probs, []int{0, 1, 1, 0}, 10)
	if err != nil {
		fmt.Println(err)
		return
	}
	png, err := Reliability("Four predictions", bins, DefaultWidth, DefaultWidth)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("ECE %.3f; PNG %v\n", bins.ECE(), bytes.HasPrefix(png, []byte("\x89PNG")))
	// Output: ECE 0.400; PNG true
}
