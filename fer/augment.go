package fer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/fer-thesis/fer/datasets"
)

// Augment configures the random data augmentation Fit applies to the
// training images (FitOptions.Augment). Images are Data examples shaped
// (H, W, C). Each example is augmented anew every epoch, on the CPU while
// the batch is assembled, with random numbers drawn from the model's seed,
// the epoch and the example's index only: a run is reproducible and a
// resumed run sees the same augmented images, whatever the batch size or
// the backend. The validation data is never augmented.
//
// The steps run in this order, each only when enabled: the affine warp
// (rotation, zoom, translation), the crop with padding, the horizontal flip
// and random erasing. The zero value changes nothing.
type Augment struct {
	// CropPadding pads the image by that many pixels on every side (see
	// Fill) and crops an H×W window back at a uniformly random offset
	// (0..2·CropPadding on each axis): random shifts of up to CropPadding
	// pixels.
	CropPadding int
	// FlipHorizontal mirrors the image left-right with probability 1/2.
	FlipHorizontal bool
	// MaxRotationDegrees rotates the image by an angle uniform in
	// [-MaxRotationDegrees, +MaxRotationDegrees] about its center (0 to 180).
	MaxRotationDegrees float64
	// ScaleRange zooms the image by a factor uniform in
	// [ScaleRange[0], ScaleRange[1]], e.g. {0.9, 1.1}; {0, 0} means no zoom.
	ScaleRange [2]float64
	// MaxTranslation translates the image by up to that fraction of its
	// height and width, uniform in each direction (sub-pixel, 0 to 1).
	MaxTranslation float64
	// Fill is how pixels outside the source image are read by the crop and
	// the warp: datasets.FillReflect (the default, as Keras's preprocessing
	// layers), datasets.FillNearest or datasets.FillConstant (zeros).
	Fill datasets.FillMode
	// Erasing, if set, erases a random rectangle (Zhong et al., 2017).
	Erasing *Erasing
}

// Erasing configures random erasing (Zhong et al., "Random Erasing Data
// Augmentation", 2017): with probability P, a rectangle covering a fraction
// of the image uniform in Area, with an aspect ratio (height/width)
// log-uniform in Aspect, is filled with Value or with random values. Up to
// 100 rectangles are drawn until one fits in the image (Zhong's reference
// code); if none does, the image is left as is.
type Erasing struct {
	// P is the probability of erasing an image, 0 to 1.
	P float64
	// Area is the range of the erased fraction of the image; {0, 0} means
	// Zhong's {0.02, 0.4}. 0 < Area[0] ≤ Area[1] ≤ 1.
	Area [2]float64
	// Aspect is the range of the rectangle's height/width; {0, 0} means
	// Zhong's {0.3, 1/0.3}. 0 < Aspect[0] ≤ Aspect[1].
	Aspect [2]float64
	// Value fills the rectangle when RandomMax is 0.
	Value float32
	// RandomMax, if positive, fills every erased value with a number
	// uniform in [0, RandomMax) instead (Zhong's random values: 255 for raw
	// pixels, 1 for pixels scaled to [0, 1]).
	RandomMax float32
}

// erasingAttempts is how many rectangles random erasing draws at most.
const erasingAttempts = 100

// Validate reports the first bad option, if any.
func (a *Augment) Validate() error {
	if a == nil {
		return nil
	}
	if a.CropPadding < 0 {
		return fmt.Errorf("Augment: CropPadding must not be negative, got %d", a.CropPadding)
	}
	if !(a.MaxRotationDegrees >= 0 && a.MaxRotationDegrees <= 180) {
		return fmt.Errorf("Augment: MaxRotationDegrees must be in [0, 180], got %g", a.MaxRotationDegrees)
	}
	if s := a.ScaleRange; s != [2]float64{} && !(s[0] > 0 && s[0] <= s[1] && !math.IsInf(s[1], 0)) {
		return fmt.Errorf("Augment: ScaleRange must be {0, 0} or 0 < min ≤ max, got %v", s)
	}
	if !(a.MaxTranslation >= 0 && a.MaxTranslation < 1) {
		return fmt.Errorf("Augment: MaxTranslation must be in [0, 1), got %g", a.MaxTranslation)
	}
	if a.Fill != "" {
		if err := a.Fill.Valid(); err != nil {
			return fmt.Errorf("Augment: Fill: %w", err)
		}
	}
	if e := a.Erasing; e != nil {
		if !(e.P >= 0 && e.P <= 1) {
			return fmt.Errorf("Augment: Erasing.P must be in [0, 1], got %g", e.P)
		}
		if r := e.Area; r != [2]float64{} && !(r[0] > 0 && r[0] <= r[1] && r[1] <= 1) {
			return fmt.Errorf("Augment: Erasing.Area must be {0, 0} or 0 < min ≤ max ≤ 1, got %v", r)
		}
		if r := e.Aspect; r != [2]float64{} && !(r[0] > 0 && r[0] <= r[1] && !math.IsInf(r[1], 0)) {
			return fmt.Errorf("Augment: Erasing.Aspect must be {0, 0} or 0 < min ≤ max, got %v", r)
		}
		if !(e.RandomMax >= 0) || math.IsInf(float64(e.RandomMax), 0) || math.IsNaN(float64(e.Value)) {
			return fmt.Errorf("Augment: Erasing.RandomMax must be a non-negative number and Value a number, got %g and %g", e.RandomMax, e.Value)
		}
	}
	return nil
}

