package fer

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Stochastic weight averaging (SWA; Izmailov et al., "Averaging Weights
// Leads to Wider Optima and Better Generalization", 2018): train on at a
// constant, moderate learning rate, keep the weights at the end of every
// epoch, and use their mean. The mean lies nearer the centre of the wide
// region of low loss that those epochs wander around than any one of them.
// The averaged network's BatchNorm moving averages then no longer describe
// its activations, so they are estimated again (UpdateBatchNorm).
//
// GoMLX has no weight averaging for this project's checkpoint files
// (fer/checkpoint.go writes its own format), hence these two functions.

// CheckpointFile is one checkpoint file of a directory.
type CheckpointFile struct {
	Path  string
	Epoch int // epochs done when it was saved
}

// ListCheckpoints returns the checkpoint files in dir (named
// epoch-NNNNNN.ckpt), oldest first; none if dir does not exist. It does not
// read them.
func ListCheckpoints(dir string) ([]CheckpointFile, error) {
	list, err := listCheckpoints(dir)
	if err != nil {
		return nil, fmt.Errorf("fer: %w", err)
	}
	out := make([]CheckpointFile, len(list))
	for i, e := range list {
		out[len(list)-1-i] = CheckpointFile{Path: e.path, Epoch: e.epoch}
	}
	return out, nil
}

// AverageCheckpoints restores the last of paths into m (like LoadCheckpoint
// does a directory's newest: weights, optimizer state, epochs done, history)
// and then sets every layer weight — the trainable ones and the BatchNorm
// moving averages — to its mean over all of paths, computed in float64.
// All files must hold the same model (same layers) with the same
// variables; the optimizer state and counters stay those of the last file.
// Call UpdateBatchNorm afterwards to re-estimate the moving averages for
// the averaged weights.
func (m *Model) AverageCheckpoints(paths ...string) (err error) {
	defer recoverError(&err, "fer: AverageCheckpoints")
	if len(paths) == 0 {
		return fmt.Errorf("fer: AverageCheckpoints: no checkpoint files given")
	}
	var sums map[string][]float64
	var last *ckptFile
	for i, p := range paths {
		ck, err := readCheckpoint(p)
		if err != nil {
			return fmt.Errorf("fer: AverageCheckpoints: %w", err)
		}
		if err := m.checkSignature(ck); err != nil {
			return fmt.Errorf("fer: AverageCheckpoints: %w", err)
		}
		weights := map[string]*tensors.Tensor{}
		for _, v := range ck.vars {
			if m.isModelWeight(v.path) {
				weights[v.path] = v.t
			}
		}
		if i == 0 {
			sums = map[string][]float64{}
			for _, v := range ck.vars {
				if !m.isModelWeight(v.path) {
					continue
				}
				if v.t.DType() != dtypes.Float32 {
					return fmt.Errorf("fer: AverageCheckpoints: %s: variable %s is %s; only float32 weights can be averaged", p, v.path, v.t.DType())
				}
				sums[v.path] = make([]float64, v.t.Shape().Size())
			}
			if len(sums) == 0 {
				return fmt.Errorf("fer: AverageCheckpoints: %s holds no layer weights", p)
			}
		}
		if len(weights) != len(sums) {
			return fmt.Errorf("fer: AverageCheckpoints: %s holds %d layer weights, %s %d", p, len(weights), paths[0], len(sums))
		}
		for path, t := range weights {
			sum, ok := sums[path]
			if !ok {
				return fmt.Errorf("fer: AverageCheckpoints: %s holds weight %s, which %s does not", p, path, paths[0])
			}
			if t.DType() != dtypes.Float32 || t.Shape().Size() != len(sum) {
				return fmt.Errorf("fer: AverageCheckpoints: %s: weight %s is %s, in %s it has %d float32 values", p, path, t.Shape(), paths[0], len(sum))
			}
			tensors.MustConstFlatData(t, func(flat []float32) {
				for k, x := range flat {
					sum[k] += float64(x)
				}
			})
		}
		last = ck
	}
	if err := m.restoreFile(last); err != nil {
		return fmt.Errorf("fer: AverageCheckpoints: %w", err)
	}
	n := float64(len(paths))
	var mean []namedTensor
	for _, v := range last.vars {
		sum, ok := sums[v.path]
		if !ok {
			continue
		}
		t := tensors.FromShape(v.t.Shape())
		tensors.MustMutableFlatData(t, func(flat []float32) {
			for k := range flat {
				flat[k] = float32(sum[k] / n)
			}
		})
		mean = append(mean, namedTensor{path: v.path, trainable: v.trainable, t: t})
	}
	if err := m.restoreWeights(mean); err != nil {
		return fmt.Errorf("fer: AverageCheckpoints: %w", err)
	}
	return nil
}

// UpdateBatchNorm re-estimates the moving mean and variance of every
// BatchNormalization layer for the model's current weights: it runs the
// examples of d (shuffled with the model's seed, augmented with aug if not
// nil, the last incomplete batch left out) through the network in training
// mode — batch statistics, dropout on — in batches of batchSize (0: 32),
// and sets each layer's averages to the plain mean, over the batches, of
// the batch means and variances it computed (not the momentum average of
// training, which would remember its starting values after a short pass:
// "precise BatchNorm", as SWA's bn_update does). No other weight changes;
// labels are not needed.
func (m *Model) UpdateBatchNorm(d Data, batchSize int, aug *Augment) (err error) {
	defer recoverError(&err, "fer: UpdateBatchNorm")
	if err := d.checkFor(m, false); err != nil {
		return fmt.Errorf("fer: UpdateBatchNorm: %w", err)
	}
	if batchSize < 0 {
		return fmt.Errorf("fer: UpdateBatchNorm: batchSize must be positive, got %d", batchSize)
	}
	if batchSize == 0 {
		batchSize = 32
	}
	if d.Len() < batchSize {
		return fmt.Errorf("fer: UpdateBatchNorm: %d examples, fewer than one batch of %d", d.Len(), batchSize)
	}
	if err := aug.Validate(); err != nil {
		return fmt.Errorf("fer: UpdateBatchNorm: %w", err)
	}
	if aug != nil {
		if err := aug.checkShape(d.Shape); err != nil {
			return fmt.Errorf("fer: UpdateBatchNorm: %w", err)
		}
	}
	if err := m.ensureBackend(); err != nil {
		return fmt.Errorf("fer: UpdateBatchNorm: %w", err)
	}
	// The moving averages: their variables exist once a graph was built.
	if len(m.bnAverages()) == 0 {
		if _, _, err := m.runLogits(Data{X: d.X[:d.exampleSize()], Shape: d.Shape}); err != nil {
			return fmt.Errorf("fer: UpdateBatchNorm: %w", err)
		}
	}
	avgs := m.bnAverages()
	if len(avgs) == 0 {
		return fmt.Errorf("fer: UpdateBatchNorm: model %q has no BatchNormalization layer", m.name)
	}
	// The training-mode graph also advances dropout's random state: every
	// variable but the averages is put back afterwards, and all of them if
	// the pass fails, so the model is never left half-updated.
	before, err := m.snapshot(nil)
	if err != nil {
		return fmt.Errorf("fer: UpdateBatchNorm: %w", err)
	}
	isAverage := map[string]bool{}
	for _, a := range avgs {
		isAverage[a.v.Path()] = true
	}
	done := false
	defer func() {
		var keep []namedTensor
		for _, v := range before {
			if !done || !isAverage[v.path] {
				keep = append(keep, v)
			}
		}
		if rerr := m.restoreWeights(keep); rerr != nil && err == nil {
			err = fmt.Errorf("fer: UpdateBatchNorm: restoring the other variables: %w", rerr)
		}
	}()
	// The graph runs the layers in training mode; the BatchNormalization
	// layers' moving averages, updated in the graph, are written back to
	// the store by the executor after every call. Each is zero before a
	// call, so after it it is (1-momentum) times the batch's statistic.
	exec, err := model.NewExec(m.backend, m.store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		m.store.SetTraining(x.Graph(), true)
		return graph.ReduceAllSum(m.logits(scope, x))
	})
	if err != nil {
		return fmt.Errorf("fer: UpdateBatchNorm: %w", err)
	}
	defer exec.Finalize()
	order := make([]int, d.Len())
	for i := range order {
		order[i] = i
	}
	// Epoch 0: a shuffle and augmentation that no training epoch (1, 2, …) uses.
	rand.New(rand.NewPCG(uint64(m.seed), 0)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	batches := 0
	for s := 0; s+batchSize <= len(order); s += batchSize {
		idx := slices.Clone(order[s : s+batchSize])
		x, _ := batchTensors(d, idx, batchSize)
		if aug != nil {
			if err := m.augmentBatch(x, d.Shape, idx, 0, aug); err != nil {
				return fmt.Errorf("fer: UpdateBatchNorm: augmenting batch %d: %w", s/batchSize+1, err)
			}
		}
		for _, a := range avgs {
			if err := a.v.SetValue(tensors.FromShape(a.v.Shape())); err != nil {
				return fmt.Errorf("fer: UpdateBatchNorm: %s: %w", a.v.Path(), err)
			}
		}
		res, err := exec.Call(x)
		_ = x.FinalizeAll()
		if err != nil {
			return fmt.Errorf("fer: UpdateBatchNorm: batch %d: %w", s/batchSize+1, err)
		}
		for _, t := range res {
			_ = t.FinalizeAll()
		}
		for _, a := range avgs {
			if err := a.add(); err != nil {
				return fmt.Errorf("fer: UpdateBatchNorm: %s: %w", a.v.Path(), err)
			}
		}
		batches++
	}
	for _, a := range avgs {
		t := tensors.FromShape(a.v.Shape())
		tensors.MustMutableFlatData(t, func(flat []float32) {
			for k := range flat {
				flat[k] = float32(a.sum[k] / float64(batches))
			}
		})
		if err := a.v.SetValue(t); err != nil {
			return fmt.Errorf("fer: UpdateBatchNorm: %s: %w", a.v.Path(), err)
		}
	}
	done = true
	return nil
}

// bnAverage is one BatchNormalization moving average being re-estimated.
type bnAverage struct {
	v     *model.Variable
	scale float64   // 1/(1-momentum)
	sum   []float64 // of the batches' statistics
}

// add adds to sum the statistic that the variable, zeroed before the
// batch, now holds times (1-momentum).
func (a *bnAverage) add() error {
	t, err := a.v.Value()
	if err != nil {
		return err
	}
	flat, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return err
	}
	if a.sum == nil {
		a.sum = make([]float64, len(flat))
	}
	for k, x := range flat {
		a.sum[k] += float64(x) * a.scale
	}
	return nil
}

// bnAverages returns the moving-average variables of the model's
// BatchNormalization layers that exist in its store.
func (m *Model) bnAverages() []*bnAverage {
	var out []*bnAverage
	for i, l := range m.layers {
		bn, ok := l.(BatchNormalization)
		if !ok {
			continue
		}
		momentum := bn.momentum()
		for _, name := range []string{"moving_mean", "moving_variance"} {
			if v := m.store.GetVariable("/" + m.names[i] + "/" + name); v != nil {
				out = append(out, &bnAverage{v: v, scale: 1 / (1 - momentum)})
			}
		}
	}
	return out
}
