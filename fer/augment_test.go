package fer

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fer-thesis/fer/datasets"
)

// testImages returns n random h×w×1 images with pixel values 0..255 and
// labels 0..classes-1, the class brightening a quadrant so that a small
// model can learn something.
func testImages(n, h, w, classes int, seed uint64) Data {
	rng := rand.New(rand.NewPCG(seed, 3))
	d := Data{X: make([]float32, n*h*w), Shape: []int{h, w, 1}, Y: make([]int32, n)}
	for i := range n {
		y := i % classes
		d.Y[i] = int32(y)
		for p := range h * w {
			v := 255 * rng.Float32()
			if (p/w < h/2) == (y%2 == 0) && (p%w < w/2) == (y/2%2 == 0) {
				v = 255 - v/4
			}
			d.X[i*h*w+p] = v
		}
	}
	return d
}

func allAugment() *Augment {
	return &Augment{CropPadding: 2, FlipHorizontal: true, MaxRotationDegrees: 10,
		ScaleRange: [2]float64{0.9, 1.1}, MaxTranslation: 0.05, Fill: datasets.FillNearest,
		Erasing: &Erasing{P: 0.5, RandomMax: 255}}
}

func TestAugmentApply(t *testing.T) {
	d := testImages(20, 12, 10, 4, 1)
	a := allAugment()
	x1, err := a.Apply(d, 7, 1)
	if err != nil {
		t.Fatal(err)
	}
	x2, _ := a.Apply(d, 7, 1)
	x3, _ := a.Apply(d, 7, 2)
	x4, _ := a.Apply(d, 8, 1)
	if !slices.Equal(x1.X, x2.X) {
		t.Error("same seed and epoch, different images")
	}
	if slices.Equal(x1.X, x3.X) || slices.Equal(x1.X, x4.X) || slices.Equal(x1.X, d.X) {
		t.Error("another epoch or seed gave the same images, or nothing changed")
	}
	if !slices.Equal(x1.Shape, d.Shape) || len(x1.X) != len(d.X) || !slices.Equal(x1.Y, d.Y) {
		t.Errorf("shape %v, %d values, labels %v", x1.Shape, len(x1.X), x1.Y)
	}
	// An example's augmentation does not depend on the others.
	sub, _ := a.Apply(d.Subset([]int{0, 1, 2, 3}), 7, 1)
	if !slices.Equal(sub.X, x1.X[:len(sub.X)]) {
		t.Error("augmenting a prefix gave other images")
	}
	// The zero value is the identity.
	id, err := (&Augment{}).Apply(d, 7, 1)
	if err != nil || !slices.Equal(id.X, d.X) {
		t.Errorf("Augment{} changed the images (%v)", err)
	}
	// Flip only: every image is either itself or its mirror, both occur.
	flip, _ := (&Augment{FlipHorizontal: true}).Apply(d, 7, 1)
	n, flipped := d.exampleSize(), 0
	mirror := make([]float32, n)
	for i := range d.Len() {
		_ = datasets.FlipHorizontal(mirror, d.X[i*n:(i+1)*n], 12, 10, 1)
		switch got := flip.X[i*n : (i+1)*n]; {
		case slices.Equal(got, mirror):
			flipped++
		case !slices.Equal(got, d.X[i*n:(i+1)*n]):
			t.Fatalf("example %d is neither itself nor its mirror", i)
		}
	}
	if flipped == 0 || flipped == d.Len() {
		t.Errorf("%d of %d images flipped", flipped, d.Len())
	}
	// Erasing with P 1 and a constant value erases 2%..40% of every image
	// (up to rounding) and nothing else changes.
	er, _ := (&Augment{Erasing: &Erasing{P: 1, Value: -1}}).Apply(d, 7, 1)
	for i := range d.Len() {
		c := 0
		for p, v := range er.X[i*n : (i+1)*n] {
			if v == -1 {
				c++
			} else if v != d.X[i*n+p] {
				t.Fatalf("example %d pixel %d changed outside the erased area", i, p)
			}
		}
		if f := float64(c) / float64(n); f < 0.01 || f > 0.5 {
			t.Errorf("example %d: erased fraction %.3f", i, f)
		}
	}
}

