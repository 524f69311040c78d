package fer

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/core/tensors"
)

// runExecBenchmark compiles and warms up exec with args, then runs it b.N
// times. Besides ns/op it reports "img/s" (batch of convBenchBatch images per
// run) and "cpu-ms/op", the process CPU time per run: the machine is shared,
// and CPU time is steadier than wall time when other processes compete for
// the cores (it still includes any garbage collection and parallel workers).
func runExecBenchmark(b *testing.B, exec *Exec, args ...any) {
	b.Helper()
	for _, t := range exec.MustExec(args...) { // Compiles the graph and warms up.
		_ = t.FinalizeAll()
	}
	b.ResetTimer()
	cpu0 := processCPUTime()
	start := time.Now()
	for range b.N {
		for _, t := range exec.MustExec(args...) {
			_ = t.FinalizeAll()
		}
	}
	wall := time.Since(start)
	cpu := processCPUTime() - cpu0
	b.ReportMetric(float64(convBenchBatch*b.N)/wall.Seconds(), "img/s")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
}

// processCPUTime returns the user plus system CPU time used by this process.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchLowerings are the conv2D lowerings compared by the benchmarks.
var benchLowerings = []convLowering{lowerNative, lowerPatches, lowerFast}

// convBenchBatch is the batch size of the thesis' training runs.
const convBenchBatch = 32

// benchConvLayer is one convolution of a benchmarked stack, followed by a
// bias, a ReLU and a max-pool (the models' maxPool2D), as in the thesis' CNNs.
type benchConvLayer struct {
	filters, kernel int
	padding         Padding
	poolWindow      int // 0: no pooling.
	poolStride      int
}

// benchConvStack is the convolutional part of one of the thesis' CNNs (without
// BatchNorm, Dropout and the final Dense, which are not convolutions).
type benchConvStack struct {
	name          string
	height, width int
	layers        []benchConvLayer
}

// benchConvStacks are the convolutional parts of mnist-cnn (chapter 6) and
// fer-cnn (chapter 8); see /work/shared/thesis/README.md.
var benchConvStacks = []benchConvStack{
	{name: "mnist-cnn", height: 28, width: 28, layers: []benchConvLayer{
		{256, 3, Valid, 2, 2},
		{128, 2, Valid, 2, 2},
		{64, 2, Same, 2, 2},
		{64, 2, Same, 2, 2},
	}},
	{name: "fer-cnn", height: 48, width: 48, layers: []benchConvLayer{
		{64, 3, Same, 3, 2},
		{64, 3, Same, 3, 2},
		{256, 3, Same, 3, 2},
		{256, 3, Same, 3, 2},
	}},
}

// params returns random kernels and biases (float32) for the stack.
func (s benchConvStack) params(rng *rand.Rand) []*tensors.Tensor {
	var ps []*tensors.Tensor
	cin := 1
	for _, l := range s.layers {
		ps = append(ps,
			randomTensor(rng, dtypes.Float32, l.kernel, l.kernel, cin, l.filters),
			randomTensor(rng, dtypes.Float32, l.filters))
		cin = l.filters
	}
	return ps
}

// trainStepGraph returns the graph of one training step of the stack: the
// forward pass, a scalar loss and the gradients w.r.t. all kernels and biases.
func (s benchConvStack) trainStepGraph(inputs []*Node) []*Node {
	x, params := inputs[0], inputs[1:]
	for i, l := range s.layers {
		kernel, bias := params[2*i], params[2*i+1]
		x = conv2D(x, kernel, 1, l.padding)
		x = Add(x, ExpandLeftToRank(bias, 4))
		// The models' ReLU (fastops.go) and pooling (pool.go), in the models' order
		// (the ReLU after the pool on the Go backend, see reluCommutesWithNext).
		reluLast := l.poolWindow > 0 && useFastOps(x)
		if !reluLast {
			x = relu(x)
		}
		if l.poolWindow > 0 {
			x = maxPool2D(x, l.poolWindow, l.poolStride, Valid)
		}
		if reluLast {
			x = relu(x)
		}
	}
	loss := ReduceAllMean(Mul(x, x))
	return Gradient(loss, params...)
}

