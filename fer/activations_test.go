package fer

import (
	"math"
	"testing"
)

func TestActivationsOfLastLayerAreTheLogits(t *testing.T) {
	m := MNISTCNN().WithBackend(MustBackend())
	d := Data{X: make([]float32, 3*28*28), Shape: []int{28, 28, 1}}
	for i := range d.X {
		d.X[i] = float32(i%251) / 251
	}
	logits, err := m.Logits(d)
	if err != nil {
		t.Fatal(err)
	}
	last := len(m.Layers()) - 1
	acts, shape, err := m.Activations(d, last)
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 3 || len(shape) != 1 || shape[0] != 10 {
		t.Fatalf("activations %d rows shaped %v", len(acts), shape)
	}
	for i := range acts {
		for k := range acts[i] {
			if math.Abs(float64(acts[i][k]-logits[i][k])) > 1e-5 {
				t.Fatalf("row %d: activation %v, logits %v", i, acts[i], logits[i])
			}
		}
	}
	first, shape, err := m.Activations(d, 1) // layer 0 is the Rescaling
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{26, 26, 256}; len(shape) != 3 || shape[0] != want[0] || shape[2] != want[2] || len(first[0]) != 26*26*256 {
		t.Errorf("first layer shape %v", shape)
	}
	if _, _, err := m.Activations(d, 99); err == nil {
		t.Error("layer out of range: want error")
	}
}
