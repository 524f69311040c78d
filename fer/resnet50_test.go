package fer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fer-thesis/fer/datasets"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
)

// The parameter counts Keras reports for keras-vggface's ResNet-50 without
// top and for the thesis's transfer model, and the output shapes.
func TestResNet50Params(t *testing.T) {
	tr, nt := ResNet50{}.params([]int{224, 224, 3})
	if tr+nt != ResNet50Params || tr != 23_508_032 || nt != 53_120 {
		t.Errorf("ResNet50: %d + %d = %d parameters, want 23,508,032 + 53,120 = %d", tr, nt, tr+nt, ResNet50Params)
	}
	if n := len(ResNet50Layers()); n != 106 {
		t.Errorf("%d layers with weights, want 106 (53 convolutions and their batch normalizations)", n)
	}
	m := FERResNet50()
	total, trainable, nonTrainable := m.CountParams()
	if total != FERResNet50Params || trainable != 25_613_383 || nonTrainable != 53_120 {
		t.Errorf("FERResNet50: %d parameters (%d trainable, %d not), want %d (25,613,383, 53,120)", total, trainable, nonTrainable, FERResNet50Params)
	}
	sum := m.Summary()
	for _, want := range []string{"vggface_resnet50 (Functional)", "(None, 1, 1, 2048)", "23561152", "(None, 2048)", "Total params: 25,666,503"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	if got := m.OutputShape(); !slices.Equal(got, []int{7}) {
		t.Errorf("FERResNet50 output %v, want [7]", got)
	}

	for _, tc := range []struct {
		size int
		skip bool
		want []int // nil: an error
	}{
		{224, false, []int{1, 1, 2048}},
		{197, false, []int{1, 1, 2048}},
		{196, false, nil},
		{64, false, nil},
		{224, true, []int{7, 7, 2048}},
		{64, true, []int{2, 2, 2048}},
		{32, true, []int{1, 1, 2048}},
	} {
		got, err := ResNet50{SkipAvgPool: tc.skip}.outputShape([]int{tc.size, tc.size, 3})
		if tc.want == nil {
			if err == nil || !strings.Contains(err.Error(), "197×197") {
				t.Errorf("%d×%d: got %v, %v; want an error asking for 197×197", tc.size, tc.size, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%d×%d (SkipAvgPool %v): got %v, %v; want %v", tc.size, tc.size, tc.skip, got, err, tc.want)
		}
	}

	macs := ResNet50MACs(224, 224)
	t.Logf("ResNet-50 at 224×224: %d multiply-adds per image, %.1f GFLOPs forward, ~%.0f GFLOPs per training image",
		macs, 2*float64(macs)/1e9, 6*float64(macs)/1e9)
	if macs < 3.7e9 || macs > 3.9e9 {
		t.Errorf("ResNet50MACs(224, 224) = %d, want about 3.8e9 (the ResNet paper's 3.8 GFLOPs are multiply-adds)", macs)
	}
}

// A forward pass on random weights and a small input: the output shape,
// the variables (named like the Keras weights) and their number.
func TestResNet50Forward(t *testing.T) {
	needBackend(t)
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(1); err != nil {
		t.Fatal(err)
	}
	exec, err := model.NewExec(MustBackend(), store, ResNet50{SkipAvgPool: true}.Build)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 2*32*32*3)
	for i := range x {
		x[i] = float32(rng.IntN(256)) - VGGFaceOffset
	}
	start := time.Now()
	out, err := exec.Exec(tensors.FromFlatDataAndDimensions(x, 2, 32, 32, 3))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("forward pass of 2 32×32 images, weights initialized: %v", time.Since(start))
	if got := out[0].Shape().Dimensions; !slices.Equal(got, []int{2, 1, 1, 2048}) {
		t.Fatalf("output %v, want [2 1 1 2048]", got)
	}
	y, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		t.Fatal(err)
	}
	same := true
	for i, v := range y[:2048] {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v < 0 {
			t.Fatalf("output %d = %v, want finite and ≥ 0 (after a ReLU)", i, v)
		}
		same = same && v == y[2048+i]
	}
	if same {
		t.Error("two different images give the same features")
	}

	var paths []string
	total := 0
	for v := range store.IterVariables() {
		if strings.Contains(v.Path(), "#") { // GoMLX's own, e.g. the random-number state
			continue
		}
		paths = append(paths, v.Path())
		total += v.Shape().Size()
		wantTrainable := !strings.HasSuffix(v.Path(), "/moving_mean") && !strings.HasSuffix(v.Path(), "/moving_variance")
		if v.Trainable != wantTrainable {
			t.Errorf("%s: trainable %v", v.Path(), v.Trainable)
		}
	}
	if total != ResNet50Params {
		t.Errorf("%d weights in the store, want %d", total, ResNet50Params)
	}
	var want []string
	for _, w := range resnet50Weights("/", 3) {
		want = append(want, w.path)
	}
	sort.Strings(paths)
	sort.Strings(want)
	if !slices.Equal(paths, want) {
		t.Errorf("variables %v…, want the Keras names %v…", paths[:6], want[:6])
	}
	if !slices.Contains(paths, "/conv1/7x7_s2/kernel") || !slices.Contains(paths, "/conv5_3_1x1_increase/bn/moving_variance") {
		t.Errorf("variables are not named after the Keras weights: %v…", paths[:6])
	}
}

// The graph at 224×224 (built, not run) ends in 1×1×2048, and smaller
// inputs without SkipAvgPool are refused with a clear message.
func TestResNet50Graph224(t *testing.T) {
	needBackend(t)
	var out shapes.Shape
	fn := func(s *model.Scope, x *Node) *Node {
		y := ResNet50{}.Build(s, x)
		out = y.Shape()
		return y
	}
	exec, err := model.NewExec(MustBackend(), model.NewStore(), fn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Compile(shapes.Make(dtypes.Float32, 1, 224, 224, 3)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Dimensions, []int{1, 1, 1, 2048}) {
		t.Errorf("224×224: output %v, want [1 1 1 2048]", out.Dimensions)
	}
	exec, err = model.NewExec(MustBackend(), model.NewStore(), ResNet50{}.Build)
	if err != nil {
		t.Fatal(err)
	}
	_, err = exec.Compile(shapes.Make(dtypes.Float32, 1, 64, 64, 3))
	errorContains(t, err, "smaller than the final 7×7 average pooling")
}

// The whole transfer model on one 48×48 face: resized to 224×224 RGB, run
// through the ResNet-50 and the head (about 4 s on the pure-Go backend).
func TestFERResNet50Predict(t *testing.T) {
	if testing.Short() {
		t.Skip("a 224×224 ResNet-50 forward pass")
	}
	needBackend(t)
	m := FERResNet50()
	face := make([]float32, 48*48)
	for i := range face {
		face[i] = float32((i * 37) % 256)
	}
	start := time.Now()
	probs, err := m.Predict(Data{X: face, Shape: []int{48, 48, 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("one face through the 224×224 model: %v", time.Since(start))
	if len(probs) != 1 || len(probs[0]) != 7 {
		t.Fatalf("probabilities %v, want 1×7", probs)
	}
	var sum float64
	for _, p := range probs[0] {
		sum += float64(p)
	}
	if math.Abs(sum-1) > 1e-4 {
		t.Errorf("probabilities sum to %v", sum)
	}
	total := 0
	for v := range m.Store().IterVariables() {
		if !strings.Contains(v.Path(), "#") { // not GoMLX's own, e.g. the random-number state
			total += v.Shape().Size()
		}
	}
	if total != FERResNet50Params {
		t.Errorf("%d weights in the model's store, want %d", total, FERResNet50Params)
	}
}

func TestResNetResize(t *testing.T) {
	// Half-pixel bilinear, 2 → 4: samples at -0.25, 0.25, 0.75, 1.25.
	want := [][]float64{{1, 0}, {0.75, 0.25}, {0.25, 0.75}, {0, 1}}
	if got := bilinearMatrix(2, 4); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("bilinearMatrix(2, 4) = %v, want %v", got, want)
	}
	needBackend(t)
	// Against GoMLX's Interpolate (bilinear, half-pixel centers: TensorFlow's
	// resize), on a random image, enlarging and shrinking.
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 5*7*2)
	for i := range x {
		x[i] = rng.Float32() * 255
	}
	for _, size := range [][2]int{{12, 9}, {3, 4}, {5, 7}} {
		g := func(x *Node) (*Node, *Node) {
			ours := Resize{Height: size[0], Width: size[1]}.build(nil, x)
			theirs := Interpolate(x, -1, size[0], size[1], -1).Bilinear().HalfPixelCenters(true).Done()
			return ours, theirs
		}
		res, err := ExecOnceN(MustBackend(), g, tensors.FromFlatDataAndDimensions(x, 1, 5, 7, 2))
		if err != nil {
			t.Fatal(err)
		}
		a, _ := tensors.CopyFlatData[float32](res[0])
		b, _ := tensors.CopyFlatData[float32](res[1])
		if !slices.Equal(res[0].Shape().Dimensions, []int{1, size[0], size[1], 2}) {
			t.Fatalf("Resize to %v: shape %v", size, res[0].Shape())
		}
		for i := range a {
			if math.Abs(float64(a[i]-b[i])) > 1e-3 {
				t.Fatalf("Resize to %v: value %d is %v, GoMLX's Interpolate gives %v", size, i, a[i], b[i])
			}
		}
	}
}

func TestResNetGrayToRGB(t *testing.T) {
	if _, err := (GrayToRGB{}).outputShape([]int{48, 48, 3}); err == nil {
		t.Error("GrayToRGB accepted 3-channel images")
	}
	needBackend(t)
	res, err := ExecOnceN(MustBackend(), func(x *Node) *Node { return GrayToRGB{}.build(nil, x) },
		tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4}, 1, 2, 2, 1))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := tensors.CopyFlatData[float32](res[0])
	if want := []float32{1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4}; !slices.Equal(got, want) {
		t.Errorf("GrayToRGB = %v, want %v", got, want)
	}
}

// NesterovSGD against Keras's update rule, computed by hand, on the loss
// Σ c·w²/2 (gradient c·w).
func TestResNetNesterovSGD(t *testing.T) {
	needBackend(t)
	for _, classical := range []bool{false, true} {
		const lr, momentum = 0.1, 0.9
		c := []float64{1, 3}
		w := []float64{1, -2}
		v := []float64{0, 0}
		store := model.NewStore()
		opt := NesterovSGD{LearningRate: lr, Momentum: momentum, Classical: classical}
		exec, err := model.NewExec(MustBackend(), store, func(scope *model.Scope, cs *Node) *Node {
			g := cs.Graph()
			wv := scope.VariableWithValue("w", []float32{1, -2})
			l := ReduceAllSum(Mul(MulScalar(Square(wv.NodeValue(g)), 0.5), cs))
			opt.UpdateGraph(scope, g, l)
			return l
		})
		if err != nil {
			t.Fatal(err)
		}
		for step := range 4 {
			if _, err := exec.Exec([]float32{1, 3}); err != nil {
				t.Fatal(err)
			}
			for i := range w {
				g := c[i] * w[i]
				v[i] = momentum*v[i] - lr*g
				if classical {
					w[i] += v[i]
				} else {
					w[i] += momentum*v[i] - lr*g
				}
			}
			got, _ := tensors.CopyFlatData[float32](store.GetVariable("/w").MustValue())
			for i := range w {
				if math.Abs(float64(got[i])-w[i]) > 1e-5 {
					t.Fatalf("classical=%v step %d: w = %v, want %v", classical, step+1, got, w)
				}
			}
		}
		if store.GetVariable("/sgd_momentum/w_velocity") == nil {
			t.Error("no velocity variable")
		}
		if err := opt.Clear(store.RootScope()); err != nil || store.GetVariable("/sgd_momentum/w_velocity") != nil {
			t.Errorf("Clear: %v, velocity still there", err)
		}
	}
}

// Fine-tuning as docs/transfer.md shows it: the model's ModelFn and Store
// with GoMLX's trainer and NesterovSGD, here on a ResNet-50 fed 32×32
// images (the graph is the same as at 224×224, 49 times cheaper).
func TestResNet50FineTuneStep(t *testing.T) {
	needBackend(t)
	m, err := NewSequential(Input(32, 32, 3), ResNet50{SkipAvgPool: true}, Flatten{},
		Dense{Units: 16, Activation: ActReLU}, Dense{Units: 7, Activation: ActSoftmax})
	if err != nil {
		t.Fatal(err)
	}
	trainer := train.NewTrainer(MustBackend(), m.Store(), m.ModelFn(), loss.SparseCategoricalCrossEntropyLogits,
		NesterovSGD{LearningRate: 1e-4, Momentum: 0.9}, nil, nil)
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float32, 4*32*32*3)
	for i := range x {
		x[i] = float32(rng.IntN(256)) - VGGFaceOffset
	}
	batch := train.Batch{
		Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, 4, 32, 32, 3)},
		Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions([]int32{0, 3, 5, 6}, 4, 1)},
	}
	start := time.Now()
	for step := range 2 {
		metrics, err := trainer.TrainStep(batch)
		if err != nil {
			t.Fatal(err)
		}
		if l := scalarValue(metrics[0]); math.IsNaN(l) || math.IsInf(l, 0) {
			t.Fatalf("step %d: loss %v", step+1, l)
		}
	}
	t.Logf("2 training steps (batch 4, 32×32): %v", time.Since(start))
	mean, _ := tensors.CopyFlatData[float32](m.Store().GetVariable("/vggface_resnet50/conv1/7x7_s2/bn/moving_mean").MustValue())
	if !slices.ContainsFunc(mean, func(v float32) bool { return v != 0 }) {
		t.Error("the batch normalization's moving mean did not move in training")
	}
	if m.Store().GetVariable("/sgd_momentum/vggface_resnet50/conv1/7x7_s2/kernel_velocity") == nil {
		t.Error("no velocity for conv1's kernel")
	}
}