// checkShape checks that a can augment examples of the given shape.
func (a *Augment) checkShape(shape []int) error {
	if len(shape) != 3 {
		return fmt.Errorf("Augment: examples must be images shaped (H, W, C), got %v", shape)
	}
	return nil
}

func (a *Augment) fill() datasets.FillMode {
	if a.Fill == "" {
		return datasets.FillReflect
	}
	return a.Fill
}

// augmentStream separates the random numbers of augmentation from the
// other uses of the model's seed.
const augmentStream = 0x61756731 // "aug1"

// exampleRNG is the random source of example i in an epoch.
func exampleRNG(seed int64, epoch, i int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed)^augmentStream<<32, uint64(epoch)<<40^uint64(i)))
}

// apply writes into dst the augmented src (one example shaped h, w, c),
// using tmp (same size) as scratch; rng draws the random choices.
func (a *Augment) apply(dst, src, tmp []float32, h, w, c int, rng *rand.Rand) error {
	copy(dst, src)
	fill := a.fill()
	// Warp.
	if a.MaxRotationDegrees > 0 || a.ScaleRange != [2]float64{} || a.MaxTranslation > 0 {
		var t datasets.Affine
		if a.MaxRotationDegrees > 0 {
			t.Degrees = (2*rng.Float64() - 1) * a.MaxRotationDegrees
		}
		if s := a.ScaleRange; s != [2]float64{} {
			t.Scale = s[0] + (s[1]-s[0])*rng.Float64()
		}
		if a.MaxTranslation > 0 {
			t.TX = (2*rng.Float64() - 1) * a.MaxTranslation * float64(w)
			t.TY = (2*rng.Float64() - 1) * a.MaxTranslation * float64(h)
		}
		copy(tmp, dst)
		if err := datasets.Warp(dst, tmp, h, w, c, t, fill); err != nil {
			return err
		}
	}
	if p := a.CropPadding; p > 0 {
		dy, dx := rng.IntN(2*p+1), rng.IntN(2*p+1)
		copy(tmp, dst)
		if err := datasets.PadCrop(dst, tmp, h, w, c, p, dy, dx, fill); err != nil {
			return err
		}
	}
	if a.FlipHorizontal && rng.IntN(2) == 1 {
		if err := datasets.FlipHorizontal(dst, dst, h, w, c); err != nil {
			return err
		}
	}
	if e := a.Erasing; e != nil && e.P > 0 && rng.Float64() < e.P {
		area, aspect := e.Area, e.Aspect
		if area == [2]float64{} {
			area = [2]float64{0.02, 0.4}
		}
		if aspect == [2]float64{} {
			aspect = [2]float64{0.3, 1 / 0.3}
		}
		r, ok := datasets.EraseRect(h, w, area[0], area[1], aspect[0], aspect[1], erasingAttempts, rng.Float64, rng.IntN)
		if ok {
			value := func(int) float32 { return e.Value }
			if e.RandomMax > 0 {
				value = func(int) float32 { return float32(rng.Float64()) * e.RandomMax }
			}
			if err := datasets.Erase(dst, h, w, c, r, value); err != nil {
				return err
			}
		}
	}
	return nil
}

// Apply returns a copy of d with every example augmented as Fit would in
// the given epoch (1-based) of a model with the given seed (Model.Seed):
// handy to look at the augmented images or to augment offline. Example i
// gets the same image as in Fit whatever the batch size.
func (a *Augment) Apply(d Data, seed int64, epoch int) (Data, error) {
	if err := a.Validate(); err != nil {
		return Data{}, err
	}
	if err := d.Validate(); err != nil {
		return Data{}, fmt.Errorf("Augment: %w", err)
	}
	if err := a.checkShape(d.Shape); err != nil {
		return Data{}, err
	}
	out := Data{X: make([]float32, len(d.X)), Shape: slices.Clone(d.Shape), Y: slices.Clone(d.Y)}
	n := d.exampleSize()
	tmp := make([]float32, n)
	for i := range d.Len() {
		if err := a.apply(out.X[i*n:(i+1)*n], d.X[i*n:(i+1)*n], tmp, d.Shape[0], d.Shape[1], d.Shape[2], exampleRNG(seed, epoch, i)); err != nil {
			return Data{}, err
		}
	}
	return out, nil
}

