package fer

import (
	"io"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestFitIsReproducible(t *testing.T) {
	needBackend(t)
	train, val := testCircles(600, 0.1, 1), testCircles(200, 0.1, 2)
	run := func(seed int64) History {
		m, err := NewSequential(Input(2), Dense{Units: 16, Activation: ActReLU}, BatchNormalization{},
			Dropout{Rate: 0.3}, Dense{Units: 1, Activation: ActSigmoid})
		if err != nil {
			t.Fatal(err)
		}
		m.WithSeed(seed)
		h, err := m.Fit(train, FitOptions{Epochs: 3, BatchSize: 16, Validation: &val, Progress: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a, b, c := run(3), run(3), run(4)
	if !slices.Equal(a.Loss, b.Loss) || !slices.Equal(a.ValLoss, b.ValLoss) || !slices.Equal(a.Accuracy, b.Accuracy) {
		t.Errorf("same seed, different histories:\n%s\n%s", a, b)
	}
	if slices.Equal(a.Loss, c.Loss) {
		t.Errorf("different seeds, same history:\n%s", a)
	}
	if a.Len() != 3 || !a.HasValidation() || a.Last().Epoch != 3 || a.Seconds[0] <= 0 {
		t.Errorf("history: %+v", a)
	}
}

func TestTrainingAndInferenceModes(t *testing.T) {
	needBackend(t)
	train, val := testCircles(400, 0.1, 1), testCircles(64, 0.1, 2)
	m, err := NewSequential(Input(2), Dense{Units: 16, Activation: ActReLU}, BatchNormalization{},
		Dropout{Rate: 0.5}, Dense{Units: 1, Activation: ActSigmoid})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fit(train, FitOptions{Epochs: 2, Progress: io.Discard}); err != nil {
		t.Fatal(err)
	}
	// Inference: no dropout (same output twice) and batch normalization with
	// its moving averages (an example's output does not depend on its batch).
	p1, err := m.Predict(val)
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := m.Predict(val)
	one, _ := m.Predict(val.Subset([]int{5}))
	if !slices.EqualFunc(p1, p2, slices.Equal) {
		t.Error("Predict is not deterministic: dropout active in inference?")
	}
	if math.Abs(float64(one[0][0]-p1[5][0])) > 1e-6 {
		t.Errorf("example 5 alone: %v, in a batch: %v: batch normalization uses batch statistics in inference?", one[0][0], p1[5][0])
	}
	// The moving averages moved away from their initial values in training.
	mean := m.store.GetVariable("/batch_normalization/moving_mean")
	if mean == nil || mean.Trainable {
		t.Fatalf("moving mean variable: %v", mean)
	}
	if vals := mean.MustValue().Value().([]float32); slices.Max(vals) == 0 && slices.Min(vals) == 0 {
		t.Error("batch normalization's moving mean did not move during training")
	}
	// Logits and probabilities agree.
	logits, err := m.Logits(val)
	if err != nil {
		t.Fatal(err)
	}
	if sig := 1 / (1 + math.Exp(-float64(logits[3][0]))); math.Abs(sig-float64(p1[3][0])) > 1e-6 {
		t.Errorf("sigmoid(logit) = %v, probability %v", sig, p1[3][0])
	}
}

func TestSoftmaxModelPredictAndEvaluate(t *testing.T) {
	needBackend(t)
	// Three classes: the quadrant-ish sector of a point.
	d := testCircles(300, 0.05, 3)
	for i := range d.Y {
		x, y := d.X[2*i], d.X[2*i+1]
		switch {
		case x > 0 && y > 0:
			d.Y[i] = 2
		case x > 0:
			d.Y[i] = 1
		default:
			d.Y[i] = 0
		}
	}
	m, err := NewSequential(Input(2), Dense{Units: 32, Activation: ActTanh}, Dense{Units: 3, Activation: ActSoftmax})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(Adam(0.02), ""); err != nil {
		t.Fatal(err)
	}
	h, err := m.Fit(d, FitOptions{Epochs: 15, Validation: &d, Progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	loss, acc, err := m.Evaluate(d)
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.9 || loss != h.Last().ValLoss || acc != h.Last().ValAccuracy {
		t.Errorf("Evaluate = %.4f, %.4f; history's last validation %.4f, %.4f", loss, acc, h.Last().ValLoss, h.Last().ValAccuracy)
	}
	p, err := m.Predict(d.Head(10))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range p {
		var s float32
		for _, v := range r {
			s += v
		}
		if len(r) != 3 || math.Abs(float64(s)-1) > 1e-5 {
			t.Errorf("probabilities of example %d: %v", i, r)
		}
	}
}

func TestEarlyStopping(t *testing.T) {
	needBackend(t)
	train, val := testCircles(300, 0.1, 1), testCircles(100, 0.1, 2)
	m := CirclesFC()
	// No epoch after the first can improve by 1e9: stop after the second and
	// keep the first's weights.
	h, err := m.Fit(train, FitOptions{Epochs: 10, Validation: &val, Progress: io.Discard,
		EarlyStopping: &EarlyStopping{Patience: 1, MinDelta: 1e9, RestoreBest: true}})
	if err != nil {
		t.Fatal(err)
	}
	if h.Len() != 2 || !h.StoppedEarly || h.BestEpoch != 1 {
		t.Fatalf("history: %d epochs, stopped early %v, best %d; want 2, true, 1", h.Len(), h.StoppedEarly, h.BestEpoch)
	}
	loss, _, err := m.Evaluate(val)
	if err != nil {
		t.Fatal(err)
	}
	if loss != h.ValLoss[0] {
		t.Errorf("after restoring the best weights the validation loss is %v, want epoch 1's %v", loss, h.ValLoss[0])
	}
}

func TestUserErrors(t *testing.T) {
	needBackend(t)
	img := Data{X: make([]float32, 3*28*28), Shape: []int{28, 28, 1}, Y: []int32{1, 2, 3}}
	m := MNISTFC()
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"wrong shape", fitErr(m, Data{X: make([]float32, 4), Shape: []int{2}, Y: []int32{0, 1}}, FitOptions{Epochs: 1}), "takes [28 28 1]"},
		{"ragged X", fitErr(m, Data{X: make([]float32, 100), Shape: []int{28, 28, 1}}, FitOptions{Epochs: 1}), "not a whole number"},
		{"label count", fitErr(m, Data{X: img.X, Shape: img.Shape, Y: []int32{1}}, FitOptions{Epochs: 1}), "3 examples but 1 labels"},
		{"label range", fitErr(m, Data{X: img.X, Shape: img.Shape, Y: []int32{1, 2, 10}}, FitOptions{Epochs: 1}), "out of range"},
		{"no labels", fitErr(m, Data{X: img.X, Shape: img.Shape}, FitOptions{Epochs: 1}), "no labels"},
		{"epochs", fitErr(m, img, FitOptions{}), "Epochs must be positive"},
		{"validation", fitErr(m, img, FitOptions{Epochs: 1, Validation: &Data{X: make([]float32, 2), Shape: []int{2}, Y: []int32{0}}}), "validation data"},
		{"compile loss", m.Compile(Adam(0), BinaryCrossEntropy), "needs a single sigmoid"},
		{"compile unknown loss", m.Compile(SGD(0), "hinge"), "unknown loss"},
		{"compile no optimizer", m.Compile(Optimizer{}, ""), "no optimizer"},
		{"predict shape", predictErr(m, Data{X: make([]float32, 2), Shape: []int{2}}), "takes [28 28 1]"},
		{"empty", predictErr(m, Data{Shape: []int{28, 28, 1}}), "empty"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.want)
		}
	}
	for _, layers := range [][]Layer{
		{},
		{Dense{Units: 3}},
		{Input(2)},
		{Input(0, 3)},
		{Input(2), Dense{Units: 0}},
		{Input(2), Dense{Units: 2, Activation: "swish"}},
		{Input(5, 5, 1), Conv2D{Filters: 2, Kernel: 7}},
		{Input(5, 5, 1), MaxPool2D{Pool: 2, Padding: "full"}},
		{Input(5, 5, 1), Dropout{Rate: 1}},
		{Input(2), Input(2)},
	} {
		if _, err := NewSequential(layers...); err == nil {
			t.Errorf("NewSequential(%v) accepted", layers)
		}
	}
}

func fitErr(m *Model, d Data, o FitOptions) error {
	o.Progress = io.Discard
	_, err := m.Fit(d, o)
	return err
}

func predictErr(m *Model, d Data) error {
	_, err := m.Predict(d)
	return err
}

func TestHistoryFrom(t *testing.T) {
	var h History
	for i := 1; i <= 4; i++ {
		h.add(EpochMetrics{Epoch: i, Loss: float64(i), ValLoss: math.NaN(), ValAccuracy: math.NaN()})
	}
	if g := h.from(2); !slices.Equal(g.Epoch, []int{3, 4}) || !slices.Equal(g.Loss, []float64{3, 4}) || g.HasValidation() {
		t.Errorf("from(2) = %+v", g)
	}
	j, err := toJSONHistory(h).history()
	if err != nil || !slices.Equal(j.Loss, h.Loss) || !math.IsNaN(j.ValLoss[0]) {
		t.Errorf("JSON round trip: %+v, %v", j, err)
	}
}

func TestSGDMomentumInFit(t *testing.T) {
	needBackend(t)
	d := testCircles(256, 0.05, 4)
	m, err := NewSequential(Input(2), Dense{Units: 16, Activation: ActTanh}, Dense{Units: 1, Activation: ActSigmoid})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(SGDMomentum(0.05, 0.9, true), BinaryCrossEntropy); err != nil {
		t.Fatal(err)
	}
	h, err := m.Fit(d, FitOptions{Epochs: 6, Progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if h.Loss[len(h.Loss)-1] >= h.Loss[0] {
		t.Errorf("Nesterov SGD did not lower the loss: %v", h.Loss)
	}
	t.Logf("losses with SGDMomentum(0.05, 0.9, true): %.4f", h.Loss)
	if got := SGDMomentum(1e-4, 0.9, true).String(); got != "SGD(lr=0.0001, momentum=0.9, nesterov=true)" {
		t.Errorf("String: %q", got)
	}
	bad, _ := NewSequential(Input(2), Dense{Units: 1, Activation: ActSigmoid})
	if err := bad.Compile(SGDMomentum(0.1, 1.5, false), BinaryCrossEntropy); err == nil || !strings.Contains(err.Error(), "momentum must be in [0, 1)") {
		t.Errorf("momentum 1.5: %v", err)
	}
}