// The thesis's fine-tuning, as docs/transfer.md describes it (compiled, not
// run: it needs FER2013, the weights file and a GPU).
func ExampleFERResNet50() {
	dataDir := os.Getenv("FER_DATA_DIR")
	fer2013, err := datasets.LoadFER2013Dir(dataDir)
	if err != nil {
		fmt.Println(err)
		return
	}
	trainSet, val := FromImageSet(fer2013.Training), FromImageSet(fer2013.PublicTest)

	m := FERResNet50() // 48×48 grey → 224×224 RGB − 128.8006 → ResNet-50 → head
	weights, err := FindVGGFaceResNet50(dataDir)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := m.LoadKerasH5(weights, KerasH5Options{}); err != nil {
		fmt.Println(err)
		return
	}

	// SGD, learning rate 1e-4, Nesterov momentum 0.9, batches of 32, 10 epochs.
	backend, _, err := Backend() // GOMLX_BACKEND=xla:cuda for a GPU
	if err != nil {
		fmt.Println(err)
		return
	}
	trainer := train.NewTrainer(backend, m.Store(), m.ModelFn(), loss.SparseCategoricalCrossEntropyLogits,
		NesterovSGD{LearningRate: 1e-4, Momentum: 0.9}, nil, nil)
	const batch, size = 32, 48 * 48
	rng := rand.New(rand.NewPCG(1, 1))
	for epoch := 1; epoch <= 10; epoch++ {
		order := rng.Perm(trainSet.Len())
		for start := 0; start < len(order); start += batch {
			idx := order[start:min(start+batch, len(order))]
			x := make([]float32, 0, len(idx)*size)
			y := make([]int32, 0, len(idx))
			for _, i := range idx {
				x = append(x, trainSet.X[i*size:(i+1)*size]...)
				y = append(y, trainSet.Y[i])
			}
			if _, err := trainer.TrainStep(train.Batch{
				Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, len(idx), 48, 48, 1)},
				Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(y, len(idx), 1)},
			}); err != nil {
				fmt.Println(err)
				return
			}
		}
		valLoss, valAcc, err := m.Evaluate(val)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("epoch %d: val_loss %.4f val_accuracy %.4f\n", epoch, valLoss, valAcc)
	}
}
