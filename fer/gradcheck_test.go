package fer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// needBackend returns the process-wide backend or skips the test.
func needBackend(t testing.TB) {
	t.Helper()
	if _, _, err := Backend(); err != nil {
		t.Skipf("no backend: %v", err)
	}
}

// gcRandomTensor returns a float64 tensor of the given shape, values in [-1, 1).
func gcRandomTensor(rng *rand.Rand, dims ...int) *tensors.Tensor {
	t := tensors.FromShape(shapes.Make(dtypes.Float64, dims...))
	tensors.MustMutableFlatData(t, func(flat []float64) {
		for i := range flat {
			flat[i] = 2*rng.Float64() - 1
		}
	})
	return t
}

// gradCheck compares the gradients GoMLX computes through the layers
// (convolutions go through conv2D, pooling through maxPool2D/avgPool2D) with
// central finite differences, in float64, for the input and every
// trainable weight. The loss is a fixed random projection of the output.
func gradCheck(t *testing.T, training bool, inShape []int, layers ...Layer) {
	t.Helper()
	needBackend(t)
	m, err := NewSequential(append([]Layer{Input(inShape...)}, layers...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ensureBackend(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const batch = 2
	x := gcRandomTensor(rng, append([]int{batch}, inShape...)...)
	proj := gcRandomTensor(rng, append([]int{batch}, m.OutputShape()...)...)
	var vars []*model.Variable
	e, err := model.NewExec(m.backend, m.store, func(scope *model.Scope, x *Node) []*Node {
		g := x.Graph()
		m.store.SetTraining(g, training)
		y := m.ModelFn()(scope, x)
		loss := ReduceAllSum(Mul(y, Const(g, proj)))
		vars = vars[:0]
		wrt := []*Node{x}
		for v := range m.store.IterVariables() {
			if v.Trainable && v.InUseByGraph(g) {
				vars = append(vars, v)
				wrt = append(wrt, v.NodeValue(g))
			}
		}
		return append([]*Node{loss}, Gradient(loss, wrt...)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	call := func(x *tensors.Tensor) []*tensors.Tensor {
		out, err := e.Call(x)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	lossAt := func(x *tensors.Tensor) float64 {
		out := call(x)
		return out[0].Value().(float64)
	}
	analytic := call(x)[1:]

	const h = 1e-5
	check := func(name string, flat []float64, set func([]float64), grad []float64) {
		worst := 0.0
		for i := range flat {
			orig := flat[i]
			flat[i] = orig + h
			set(flat)
			up := lossAt(x)
			flat[i] = orig - h
			set(flat)
			down := lossAt(x)
			flat[i] = orig
			set(flat)
			num := (up - down) / (2 * h)
			diff := math.Abs(num-grad[i]) / math.Max(1, math.Abs(num)+math.Abs(grad[i]))
			worst = max(worst, diff)
			if diff > 1e-6 {
				t.Errorf("%s[%d]: gradient %.9g, finite difference %.9g", name, i, grad[i], num)
				return
			}
		}
		t.Logf("%s: %d values, worst relative difference %.2g", name, len(flat), worst)
	}

	// Input gradient.
	xFlat := tensors.MustCopyFlatData[float64](x)
	check("input", xFlat, func(v []float64) { x = tensors.FromFlatDataAndDimensions(v, x.Shape().Dimensions...) },
		tensors.MustCopyFlatData[float64](analytic[0]))
	// Weight gradients.
	if len(vars) == 0 {
		t.Fatal("no trainable variables")
	}
	for i, v := range vars {
		dims := v.Shape().Dimensions
		flat := tensors.MustCopyFlatData[float64](v.MustValue())
		check(v.Path(), flat, func(vals []float64) {
			if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, dims...)); err != nil {
				t.Fatal(err)
			}
		}, tensors.MustCopyFlatData[float64](analytic[i+1]))
	}
}

func TestGradCheck(t *testing.T) {
	for _, padding := range []Padding{Valid, Same} {
		for _, stride := range []int{1, 2} {
			for _, kernel := range []int{2, 3} {
				name := fmt.Sprintf("conv%d-%s-stride%d", kernel, padding, stride)
				t.Run(name, func(t *testing.T) {
					gradCheck(t, false, []int{7, 6, 2},
						Conv2D{Filters: 3, Kernel: kernel, Stride: stride, Padding: padding, Activation: ActTanh},
						MaxPool2D{Pool: 2, Stride: stride, Padding: padding},
						Flatten{},
						Dense{Units: 3, Activation: ActTanh},
						Dense{Units: 2})
				})
			}
		}
	}
	t.Run("maxpool3-stride2-conv-same", func(t *testing.T) {
		gradCheck(t, false, []int{7, 7, 1},
			Conv2D{Filters: 2, Kernel: 3, Padding: Same, Activation: ActTanh},
			MaxPool2D{Pool: 3, Stride: 2},
			Flatten{}, Dense{Units: 2})
	})
	for _, padding := range []Padding{Valid, Same} {
		t.Run("avgpool-"+string(padding), func(t *testing.T) {
			gradCheck(t, false, []int{5, 5, 2},
				Conv2D{Filters: 2, Kernel: 2, Padding: padding, Activation: ActSigmoid},
				AveragePool2D{Pool: 2, Padding: padding},
				Flatten{}, Dense{Units: 2, Activation: ActSoftmax})
		})
	}
	t.Run("batchnorm-training", func(t *testing.T) {
		gradCheck(t, true, []int{4, 4, 2},
			Conv2D{Filters: 3, Kernel: 2, Activation: ActTanh},
			BatchNormalization{},
			Flatten{}, Dense{Units: 4, Activation: ActTanh}, BatchNormalization{}, Dense{Units: 2})
	})
}