// TTA configures test-time augmentation (Model.PredictTTA): the model's
// probabilities are averaged over several views of each image. The views
// are the image itself, its horizontal flip (Flip), and, when Shift is
// positive, the image shifted by Shift pixels up, down, left and right
// (a crop of the image padded by Shift, read through Fill) and their flips:
// 1, 2, 5 or 10 views.
type TTA struct {
	// Flip adds the horizontal flip of every view.
	Flip bool
	// Shift, if positive, adds the four shifted views.
	Shift int
	// Fill is how the shifted views read outside the image: datasets.FillReflect
	// when empty.
	Fill datasets.FillMode
}

// views returns the augmented copies of d, the identity first.
func (o TTA) views(d Data) ([]Data, error) {
	if o.Shift < 0 {
		return nil, fmt.Errorf("TTA: Shift must not be negative, got %d", o.Shift)
	}
	fill := o.Fill
	if fill == "" {
		fill = datasets.FillReflect
	}
	if err := fill.Valid(); err != nil {
		return nil, fmt.Errorf("TTA: Fill: %w", err)
	}
	views := []Data{d}
	if o.Shift == 0 && !o.Flip {
		return views, nil
	}
	if len(d.Shape) != 3 {
		return nil, fmt.Errorf("TTA: examples must be images shaped (H, W, C), got %v", d.Shape)
	}
	h, w, c := d.Shape[0], d.Shape[1], d.Shape[2]
	n := d.exampleSize()
	transform := func(f func(dst, src []float32) error) (Data, error) {
		out := Data{X: make([]float32, len(d.X)), Shape: d.Shape}
		for i := range d.Len() {
			if err := f(out.X[i*n:(i+1)*n], d.X[i*n:(i+1)*n]); err != nil {
				return Data{}, err
			}
		}
		return out, nil
	}
	if p := o.Shift; p > 0 {
		for _, off := range [][2]int{{0, p}, {2 * p, p}, {p, 0}, {p, 2 * p}} {
			v, err := transform(func(dst, src []float32) error {
				return datasets.PadCrop(dst, src, h, w, c, p, off[0], off[1], fill)
			})
			if err != nil {
				return nil, err
			}
			views = append(views, v)
		}
	}
	if o.Flip {
		for _, v := range slices.Clone(views) {
			f := Data{X: make([]float32, len(d.X)), Shape: d.Shape}
			for i := range d.Len() {
				if err := datasets.FlipHorizontal(f.X[i*n:(i+1)*n], v.X[i*n:(i+1)*n], h, w, c); err != nil {
					return nil, err
				}
			}
			views = append(views, f)
		}
	}
	return views, nil
}

// PredictTTA returns the model's probabilities for every example of d (as
// Predict) averaged over the views of opts (test-time augmentation): the
// mean of the per-view probabilities, not of the logits. With TTA{} (the
// identity only) it equals Predict.
func (m *Model) PredictTTA(d Data, opts TTA) (probs [][]float32, err error) {
	defer recoverError(&err, "fer: PredictTTA")
	if err := d.checkFor(m, false); err != nil {
		return nil, fmt.Errorf("fer: PredictTTA: %w", err)
	}
	views, err := opts.views(d)
	if err != nil {
		return nil, fmt.Errorf("fer: PredictTTA: %w", err)
	}
	if len(views) == 1 {
		return m.Predict(d)
	}
	var sum [][]float64
	for _, v := range views {
		p, err := m.Predict(v)
		if err != nil {
			return nil, fmt.Errorf("fer: PredictTTA: %w", err)
		}
		if sum == nil {
			sum = make([][]float64, len(p))
			for i, r := range p {
				sum[i] = make([]float64, len(r))
			}
		}
		for i, r := range p {
			for j, x := range r {
				sum[i][j] += float64(x)
			}
		}
	}
	probs = make([][]float32, len(sum))
	for i, r := range sum {
		probs[i] = make([]float32, len(r))
		for j, x := range r {
			probs[i][j] = float32(x / float64(len(views)))
		}
	}
	return probs, nil
}
