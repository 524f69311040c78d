package fer

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"
)

// BenchOptions configures Bench.
type BenchOptions struct {
	// Batch is the batch size (default 32).
	Batch int
	// Steps is the number of timed steps (default 20).
	Steps int
	// Warmup steps run before timing, to compile the graphs and warm caches
	// (the first step compiles; the command line runs 2 by default).
	Warmup int
	// Infer times inference (the forward pass) instead of training steps
	// (forward, back-propagation and the optimizer's update).
	Infer bool
}

// BenchResult is what Bench measured.
type BenchResult struct {
	Model          string
	Backend        string // the backend's configuration, e.g. "go"
	Infer          bool
	Batch, Steps   int
	Seconds        float64 // wall time of the timed steps
	ImagesPerSec   float64 // Batch*Steps/Seconds
	SecondsPerStep float64 // Seconds/Steps
}

// String formats the result in one line.
func (r BenchResult) String() string {
	what := "training (forward+backward+optimizer)"
	if r.Infer {
		what = "inference"
	}
	return fmt.Sprintf("%s %s on %s: batch %d, %d steps in %.2fs: %.1f images/s (%.0f ms/step)",
		r.Model, what, r.Backend, r.Batch, r.Steps, r.Seconds, r.ImagesPerSec, 1000*r.SecondsPerStep)
}

// Bench measures the speed of training (or inference) of m on random
// inputs: it runs opts.Warmup untimed steps, then opts.Steps timed ones. It
// trains with the model's compiled optimizer (Adam(0.001) if not compiled),
// so it changes the model's weights.
func (m *Model) Bench(opts BenchOptions) (r BenchResult, err error) {
	defer recoverError(&err, "fer: Bench")
	if opts.Batch < 0 || opts.Steps < 0 || opts.Warmup < 0 {
		return r, errors.New("fer: Bench: batch, steps and warmup must not be negative")
	}
	batch := max(opts.Batch, 0)
	if batch == 0 {
		batch = 32
	}
	steps := opts.Steps
	if steps == 0 {
		steps = 20
	}
	warmup := opts.Warmup
	if err := m.ensureCompiled(); err != nil {
		return r, err
	}
	if err := m.ensureBackend(); err != nil {
		return r, fmt.Errorf("fer: Bench: %w", err)
	}
	backendName := m.backend.Name()
	if _, choice, err := Backend(); err == nil && m.backend == defaultBackend {
		backendName = choice.Config
	}
	r = BenchResult{Model: m.name, Backend: backendName, Infer: opts.Infer, Batch: batch, Steps: steps}

	// Random inputs (pixel-like values) and labels, built before timing.
	rng := rand.New(rand.NewPCG(uint64(m.seed), 99))
	n := prod(m.input)
	d := Data{X: make([]float32, batch*n), Shape: m.InputShape(), Y: make([]int32, batch)}
	for i := range d.X {
		d.X[i] = float32(rng.IntN(256))
	}
	classes := m.numClasses()
	for i := range d.Y {
		d.Y[i] = int32(rng.IntN(classes))
	}
	idx := make([]int, batch)
	for i := range idx {
		idx[i] = i
	}

	if opts.Infer {
		if err := m.ensureLogitsExec(); err != nil {
			return r, fmt.Errorf("fer: Bench: %w", err)
		}
		x, _ := batchTensors(d, idx, batch)
		defer func() { _ = x.FinalizeAll() }()
		run := func() error {
			out, err := m.logitsExec.Call(x)
			for _, t := range out {
				_ = t.FinalizeAll()
			}
			return err
		}
		for range warmup {
			if err := run(); err != nil {
				return r, fmt.Errorf("fer: Bench: %w", err)
			}
		}
		start := time.Now()
		for range steps {
			if err := run(); err != nil {
				return r, fmt.Errorf("fer: Bench: %w", err)
			}
		}
		r.Seconds = time.Since(start).Seconds()
	} else {
		if err := m.ensureTrainer(); err != nil {
			return r, fmt.Errorf("fer: Bench: %w", err)
		}
		// TrainStep takes ownership of (and frees) its batch: one per step.
		batches := make([]train.Batch, warmup+steps)
		for i := range batches {
			x, y := batchTensors(d, idx, batch)
			batches[i] = train.Batch{Inputs: []*tensors.Tensor{x}, Labels: []*tensors.Tensor{y}}
		}
		run := func(b train.Batch) error {
			metrics, err := m.trainer.TrainStep(b)
			for _, t := range metrics {
				_ = t.FinalizeAll()
			}
			return err
		}
		for _, b := range batches[:warmup] {
			if err := run(b); err != nil {
				return r, fmt.Errorf("fer: Bench: %w", err)
			}
		}
		start := time.Now()
		for _, b := range batches[warmup:] {
			if err := run(b); err != nil {
				return r, fmt.Errorf("fer: Bench: %w", err)
			}
		}
		r.Seconds = time.Since(start).Seconds()
	}
	r.SecondsPerStep = r.Seconds / float64(steps)
	r.ImagesPerSec = float64(batch*steps) / r.Seconds
	return r, nil
}
