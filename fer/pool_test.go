package fer

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// poolForward runs one pooling layer on a 3×3 single-channel image holding
// values and returns the flat output.
func poolForward(t *testing.T, l Layer, values []float32) []float32 {
	t.Helper()
	needBackend(t)
	b := MustBackend()
	x := tensors.FromFlatDataAndDimensions(values, 1, 3, 3, 1)
	out, err := graph.NewExec1(b, func(x *graph.Node) *graph.Node { return l.build(nil, x) })
	if err != nil {
		t.Fatal(err)
	}
	y, err := out.Call(x)
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float32](y)
}

func TestPoolingKerasSemantics(t *testing.T) {
	pos := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	neg := make([]float32, len(pos))
	for i, v := range pos {
		neg[i] = -v
	}
	for _, c := range []struct {
		name   string
		layer  Layer
		values []float32
		want   []float32
	}{
		// Same on 3 with window 2, stride 2: one padded row/column at the end.
		{"avg-same excludes padding", AveragePool2D{Pool: 2, Padding: Same}, pos, []float32{3, 4.5, 7.5, 9}},
		{"avg-valid", AveragePool2D{Pool: 2}, pos, []float32{3}},
		{"avg-same stride 1", AveragePool2D{Pool: 2, Stride: 1, Padding: Same}, pos, []float32{3, 4, 4.5, 6, 7, 7.5, 7.5, 8.5, 9}},
		{"max-same ignores padding", MaxPool2D{Pool: 2, Padding: Same}, neg, []float32{-1, -3, -7, -9}},
		{"max-valid", MaxPool2D{Pool: 2}, pos, []float32{5}},
		{"max 3 stride 2 valid", MaxPool2D{Pool: 3, Stride: 2}, pos, []float32{9}},
	} {
		got := poolForward(t, c.layer, c.values)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
		shape, err := c.layer.outputShape([]int{3, 3, 1})
		if err != nil || prod(shape) != len(c.want) {
			t.Errorf("%s: outputShape = %v, %v; want %d values", c.name, shape, err, len(c.want))
		}
	}
}
