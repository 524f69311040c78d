package fer

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// The parameter counts Keras reports in the thesis (and fer-vgg's).
var wantParams = map[string][3]int{ // total, trainable, non-trainable
	"circles-logistic": {3, 3, 0},
	"circles-fc":       {129, 129, 0},
	"mnist-fc":         {186664, 186664, 0},
	"mnist-cnn":        {183690, 183690, 0},
	"fer-logistic":     {16135, 16135, 0},
	"fer-fc":           {713959, 713831, 128},
	"fer-cnn":          {785095, 783815, 1280},
	// Not in the thesis (chapter 9's model), counted by hand: convolutions
	// 320 + 18,496 + 36,928 + 73,856 + 147,584 + 295,168 + 590,080, BatchNorm
	// 4 × (32 + 64 + 64 + 128 + 128 + 256 + 256) (half non-trainable), dense
	// 590,080 + 1,799.
	"fer-vgg": {1758023, 1756167, 1856},
}

func TestArchitectureParams(t *testing.T) {
	if len(Architectures()) != len(wantParams) {
		t.Errorf("%d architectures, want %d", len(Architectures()), len(wantParams))
	}
	for _, a := range Architectures() {
		want, ok := wantParams[a.Name]
		if !ok {
			t.Errorf("unexpected architecture %q", a.Name)
			continue
		}
		m, err := New(a.Name)
		if err != nil {
			t.Fatal(err)
		}
		total, tr, nt := m.CountParams()
		if got := [3]int{total, tr, nt}; got != want {
			t.Errorf("%s: params (total, trainable, non-trainable) = %v, want %v", a.Name, got, want)
		}
		if a.Params != want[0] {
			t.Errorf("%s: Architecture.Params = %d, want %d", a.Name, a.Params, want[0])
		}
		s := m.Summary()
		for _, line := range []string{
			"Total params: " + thousands(want[0]) + "\n",
			"Trainable params: " + thousands(want[1]) + "\n",
			"Non-trainable params: " + thousands(want[2]) + "\n",
		} {
			if !strings.Contains(s, line) {
				t.Errorf("%s: summary lacks %q:\n%s", a.Name, line, s)
			}
		}
	}
}

func TestUnknownArchitecture(t *testing.T) {
	if _, err := New("nope"); err == nil || !strings.Contains(err.Error(), "mnist-cnn") {
		t.Errorf("New(nope) error = %v, want one listing the known names", err)
	}
}

// The model as a plain GoMLX model function, trained by GoMLX's own Trainer
// on a store of its own.
func TestModelFnWithGoMLXTrainer(t *testing.T) {
	needBackend(t)
	m := CirclesFC()
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(1); err != nil {
		t.Fatal(err)
	}
	trainer := train.NewTrainer(MustBackend(), store, m.ModelFn(), loss.BinaryCrossentropyLogits,
		optimizer.Adam().LearningRate(0.05).Done(), nil, nil)
	d := testCircles(256, 0.05, 1)
	idx := make([]int, d.Len())
	for i := range idx {
		idx[i] = i
	}
	var first, last float64
	for step := range 60 {
		x, y := batchTensors(d, idx, len(idx))
		metrics, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{x}, Labels: []*tensors.Tensor{y}})
		if err != nil {
			t.Fatal(err)
		}
		l := scalarValue(metrics[0])
		if step == 0 {
			first = l
		}
		last = l
	}
	if last > first/2 {
		t.Errorf("GoMLX trainer on ModelFn: loss %.4f → %.4f, want it halved", first, last)
	}
	if v := store.GetVariable("/dense_1/dense/weights"); v == nil || v.Shape().Dimensions[0] != 32 {
		t.Errorf("weights of the last layer: %v", v)
	}
}

// FERVGGWith changes the last layer (257 more weights for an eighth class,
// FER+'s contempt) and the convolutions' widths; its parameter counts follow
// the layer formulas, checked against fer-vgg's count at width 1.
func TestFERVGGWith(t *testing.T) {
	want := func(classes, w int) int {
		n := 9*1*32*w + 32*w + 4*32*w // first convolution and its BatchNorm
		prev := 32 * w
		for _, f := range []int{64 * w, 128 * w, 256 * w} {
			n += 9*prev*f + f + 9*f*f + f + 2*4*f
			prev = f
		}
		return n + 9*prev*256 + 256 + 256*classes + classes
	}
	if want(7, 1) != wantParams["fer-vgg"][0] {
		t.Fatalf("formula gives %d for fer-vgg, its count is %d", want(7, 1), wantParams["fer-vgg"][0])
	}
	for _, c := range []struct {
		classes, width int
		name           string
	}{{7, 1, "fer-vgg"}, {8, 1, "fer-vgg-8"}, {7, 2, "fer-vgg-w2"}, {8, 2, "fer-vgg-8-w2"}} {
		m, err := FERVGGWith(c.classes, c.width)
		if err != nil {
			t.Fatal(err)
		}
		if total, _, _ := m.CountParams(); total != want(c.classes, c.width) || m.Name() != c.name {
			t.Errorf("%s: %d parameters, want %s with %d", m.Name(), total, c.name, want(c.classes, c.width))
		}
	}
	if _, err := FERVGGWith(1, 1); err == nil || !strings.Contains(err.Error(), "1 classes") {
		t.Errorf("FERVGGWith(1, 1): %v", err)
	}
	if _, err := FERVGGWith(7, 0); err == nil || !strings.Contains(err.Error(), "width multiplier 0") {
		t.Errorf("FERVGGWith(7, 0): %v", err)
	}
}