func TestAugmentBadOptions(t *testing.T) {
	d := testImages(4, 6, 6, 2, 1)
	for _, c := range []struct {
		a    Augment
		want string
	}{
		{Augment{CropPadding: -1}, "CropPadding must not be negative"},
		{Augment{MaxRotationDegrees: 200}, "MaxRotationDegrees"},
		{Augment{MaxRotationDegrees: math.NaN()}, "MaxRotationDegrees"},
		{Augment{ScaleRange: [2]float64{1.1, 0.9}}, "ScaleRange"},
		{Augment{ScaleRange: [2]float64{0, 1}}, "ScaleRange"},
		{Augment{MaxTranslation: 1}, "MaxTranslation"},
		{Augment{Fill: "wrap"}, "unknown fill mode"},
		{Augment{Erasing: &Erasing{P: 1.5}}, "Erasing.P"},
		{Augment{Erasing: &Erasing{P: 1, Area: [2]float64{0.1, 1.2}}}, "Erasing.Area"},
		{Augment{Erasing: &Erasing{P: 1, Aspect: [2]float64{-1, 2}}}, "Erasing.Aspect"},
		{Augment{Erasing: &Erasing{P: 1, RandomMax: -3}}, "RandomMax"},
	} {
		_, err := c.a.Apply(d, 1, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.a, err, c.want)
		}
	}
	if _, err := (&Augment{}).Apply(Data{X: make([]float32, 4), Shape: []int{2}}, 1, 1); err == nil || !strings.Contains(err.Error(), "(H, W, C)") {
		t.Errorf("points: %v", err)
	}
	needBackend(t)
	m, err := NewSequential(Input(6, 6, 1), Flatten{}, Dense{Units: 2, Activation: ActSoftmax})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		o    FitOptions
		want string
	}{
		{FitOptions{Augment: &Augment{CropPadding: -2}}, "CropPadding"},
		{FitOptions{LabelSmoothing: 1}, "LabelSmoothing"},
		{FitOptions{LabelSmoothing: -0.1}, "LabelSmoothing"},
		{FitOptions{CosineDecay: &CosineDecay{Epochs: 3, WarmupEpochs: 3}}, "WarmupEpochs"},
		{FitOptions{CosineDecay: &CosineDecay{Alpha: 2}}, "Alpha"},
		{FitOptions{ReduceLROnPlateau: &ReduceLROnPlateau{Factor: 1}}, "Factor"},
		{FitOptions{ReduceLROnPlateau: &ReduceLROnPlateau{Patience: -1}}, "Patience"},
	} {
		c.o.Epochs = 1
		if err := fitErr(m, d, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.o, err, c.want)
		}
	}
	if err := m.Compile(AdamW(0.01, -1), ""); err == nil || !strings.Contains(err.Error(), "weight decay") {
		t.Errorf("AdamW(0.01, -1): %v", err)
	}
}

// TestAugmentBatchMatchesApply checks that Fit's batches hold the images
// Augment.Apply returns for the same seed and epoch.
func TestAugmentBatchMatchesApply(t *testing.T) {
	d := testImages(10, 8, 8, 2, 2)
	a := allAugment()
	m := &Model{seed: 5}
	idx := []int{7, 2, 9}
	x, _ := batchTensors(d, idx, len(idx))
	if err := m.augmentBatch(x, d.Shape, idx, 3, a); err != nil {
		t.Fatal(err)
	}
	want, _ := a.Apply(d.Subset(idx), 5, 3) // indices 0, 1, 2 there: not the same streams
	all, _ := a.Apply(d, 5, 3)
	got := x.Value().([][][][]float32)
	n := d.exampleSize()
	for j, i := range idx {
		var flat []float32
		for _, row := range got[j] {
			for _, px := range row {
				flat = append(flat, px...)
			}
		}
		if !slices.Equal(flat, all.X[i*n:(i+1)*n]) {
			t.Errorf("batch example %d (data %d) differs from Apply's", j, i)
		}
		if slices.Equal(flat, want.X[j*n:(j+1)*n]) {
			t.Errorf("batch example %d used the stream of index %d", j, j)
		}
	}
}

