package fer

import (
	"encoding/json"
	"io"
	"math"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

func TestScheduleCosine(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	c := &CosineDecay{WarmupEpochs: 2, Alpha: 0.1}
	// Decay to epoch 6: warmup 1/2, 1; then t = 0, 1/4, 2/4, 3/4.
	want := []float64{0.5, 1, 1, 0.1 + 0.9*(1+math.Cos(math.Pi/4))/2, 0.55, 0.1 + 0.9*(1+math.Cos(3*math.Pi/4))/2, 0.1, 0.1}
	for e := 1; e <= 8; e++ {
		if got := c.factor(e, 6); !near(got, want[e-1]) {
			t.Errorf("epoch %d: factor %v, want %v", e, got, want[e-1])
		}
	}
	// Epochs fixes the end whatever the run's.
	if got := (&CosineDecay{Epochs: 3}).factor(2, 100); !near(got, 0.75) {
		t.Errorf("Epochs 3, epoch 2: %v, want 0.75", got)
	}
	// A warm restart after 10 epochs follows the same curve from epoch 11,
	// ending at the run's end (16).
	r := &CosineDecay{WarmupEpochs: 2, Alpha: 0.1, Start: 10}
	for e := 11; e <= 18; e++ {
		if got := r.factor(e, 16); !near(got, want[e-11]) {
			t.Errorf("restart, epoch %d: factor %v, want %v", e, got, want[e-11])
		}
	}
	if err := (&CosineDecay{Start: 10, WarmupEpochs: 2, Epochs: 12}).validate(); err == nil {
		t.Error("Start 10 + warm-up 2 ≥ Epochs 12 validated")
	}
	if err := (&CosineDecay{Start: -1}).validate(); err == nil {
		t.Error("Start -1 validated")
	}
	if got := epochLearningRate(0.01, c, &plateauState{Scale: 0.5}, 5, 6); !near(got, 0.01*0.55*0.5) {
		t.Errorf("cosine × plateau: %v", got)
	}
}

func TestSchedulePlateau(t *testing.T) {
	r := &ReduceLROnPlateau{Factor: 0.5, Patience: 2, MinDelta: 0.01, Cooldown: 1, MinLR: 0.002}
	s := &plateauState{Best: math.Inf(1), Scale: 1}
	// Losses and whether the rate is reduced after each epoch: 2 epochs
	// without an improvement of 0.01 reduce.
	losses := []float64{1, 0.995, 0.999, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95}
	// As Keras's cooldown, the epoch after a reduction with Cooldown 1 does
	// count (the cooldown counter drops to 0 first); the rate stops at MinLR.
	reduced := []bool{false, false, true, false, false, true, false, true, false, false, false, false}
	scales := []float64{1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2}
	for i, l := range losses {
		if got := s.update(r, l, 0.01); got != reduced[i] || math.Abs(s.Scale-scales[i]) > 1e-12 {
			t.Errorf("epoch %d (loss %v): reduced %v scale %v, want %v %v", i+1, l, got, s.Scale, reduced[i], scales[i])
		}
	}
	// Patience 0 reduces at the first epoch without improvement (Keras).
	s = &plateauState{Best: math.Inf(1), Scale: 1}
	r0 := &ReduceLROnPlateau{}
	if s.update(r0, 1, 1) || !s.update(r0, 1, 1) || math.Abs(s.Scale-0.1) > 1e-12 {
		t.Errorf("patience 0: scale %v, want 0.1 after the second epoch", s.Scale)
	}
}

func TestLabelSmoothingLoss(t *testing.T) {
	needBackend(t)
	b, _, _ := Backend()
	logits := [][]float32{{2, -1, 0.5}, {0, 0, 3}}
	labels := [][]int32{{0}, {1}}
	const eps = 0.2
	// By hand: mean over examples of -Σ_k t_k·log softmax_k, t = 0.8·onehot + 0.2/3.
	var want float64
	for i, z := range logits {
		var lse float64
		for _, v := range z {
			lse += math.Exp(float64(v))
		}
		lse = math.Log(lse)
		for k, v := range z {
			tk := eps / 3
			if int32(k) == labels[i][0] {
				tk += 1 - eps
			}
			want -= tk * (float64(v) - lse)
		}
	}
	want /= 2
	fn := smoothedLoss(SparseCategoricalCrossEntropy, eps)
	got, err := graph.ExecOnce(b, func(z, y *graph.Node) *graph.Node {
		return fn([]*graph.Node{y}, []*graph.Node{z})
	}, tensors.FromValue(logits), tensors.FromValue(labels))
	if err != nil {
		t.Fatal(err)
	}
	if v := float64(got.Value().(float32)); math.Abs(v-want) > 1e-5 {
		t.Errorf("smoothed sparse categorical cross-entropy = %v, want %v", v, want)
	}
	// Binary: target y·(1-ε) + ε/2.
	zs, ys := []float32{1.5, -0.5}, []int32{1, 0}
	want = 0
	for i, z := range zs {
		tt := float64(ys[i])*(1-eps) + eps/2
		p := 1 / (1 + math.Exp(-float64(z)))
		want -= tt*math.Log(p) + (1-tt)*math.Log(1-p)
	}
	want /= 2
	bfn := smoothedLoss(BinaryCrossEntropy, eps)
	got, err = graph.ExecOnce(b, func(z, y *graph.Node) *graph.Node {
		return bfn([]*graph.Node{y}, []*graph.Node{z})
	}, tensors.FromValue([][]float32{{zs[0]}, {zs[1]}}), tensors.FromValue([][]int32{{ys[0]}, {ys[1]}}))
	if err != nil {
		t.Fatal(err)
	}
	if v := float64(got.Value().(float32)); math.Abs(v-want) > 1e-5 {
		t.Errorf("smoothed binary cross-entropy = %v, want %v", v, want)
	}
}

// TestLabelSmoothingInFit checks that Fit's training loss is the smoothed
// one (the first batch's loss, before any update, with SGD and lr ~0) and
// that validation reports the plain cross-entropy.
func TestLabelSmoothingInFit(t *testing.T) {
	needBackend(t)
	d := testImages(16, 4, 4, 3, 5)
	mk := func() *Model {
		m, err := NewSequential(Input(4, 4, 1), Rescaling{Scale: 1.0 / 255}, Flatten{}, Dense{Units: 3, Activation: ActSoftmax})
		if err != nil {
			t.Fatal(err)
		}
		_ = m.Compile(SGD(1e-30), "")
		return m
	}
	m := mk()
	h, err := m.Fit(d, FitOptions{Epochs: 1, BatchSize: 16, LabelSmoothing: 0.3, Validation: &d, Progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	logits, _ := m.Logits(d)
	var smooth, plain float64
	for i, z := range logits {
		var lse float64
		for _, v := range z {
			lse += math.Exp(float64(v))
		}
		lse = math.Log(lse)
		for k, v := range z {
			tk := 0.1
			if int32(k) == d.Y[i] {
				tk += 0.7
				plain -= float64(v) - lse
			}
			smooth -= tk * (float64(v) - lse)
		}
	}
	smooth, plain = smooth/16, plain/16
	if math.Abs(h.Loss[0]-smooth) > 1e-4 || math.Abs(h.ValLoss[0]-plain) > 1e-4 {
		t.Errorf("loss %v val_loss %v, want smoothed %v and plain %v", h.Loss[0], h.ValLoss[0], smooth, plain)
	}
	// Turning it off again rebuilds the trainer with the plain loss.
	h, err = m.Fit(d, FitOptions{Epochs: 1, BatchSize: 16, Progress: io.Discard})
	if err != nil || math.Abs(h.Loss[0]-plain) > 1e-4 {
		t.Errorf("after smoothing off: loss %v (%v), want %v", h.Loss, err, plain)
	}
}

// TestAdamWDecoupled checks one AdamW step against Adam's: the weights
// differ by exactly -lr·wd·w0.
func TestAdamWDecoupled(t *testing.T) {
	needBackend(t)
	d := testImages(8, 4, 4, 2, 6)
	const lr, wd = 0.01, 0.5
	run := func(opt *Optimizer) []float32 {
		m, err := NewSequential(Input(4, 4, 1), Rescaling{Scale: 1.0 / 255}, Flatten{}, Dense{Units: 2, Activation: ActSoftmax})
		if err != nil {
			t.Fatal(err)
		}
		if opt == nil {
			if _, err := m.Predict(d); err != nil { // initializes the weights only
				t.Fatal(err)
			}
		} else {
			_ = m.Compile(*opt, "")
			if _, err := m.Fit(d, FitOptions{Epochs: 1, BatchSize: 8, Progress: io.Discard}); err != nil {
				t.Fatal(err)
			}
		}
		return slices.Clone(m.store.GetVariable("/dense/dense/weights").MustValue().Value().([][]float32)[3])
	}
	adam, adamw := Adam(lr), AdamW(lr, wd)
	w0, wa, ww := run(nil), run(&adam), run(&adamw)
	for j := range w0 {
		if want := wa[j] - lr*wd*w0[j]; math.Abs(float64(ww[j]-want)) > 1e-6 || w0[j] == 0 {
			t.Errorf("weight %d: AdamW %v, want Adam's %v - lr·wd·%v = %v", j, ww[j], wa[j], w0[j], want)
		}
	}
	if s := adamw.String(); s != "AdamW(lr=0.01, weight_decay=0.5)" || adamw.WeightDecay() != wd {
		t.Errorf("String %q", s)
	}
}

// TestScheduleFitResume trains a small image model with every new option
// on, records the learning rate of each epoch, and checks that a run
// stopped after 2 epochs and resumed from its checkpoint ends exactly as an
// uninterrupted one.
func TestScheduleFitResume(t *testing.T) {
	needBackend(t)
	train, val := testImages(48, 8, 8, 3, 7), testImages(12, 8, 8, 3, 8)
	mk := func() *Model {
		m, err := NewSequential(Input(8, 8, 1), Rescaling{Scale: 1.0 / 255}, Conv2D{Filters: 2, Kernel: 3, Activation: ActReLU},
			Flatten{}, Dropout{Rate: 0.2}, Dense{Units: 3, Activation: ActSoftmax})
		if err != nil {
			t.Fatal(err)
		}
		m.WithSeed(11)
		if err := m.Compile(AdamW(0.01, 0.01), ""); err != nil {
			t.Fatal(err)
		}
		return m
	}
	opts := func(dir string, epochs int) FitOptions {
		return FitOptions{Epochs: epochs, BatchSize: 16, Validation: &val, CheckpointDir: dir, Progress: io.Discard,
			Augment: allAugment(), LabelSmoothing: 0.1,
			CosineDecay:       &CosineDecay{WarmupEpochs: 1, Alpha: 0.1},
			ReduceLROnPlateau: &ReduceLROnPlateau{Factor: 0.5, Patience: 0, MinDelta: 10}}
	}
	full, err := mk().Fit(train, opts(t.TempDir(), 4))
	if err != nil {
		t.Fatal(err)
	}
	// Warmup 1 → epoch 1 at base; cosine to epoch 4 (t = 0, 1/3, 2/3 for
	// epochs 2..4). MinDelta 10: no epoch after the first improves (the
	// first does, on +Inf), so epochs 2 and 3 halve the rate of the next:
	// scales 1, 1, 0.5, 0.25.
	cos := func(t float64) float64 { return 0.1 + 0.9*(1+math.Cos(math.Pi*t))/2 }
	want := []float64{0.01, 0.01 * cos(0), 0.01 * cos(1.0/3) * 0.5, 0.01 * cos(2.0/3) * 0.25}
	if len(full.LearningRate) != 4 {
		t.Fatalf("learning rates %v", full.LearningRate)
	}
	for i, w := range want {
		if math.Abs(full.LearningRate[i]-w) > 1e-12 {
			t.Errorf("epoch %d: learning rate %v, want %v", i+1, full.LearningRate[i], w)
		}
	}
	dir := t.TempDir()
	if _, err := mk().Fit(train, opts(dir, 2)); err != nil {
		t.Fatal(err)
	}
	resumed, err := mk().Fit(train, opts(dir, 4))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(resumed.Loss, full.Loss) || !slices.Equal(resumed.ValLoss, full.ValLoss) || !slices.Equal(resumed.LearningRate, full.LearningRate) {
		t.Errorf("resumed run differs:\n%v %v\n%v %v", resumed.Loss, resumed.LearningRate, full.Loss, full.LearningRate)
	}
	t.Logf("losses %.4f, learning rates %.5f", full.Loss, full.LearningRate)
}

// TestScheduleHistoryJSON checks the learning rates' round trip through a
// checkpoint's history, and that a history saved before they were recorded
// reads back with NaN rates.
func TestScheduleHistoryJSON(t *testing.T) {
	var h History
	for i, lr := range []float64{0.1, math.NaN(), 0.025} {
		h.add(EpochMetrics{Epoch: i + 1, Loss: 1, ValLoss: math.NaN(), ValAccuracy: math.NaN(), LearningRate: lr})
	}
	b, err := json.Marshal(toJSONHistory(h))
	if err != nil {
		t.Fatal(err)
	}
	var j jsonHistory
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	back, err := j.history()
	if err != nil || back.LearningRate[0] != 0.1 || !math.IsNaN(back.LearningRate[1]) || back.LearningRate[2] != 0.025 {
		t.Errorf("round trip: %v (%v)", back.LearningRate, err)
	}
	old := []byte(`{"Epoch":[1,2],"Loss":[1,0.5],"Accuracy":[0.5,0.6],"ValLoss":[0,0],"ValAc":[0,0],"HasVal":[false,false],"Seconds":[1,1]}`)
	j = jsonHistory{}
	if err := json.Unmarshal(old, &j); err != nil {
		t.Fatal(err)
	}
	back, err = j.history()
	if err != nil || len(back.LearningRate) != 2 || !math.IsNaN(back.LearningRate[0]) || !math.IsNaN(back.At(1).LearningRate) {
		t.Errorf("old history: %v (%v)", back.LearningRate, err)
	}
	if g := back.from(1); len(g.LearningRate) != 1 {
		t.Errorf("from(1): %v", g.LearningRate)
	}
}