// BenchmarkConvTrainStep measures a training step (forward and backward) of
// the convolutional layers of mnist-cnn and fer-cnn at batch 32 on the Go
// backend, with GoMLX's native Convolve and with the im2col lowering. The
// "img/s" metric is the training throughput.
//
//	go test ./fer -run '^$' -bench ConvTrainStep -benchtime 5x
//	GOEXPERIMENT=simd go test ./fer -run '^$' -bench ConvTrainStep -benchtime 5x
func BenchmarkConvTrainStep(b *testing.B) {
	backend := goBackendForTest(b)
	for _, s := range benchConvStacks {
		for _, lowering := range benchLowerings {
			b.Run(fmt.Sprintf("%s/%s", s.name, lowering), func(b *testing.B) {
				defer func(saved convLowering) { convLoweringOverride = saved }(convLoweringOverride)
				convLoweringOverride = lowering
				rng := rand.New(rand.NewPCG(1, 2))
				inputs := append([]*tensors.Tensor{
					randomTensor(rng, dtypes.Float32, convBenchBatch, s.height, s.width, 1),
				}, s.params(rng)...)
				args := make([]any, len(inputs))
				for i, t := range inputs {
					args[i] = t
				}
				runExecBenchmark(b, MustNewExec(backend, s.trainStepGraph), args...)
			})
		}
	}
}

// BenchmarkConvLayer measures forward and backward (gradients w.r.t. input and
// kernel) of each convolution of mnist-cnn and fer-cnn alone, at the input
// shape it has in the model, batch 32.
//
//	go test ./fer -run '^$' -bench ConvLayer -benchtime 10x
func BenchmarkConvLayer(b *testing.B) {
	backend := goBackendForTest(b)
	for _, s := range benchConvStacks {
		h, w, cin := s.height, s.width, 1
		for i, l := range s.layers {
			layerH, layerW, layerCin := h, w, cin
			for _, lowering := range benchLowerings {
				name := fmt.Sprintf("%s/conv%d_%dx%dx%d_k%d_%d/%s", s.name, i+1, layerH, layerW, layerCin, l.kernel, l.filters, lowering)
				b.Run(name, func(b *testing.B) {
					defer func(saved convLowering) { convLoweringOverride = saved }(convLoweringOverride)
					convLoweringOverride = lowering
					rng := rand.New(rand.NewPCG(1, 2))
					x := randomTensor(rng, dtypes.Float32, convBenchBatch, layerH, layerW, layerCin)
					k := randomTensor(rng, dtypes.Float32, l.kernel, l.kernel, layerCin, l.filters)
					runExecBenchmark(b, MustNewExec(backend, func(x, k *Node) []*Node {
						y := conv2D(x, k, 1, l.padding)
						return Gradient(ReduceAllMean(Mul(y, y)), x, k)
					}), x, k)
				})
			}
			_, _, h, _ = kerasPadding(h, l.kernel, 1, l.padding)
			_, _, w, _ = kerasPadding(w, l.kernel, 1, l.padding)
			if l.poolWindow > 0 {
				h = (h-l.poolWindow)/l.poolStride + 1
				w = (w-l.poolWindow)/l.poolStride + 1
			}
			cin = l.filters
		}
	}
}

// BenchmarkModelTrainStep measures whole training steps (forward, backward,
// Adam) of mnist-cnn and fer-cnn at batch 32 through Model.Bench, on the
// project's default backend, reporting "img/s" and "cpu-ms/op" like the conv
// benchmarks. It is the benchmark to profile where a model's time goes:
//
//	GOEXPERIMENT=simd GOMAXPROCS=1 go test ./fer -run '^$' -bench ModelTrainStep -benchtime 8x -cpuprofile cpu.prof
//	go tool pprof -top -cum fer.test cpu.prof
//
// $FER_CONV selects the convolution lowering (see ConvLoweringEnv).
func BenchmarkModelTrainStep(b *testing.B) {
	for _, name := range []string{"mnist-cnn", "fer-cnn"} {
		b.Run(name, func(b *testing.B) {
			m, err := New(name)
			if err != nil {
				b.Fatal(err)
			}
			// Compiles the graphs and warms up.
			if _, err := m.Bench(BenchOptions{Batch: convBenchBatch, Steps: 1, Warmup: 2}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu0 := processCPUTime()
			r, err := m.Bench(BenchOptions{Batch: convBenchBatch, Steps: b.N})
			if err != nil {
				b.Fatal(err)
			}
			cpu := processCPUTime() - cpu0
			b.ReportMetric(r.ImagesPerSec, "img/s")
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}
