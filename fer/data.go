package fer

import (
	"fmt"
	"slices"

	"github.com/fer-thesis/fer/datasets"
)

// Data is a set of examples for Fit, Evaluate and Predict: the inputs as one
// flat float32 slice, the shape of one example, and the integer labels.
//
// Images are stored NHWC, row-major: example i is X[i*n : (i+1)*n] with
// n = Height*Width*Channels. Labels are class indices (0 or 1 for binary
// models); Predict and Logits accept Data without labels.
type Data struct {
	// X holds Len() examples of Shape each, one after the other.
	X []float32
	// Shape is the shape of one example, e.g. [48, 48, 1] or [2].
	Shape []int
	// Y holds one label per example, or is nil for unlabelled data.
	Y []int32
}

// FromImageSet returns the images of set as Data shaped [Height, Width, 1],
// with raw pixel values 0..255 (the thesis's image models divide by 255 in
// their first layer), and its labels.
func FromImageSet(set *datasets.ImageSet) Data {
	return Data{
		X:     set.Float32(1),
		Shape: []int{set.Height, set.Width, 1},
		Y:     slices.Clone(set.Labels),
	}
}

// FromPoints returns 2D points (e.g. make_circles) and their labels as Data
// shaped [2].
func FromPoints(points [][2]float64, labels []int) Data {
	d := Data{X: make([]float32, 0, 2*len(points)), Shape: []int{2}}
	for _, p := range points {
		d.X = append(d.X, float32(p[0]), float32(p[1]))
	}
	if labels != nil {
		d.Y = make([]int32, len(labels))
		for i, l := range labels {
			d.Y[i] = int32(l)
		}
	}
	return d
}

// exampleSize is the number of values of one example.
func (d Data) exampleSize() int { return prod(d.Shape) }

// Len returns the number of examples.
func (d Data) Len() int {
	if n := d.exampleSize(); n > 0 && len(d.Shape) > 0 {
		return len(d.X) / n
	}
	return 0
}

// Validate checks that X holds a whole number of examples of Shape and, when
// there are labels, one label per example.
func (d Data) Validate() error {
	if len(d.Shape) == 0 {
		return fmt.Errorf("data has no example shape")
	}
	for _, s := range d.Shape {
		if s <= 0 {
			return fmt.Errorf("data example shape %v: every dimension must be positive", d.Shape)
		}
	}
	n := d.exampleSize()
	if len(d.X)%n != 0 {
		return fmt.Errorf("data holds %d values, not a whole number of examples of shape %v (%d values each)", len(d.X), d.Shape, n)
	}
	if d.Y != nil && len(d.Y) != len(d.X)/n {
		return fmt.Errorf("data holds %d examples but %d labels", len(d.X)/n, len(d.Y))
	}
	return nil
}

// Subset returns a copy of the examples (and labels) at the given indices, in
// that order. It panics if an index is out of range, like slice indexing.
func (d Data) Subset(idx []int) Data {
	n := d.exampleSize()
	out := Data{X: make([]float32, len(idx)*n), Shape: slices.Clone(d.Shape)}
	for j, i := range idx {
		copy(out.X[j*n:(j+1)*n], d.X[i*n:(i+1)*n])
	}
	if d.Y != nil {
		out.Y = make([]int32, len(idx))
		for j, i := range idx {
			out.Y[j] = d.Y[i]
		}
	}
	return out
}

// Head returns a copy of the first n examples (all of them if there are
// fewer).
func (d Data) Head(n int) Data {
	n = min(n, d.Len())
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return d.Subset(idx)
}

// Scale returns a copy of d with every input multiplied by f.
func (d Data) Scale(f float32) Data {
	out := Data{X: make([]float32, len(d.X)), Shape: slices.Clone(d.Shape), Y: slices.Clone(d.Y)}
	for i, v := range d.X {
		out.X[i] = v * f
	}
	return out
}

// checkFor checks d against the model: example shape, and labels in range
// when the model needs them (labelled).
func (d Data) checkFor(m *Model, labelled bool) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if !slices.Equal(d.Shape, m.input) {
		return fmt.Errorf("data examples are shaped %v, but model %q takes %v", d.Shape, m.name, m.input)
	}
	if d.Len() == 0 {
		return fmt.Errorf("data is empty")
	}
	if !labelled {
		return nil
	}
	if d.Y == nil {
		return fmt.Errorf("data has no labels")
	}
	classes := m.numClasses()
	for i, y := range d.Y {
		if y < 0 || int(y) >= classes {
			return fmt.Errorf("label %d of example %d is out of range: model %q has %d classes (labels 0..%d)", y, i, m.name, classes, classes-1)
		}
	}
	return nil
}

// numClasses is the number of classes the model's output distinguishes: its
// output size, or 2 for a single (sigmoid) output.
func (m *Model) numClasses() int {
	out := m.shapes[len(m.shapes)-1]
	if n := out[len(out)-1]; n > 1 {
		return n
	}
	return 2
}