// BenchmarkAugmentBatch measures the augmentation of a batch of 32 48×48
// faces with every option on.
func BenchmarkAugmentBatch(b *testing.B) {
	d := testImages(32, 48, 48, 7, 1)
	a := allAugment()
	m := &Model{seed: 1}
	idx := make([]int, 32)
	for i := range idx {
		idx[i] = i
	}
	x, _ := batchTensors(d, idx, len(idx))
	b.ResetTimer()
	for i := range b.N {
		if err := m.augmentBatch(x, d.Shape, idx, i, a); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAugmentCost(t *testing.T) {
	r := testing.Benchmark(BenchmarkAugmentBatch)
	per := time.Duration(r.NsPerOp())
	t.Logf("augmenting a batch of 32 48×48 faces (warp, crop, flip, erasing) on %d cores: %v", runtime.GOMAXPROCS(0), per)
	if per > 50*time.Millisecond {
		t.Errorf("augmentation takes %v per batch", per)
	}
}

func TestTTA(t *testing.T) {
	needBackend(t)
	d := testImages(24, 8, 8, 3, 4)
	m, err := NewSequential(Input(8, 8, 1), Rescaling{Scale: 1.0 / 255}, Conv2D{Filters: 2, Kernel: 3, Activation: ActReLU},
		Flatten{}, Dense{Units: 3, Activation: ActSoftmax})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fit(d, FitOptions{Epochs: 1, Progress: io.Discard}); err != nil {
		t.Fatal(err)
	}
	p, err := m.Predict(d)
	if err != nil {
		t.Fatal(err)
	}
	id, err := m.PredictTTA(d, TTA{})
	if err != nil || !slices.EqualFunc(p, id, slices.Equal) {
		t.Fatalf("TTA{} differs from Predict (%v)", err)
	}
	// Flip: the mean of the probabilities of the images and their mirrors.
	mirrored, _ := (&Augment{}).Apply(d, 0, 0)
	n := d.exampleSize()
	for i := range d.Len() {
		_ = datasets.FlipHorizontal(mirrored.X[i*n:(i+1)*n], d.X[i*n:(i+1)*n], 8, 8, 1)
	}
	pm, _ := m.Predict(mirrored)
	f, err := m.PredictTTA(d, TTA{Flip: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range f {
		var sum float64
		for j := range f[i] {
			want := (float64(p[i][j]) + float64(pm[i][j])) / 2
			if math.Abs(float64(f[i][j])-want) > 1e-6 {
				t.Fatalf("example %d class %d: %v, want %v", i, j, f[i][j], want)
			}
			sum += float64(f[i][j])
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Errorf("example %d: probabilities sum to %v", i, sum)
		}
	}
	views, err := TTA{Flip: true, Shift: 1}.views(d)
	if err != nil || len(views) != 10 {
		t.Errorf("Flip and Shift: %d views (%v), want 10", len(views), err)
	}
	if _, err := m.PredictTTA(d, TTA{Flip: true, Shift: 2}); err != nil {
		t.Error(err)
	}
	if _, err := m.PredictTTA(d, TTA{Shift: -1}); err == nil || !strings.Contains(err.Error(), "Shift") {
		t.Errorf("Shift -1: %v", err)
	}
	if _, err := m.PredictTTA(d, TTA{Shift: 1, Fill: "wrap"}); err == nil {
		t.Error("fill wrap accepted")
	}
}

func ExampleAugment() {
	aug := &Augment{
		CropPadding:        4,                    // shifts of up to 4 pixels, reflect padding
		FlipHorizontal:     true,                 // mirror half of the faces
		MaxRotationDegrees: 10,                   // ±10°
		ScaleRange:         [2]float64{0.9, 1.1}, // zoom 0.9–1.1
		Erasing:            &Erasing{P: 0.5},     // random erasing, Zhong's defaults
		Fill:               datasets.FillReflect, // how pixels outside the face are read
	}
	// In training: m.Fit(train, fer.FitOptions{Epochs: 100, Augment: aug, Validation: &val}).
	faces := Data{X: make([]float32, 2*48*48), Shape: []int{48, 48, 1}, Y: []int32{3, 6}}
	for i := range faces.X {
		faces.X[i] = float32(i % 256)
	}
	a, _ := aug.Apply(faces, DefaultSeed, 1)
	b, _ := aug.Apply(faces, DefaultSeed, 1)
	c, _ := aug.Apply(faces, DefaultSeed, 2)
	fmt.Println(a.Shape, a.Len(), slices.Equal(a.X, b.X), slices.Equal(a.X, c.X))
	fmt.Println((&Augment{CropPadding: -2}).Validate())
	fmt.Println((&Augment{Erasing: &Erasing{P: 0.5, Area: [2]float64{0.1, 2}}}).Validate())
	// Output:
	// [48 48 1] 2 true false
	// Augment: CropPadding must not be negative, got -2
	// Augment: Erasing.Area must be {0, 0} or 0 < min ≤ max ≤ 1, got [0.1 2]
}
