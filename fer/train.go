package fer

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// Optimizer is a training optimizer: SGD, SGD with (Nesterov) momentum,
// Adam or AdamW.
type Optimizer struct {
	kind        string  // "sgd", "sgd-momentum" or "adam"
	lr          float64 // learning rate
	momentum    float64 // sgd-momentum only
	nesterov    bool    // sgd-momentum only
	weightDecay float64 // adam only: decoupled weight decay (AdamW)
}

// SGDMomentum is stochastic gradient descent with momentum, like
// keras.optimizers.SGD(learning_rate=lr, momentum=momentum,
// nesterov=nesterov); the thesis fine-tunes its ResNet-50 with
// SGDMomentum(1e-4, 0.9, true). It is NesterovSGD (Keras's update rule).
func SGDMomentum(lr, momentum float64, nesterov bool) Optimizer {
	if lr <= 0 {
		lr = 0.01
	}
	return Optimizer{kind: "sgd-momentum", lr: lr, momentum: momentum, nesterov: nesterov}
}

// SGD is plain stochastic gradient descent with a constant learning rate,
// like keras.optimizers.SGD(learning_rate=lr) (the thesis's circles lab uses
// 0.01). A non-positive lr means Keras's default, 0.01.
func SGD(lr float64) Optimizer {
	if lr <= 0 {
		lr = 0.01
	}
	return Optimizer{kind: "sgd", lr: lr}
}

// Adam is the Adam optimizer with Keras's defaults (beta1 0.9, beta2 0.999,
// epsilon 1e-7). A non-positive lr means Keras's default, 0.001.
//
// It is GoMLX's Adam, which adds epsilon to the square root of the debiased
// second moment; Keras adds it before debiasing. With epsilon 1e-7 the two
// differ only when gradients are vanishingly small.
func Adam(lr float64) Optimizer {
	if lr <= 0 {
		lr = 0.001
	}
	return Optimizer{kind: "adam", lr: lr}
}

// AdamW is Adam with decoupled weight decay (Loshchilov and Hutter, 2019),
// like keras.optimizers.AdamW(learning_rate=lr, weight_decay=weightDecay):
// after Adam's step, every trainable variable w also moves by
// -lr·weightDecay·w, lr being the current learning rate (so a learning-rate
// schedule scales the decay too). It is not an L2 penalty in the loss: the
// decay does not go through Adam's moments, and the reported loss does not
// include it. As in Keras and GoMLX, every trainable variable decays,
// biases and batch-normalization scales and offsets included. A
// non-positive lr means 0.001; weightDecay must not be negative (Keras's
// default is 0.004).
func AdamW(lr, weightDecay float64) Optimizer {
	o := Adam(lr)
	o.weightDecay = weightDecay
	return o
}

// WeightDecay returns the optimizer's decoupled weight decay (AdamW), or 0.
func (o Optimizer) WeightDecay() float64 { return o.weightDecay }

// String returns e.g. "Adam(lr=0.001)".
func (o Optimizer) String() string {
	switch o.kind {
	case "sgd":
		return fmt.Sprintf("SGD(lr=%g)", o.lr)
	case "sgd-momentum":
		return fmt.Sprintf("SGD(lr=%g, momentum=%g, nesterov=%t)", o.lr, o.momentum, o.nesterov)
	case "adam":
		if o.weightDecay != 0 {
			return fmt.Sprintf("AdamW(lr=%g, weight_decay=%g)", o.lr, o.weightDecay)
		}
		return fmt.Sprintf("Adam(lr=%g)", o.lr)
	}
	return "Optimizer(unset)"
}

// LearningRate returns the optimizer's learning rate.
func (o Optimizer) LearningRate() float64 { return o.lr }

// build returns the GoMLX optimizer.
func (o Optimizer) build() (optimizer.Interface, error) {
	switch o.kind {
	case "sgd":
		// GoMLX's SGD decays the rate as 1/sqrt(step) by default; Keras's does not.
		return optimizer.StochasticGradientDescent().WithLearningRate(o.lr).WithDecay(false).Done(), nil
	case "sgd-momentum":
		if o.momentum < 0 || o.momentum >= 1 {
			return nil, fmt.Errorf("SGDMomentum: momentum must be in [0, 1), got %g", o.momentum)
		}
		return NesterovSGD{LearningRate: o.lr, Momentum: o.momentum, Classical: !o.nesterov}, nil
	case "adam":
		if !(o.weightDecay >= 0) || math.IsInf(o.weightDecay, 0) {
			return nil, fmt.Errorf("AdamW: weight decay must be a non-negative number, got %g", o.weightDecay)
		}
		a := optimizer.Adam().LearningRate(o.lr).Betas(0.9, 0.999).Epsilon(1e-7)
		if o.weightDecay > 0 {
			a = a.WeightDecay(o.weightDecay)
		}
		return a.Done(), nil
	}
	return nil, errors.New("no optimizer: use fer.SGD(lr), fer.SGDMomentum(lr, momentum, nesterov) or fer.Adam(lr)")
}

// Loss names a training loss. Both are computed from the model's logits
// (Keras's from_logits=True), which is the numerically stable form of the
// same function.
type Loss string

const (
	// BinaryCrossEntropy is for models with one sigmoid output and 0/1
	// labels (keras.losses.binary_crossentropy).
	BinaryCrossEntropy Loss = "binary_crossentropy"
	// SparseCategoricalCrossEntropy is for models with a softmax output over
	// the classes and integer labels
	// (keras.losses.sparse_categorical_crossentropy).
	SparseCategoricalCrossEntropy Loss = "sparse_categorical_crossentropy"
)

// Compile sets the optimizer and the loss used by Fit and Evaluate, like
// Keras's model.compile. An empty loss is chosen from the output: one
// output means BinaryCrossEntropy, more mean SparseCategoricalCrossEntropy.
// Fit on a model that was not compiled uses Adam(0.001) and that default
// loss. Recompiling keeps the weights but starts a new optimizer state.
func (m *Model) Compile(opt Optimizer, l Loss) error {
	if _, err := opt.build(); err != nil {
		return fmt.Errorf("fer: Compile: %w", err)
	}
	out := m.OutputShape()
	units := out[len(out)-1]
	if l == "" {
		l = SparseCategoricalCrossEntropy
		if units == 1 {
			l = BinaryCrossEntropy
		}
	}
	switch l {
	case BinaryCrossEntropy:
		if units != 1 || m.head == ActSoftmax {
			return fmt.Errorf("fer: Compile: %s needs a single sigmoid (or linear) output, model %q outputs %v with %s", l, m.name, out, m.OutputActivation())
		}
	case SparseCategoricalCrossEntropy:
		if units < 2 || m.head == ActSigmoid {
			return fmt.Errorf("fer: Compile: %s needs a softmax (or linear) output over 2 or more classes, model %q outputs %v with %s", l, m.name, out, m.OutputActivation())
		}
	default:
		return fmt.Errorf("fer: Compile: unknown loss %q (want %q or %q)", l, BinaryCrossEntropy, SparseCategoricalCrossEntropy)
	}
	if len(out) != 1 {
		return fmt.Errorf("fer: Compile: model %q outputs %v per example; classification needs a vector (add a Flatten)", m.name, out)
	}
	m.optimizer, m.loss, m.compiled = opt, l, true
	m.trainer = nil
	return nil
}

// ensureCompiled compiles with the defaults if Compile was not called.
func (m *Model) ensureCompiled() error {
	if m.compiled {
		return nil
	}
	return m.Compile(Adam(0.001), "")
}

// ensureBackend picks the process-wide backend if none was set.
func (m *Model) ensureBackend() error {
	if m.backend != nil {
		return nil
	}
	b, _, err := Backend()
	if err != nil {
		return err
	}
	m.backend = b
	return nil
}

// ensureTrainer creates the GoMLX trainer for the compiled loss and optimizer.
func (m *Model) ensureTrainer() error {
	if m.trainer != nil {
		return nil
	}
	opt, err := m.optimizer.build()
	if err != nil {
		return err
	}
	lossFn, accFn := loss.SparseCategoricalCrossEntropyLogits, metric.SparseCategoricalAccuracyGraph
	if m.loss == BinaryCrossEntropy {
		lossFn, accFn = loss.BinaryCrossentropyLogits, metric.BinaryLogitsAccuracyGraph
	}
	if eps := m.labelSmoothing(); eps != 0 {
		lossFn = smoothedLoss(m.loss, eps)
	}
	// The batch accuracy is the third train metric, after GoMLX's batch loss
	// and its moving average; Fit averages both over the epoch as Keras does.
	acc := metric.NewBaseMetric("Accuracy", "acc", metric.AccuracyMetricType, accFn, nil)
	m.trainer = train.NewTrainer(m.backend, m.store, m.logits, lossFn, opt, []metric.Interface{acc}, nil)
	return nil
}

// EarlyStopping stops training when the monitored loss (val_loss, or the
// training loss without validation data) has not improved for Patience
// epochs, like keras.callbacks.EarlyStopping.
type EarlyStopping struct {
	// Patience is the number of epochs without improvement after which
	// training stops (Keras's patience: 0 stops at the first one).
	Patience int
	// MinDelta is the smallest decrease that counts as an improvement.
	MinDelta float64
	// RestoreBest puts back the weights of the best epoch when training ends
	// (like Keras 3's restore_best_weights, also when it ends without stopping early).
	RestoreBest bool
}

// FitOptions configures Fit.
type FitOptions struct {
	// Epochs to train: how many more epochs the model trains in this call,
	// like Keras. With CheckpointDir it is instead the total for the run,
	// counting the epochs already saved there, so re-running an
	// interrupted run finishes it instead of adding epochs.
	Epochs int
	// BatchSize defaults to 32, like Keras. The last batch of an epoch may be
	// smaller.
	BatchSize int
	// Validation data, evaluated at the end of every epoch (optional).
	Validation *Data
	// NoShuffle keeps the training examples in order. By default they are
	// shuffled every epoch, with an order fixed by the model's seed and the
	// epoch number (so a resumed run sees the same order).
	NoShuffle bool
	// CheckpointDir, if set, is where the model, its optimizer state and the
	// history are saved after every epoch. If it already holds a checkpoint
	// of this model, Fit first restores it and continues from the epoch after
	// it.
	CheckpointDir string
	// KeepCheckpoints is how many of the newest checkpoints Fit leaves in
	// CheckpointDir (0: two). Stochastic weight averaging
	// (Model.AverageCheckpoints) keeps one per epoch it averages.
	KeepCheckpoints int
	// EarlyStopping, if set, may end training before Epochs.
	EarlyStopping *EarlyStopping
	// Progress is where the per-epoch progress goes: os.Stdout when nil. Use
	// io.Discard to silence it.
	Progress io.Writer

	// Augment, if set, augments every training example anew each epoch
	// (see Augment); the validation data is not augmented.
	Augment *Augment
	// LabelSmoothing, in [0, 1), smooths the training targets as Keras's
	// label_smoothing: with K classes the target of an example of class y
	// is (1-ε)·onehot(y) + ε/K (binary models: y·(1-ε) + ε/2). It changes
	// the training loss only (History.Loss is the smoothed loss); val_loss,
	// Evaluate, early stopping and ReduceLROnPlateau use the plain
	// cross-entropy, unlike Keras, whose compiled loss smooths val_loss too.
	LabelSmoothing float64
	// CosineDecay, if set, schedules the learning rate per epoch (see
	// CosineDecay).
	CosineDecay *CosineDecay
	// ReduceLROnPlateau, if set, lowers the learning rate when the monitored
	// loss stops improving (see ReduceLROnPlateau).
	ReduceLROnPlateau *ReduceLROnPlateau
}

// EpochMetrics are the results of one training epoch.
type EpochMetrics struct {
	Epoch          int     // 1-based
	Loss, Accuracy float64 // mean over the epoch's batches, weighted by batch size
	// ValLoss and ValAccuracy are NaN when HasValidation is false.
	ValLoss, ValAccuracy float64
	HasValidation        bool
	Seconds              float64 // wall time of the epoch, validation included
	// LearningRate is the optimizer's learning rate during the epoch (NaN
	// for epochs restored from checkpoints that did not record it).
	LearningRate float64
}

// History holds per-epoch metrics as parallel slices, ready to plot.
type History struct {
	Epoch       []int     // 1-based epoch numbers
	Loss        []float64 // training loss (mean over the epoch)
	Accuracy    []float64 // training accuracy (mean over the epoch)
	ValLoss     []float64 // NaN for epochs without validation
	ValAccuracy []float64 // NaN for epochs without validation
	Seconds     []float64 // wall time per epoch
	// LearningRate is the learning rate of each epoch (NaN where unknown:
	// epochs restored from checkpoints written before it was recorded).
	LearningRate []float64
	// BestEpoch is the epoch whose weights early stopping kept (RestoreBest),
	// or 0.
	BestEpoch int
	// StoppedEarly tells whether early stopping ended the run.
	StoppedEarly bool
}

// Len returns the number of epochs in h.
func (h History) Len() int { return len(h.Epoch) }

// At returns the metrics of the i-th epoch held in h (0-based index).
func (h History) At(i int) EpochMetrics {
	lr := math.NaN()
	if i < len(h.LearningRate) {
		lr = h.LearningRate[i]
	}
	return EpochMetrics{
		Epoch: h.Epoch[i], Loss: h.Loss[i], Accuracy: h.Accuracy[i],
		ValLoss: h.ValLoss[i], ValAccuracy: h.ValAccuracy[i],
		HasValidation: !math.IsNaN(h.ValLoss[i]), Seconds: h.Seconds[i],
		LearningRate: lr,
	}
}

// Last returns the metrics of the last epoch; h must not be empty.
func (h History) Last() EpochMetrics { return h.At(h.Len() - 1) }

// HasValidation tells whether any epoch was validated.
func (h History) HasValidation() bool {
	return slices.ContainsFunc(h.ValLoss, func(v float64) bool { return !math.IsNaN(v) })
}

// String returns one line per epoch.
func (h History) String() string {
	var sb strings.Builder
	for i := range h.Len() {
		e := h.At(i)
		fmt.Fprintf(&sb, "epoch %d: loss %.4f accuracy %.4f", e.Epoch, e.Loss, e.Accuracy)
		if e.HasValidation {
			fmt.Fprintf(&sb, " val_loss %.4f val_accuracy %.4f", e.ValLoss, e.ValAccuracy)
		}
		fmt.Fprintf(&sb, " (%.1fs)\n", e.Seconds)
	}
	return sb.String()
}

func (h *History) add(e EpochMetrics) {
	h.Epoch = append(h.Epoch, e.Epoch)
	h.Loss = append(h.Loss, e.Loss)
	h.Accuracy = append(h.Accuracy, e.Accuracy)
	h.ValLoss = append(h.ValLoss, e.ValLoss)
	h.ValAccuracy = append(h.ValAccuracy, e.ValAccuracy)
	h.Seconds = append(h.Seconds, e.Seconds)
	h.LearningRate = append(h.LearningRate, e.LearningRate)
}

func (h History) clone() History {
	h.Epoch = slices.Clone(h.Epoch)
	h.Loss = slices.Clone(h.Loss)
	h.Accuracy = slices.Clone(h.Accuracy)
	h.ValLoss = slices.Clone(h.ValLoss)
	h.ValAccuracy = slices.Clone(h.ValAccuracy)
	h.Seconds = slices.Clone(h.Seconds)
	h.LearningRate = slices.Clone(h.LearningRate)
	return h
}

// from returns the epochs of h after epoch (1-based), keeping the flags.
func (h History) from(epoch int) History {
	i := 0
	for i < h.Len() && h.Epoch[i] <= epoch {
		i++
	}
	out := h.clone()
	out.Epoch, out.Loss, out.Accuracy = out.Epoch[i:], out.Loss[i:], out.Accuracy[i:]
	out.ValLoss, out.ValAccuracy, out.Seconds = out.ValLoss[i:], out.ValAccuracy[i:], out.Seconds[i:]
	out.LearningRate = out.LearningRate[min(i, len(out.LearningRate)):]
	return out
}

// earlyState is early stopping's bookkeeping, saved in checkpoints.
type earlyState struct {
	Best      float64 // best monitored value so far
	BestEpoch int
	Wait      int  // epochs since the best
	Stopped   bool // early stopping ended the run
}

// Fit trains the model on data, like Keras's model.fit, and returns the
// history of the epochs it trained (with CheckpointDir: of the whole run,
// restored epochs included). Each epoch shuffles the examples (see
// FitOptions.NoShuffle), runs one training step per batch (forward pass,
// back-propagation and optimizer update, with dropout and batch
// normalization in training mode), evaluates the validation data if any, and
// saves a checkpoint if asked. Errors in the data or options, or from the
// backend, are returned; Fit does not panic on bad input.
func (m *Model) Fit(data Data, opts FitOptions) (h History, err error) {
	defer recoverError(&err, "fer: Fit")
	if err := data.checkFor(m, true); err != nil {
		return History{}, fmt.Errorf("fer: Fit: training data: %w", err)
	}
	if opts.Validation != nil {
		if err := opts.Validation.checkFor(m, true); err != nil {
			return History{}, fmt.Errorf("fer: Fit: validation data: %w", err)
		}
	}
	if opts.Epochs <= 0 {
		return History{}, fmt.Errorf("fer: Fit: Epochs must be positive, got %d", opts.Epochs)
	}
	if opts.BatchSize < 0 {
		return History{}, fmt.Errorf("fer: Fit: BatchSize must be positive, got %d", opts.BatchSize)
	}
	if opts.KeepCheckpoints < 0 {
		return History{}, fmt.Errorf("fer: Fit: KeepCheckpoints must not be negative, got %d", opts.KeepCheckpoints)
	}
	batchSize := cmp.Or(opts.BatchSize, 32)
	if opts.EarlyStopping != nil && (opts.EarlyStopping.Patience < 0 || opts.EarlyStopping.MinDelta < 0) {
		return History{}, fmt.Errorf("fer: Fit: EarlyStopping Patience and MinDelta must not be negative")
	}
	if err := opts.Augment.Validate(); err != nil {
		return History{}, fmt.Errorf("fer: Fit: %w", err)
	}
	if opts.Augment != nil {
		if err := opts.Augment.checkShape(data.Shape); err != nil {
			return History{}, fmt.Errorf("fer: Fit: %w", err)
		}
	}
	if !(opts.LabelSmoothing >= 0 && opts.LabelSmoothing < 1) {
		return History{}, fmt.Errorf("fer: Fit: LabelSmoothing must be in [0, 1), got %g", opts.LabelSmoothing)
	}
	if err := opts.CosineDecay.validate(); err != nil {
		return History{}, fmt.Errorf("fer: Fit: %w", err)
	}
	if err := opts.ReduceLROnPlateau.validate(); err != nil {
		return History{}, fmt.Errorf("fer: Fit: %w", err)
	}
	if err := m.ensureCompiled(); err != nil {
		return History{}, err
	}
	if err := m.ensureBackend(); err != nil {
		return History{}, fmt.Errorf("fer: Fit: %w", err)
	}
	if opts.LabelSmoothing != m.labelSmoothing() {
		// The loss is part of the training graph: build a new trainer.
		m.store.SetParam(labelSmoothingParam, opts.LabelSmoothing)
		m.trainer = nil
	}
	var out io.Writer = os.Stdout
	if opts.Progress != nil {
		out = opts.Progress
	}

	// Where this run starts and ends.
	target := m.epochs + opts.Epochs
	firstEpoch := m.epochs
	var early *earlyState
	var best []namedTensor
	if opts.EarlyStopping != nil {
		early = &earlyState{Best: math.Inf(1)}
	}
	var plateau *plateauState
	if opts.ReduceLROnPlateau != nil {
		plateau = &plateauState{Best: math.Inf(1), Scale: 1}
	}
	if opts.CheckpointDir != "" {
		ck, err := m.restoreLatest(opts.CheckpointDir)
		if err != nil {
			return History{}, fmt.Errorf("fer: Fit: %w", err)
		}
		target = opts.Epochs
		firstEpoch = 0
		if ck != nil {
			fmt.Fprintf(out, "Restored %s: %d epoch(s) done, training to epoch %d\n", ck.path, ck.header.Epoch, target)
			if early != nil && ck.header.Early != nil {
				early = ck.header.Early
				best = ck.best
			}
			if plateau != nil && ck.header.Plateau != nil {
				plateau = ck.header.Plateau
			}
			if early != nil && early.Stopped {
				fmt.Fprintf(out, "Early stopping had ended this run at epoch %d\n", m.epochs)
				return m.history.clone(), nil
			}
		}
	}
	prog := newProgress(out, target)

	if err := m.ensureTrainer(); err != nil {
		return History{}, fmt.Errorf("fer: Fit: %w", err)
	}
	if err := m.trainer.ResetTrainMetrics(); err != nil {
		return History{}, fmt.Errorf("fer: Fit: %w", err)
	}
	n := data.Len()
	steps := (n + batchSize - 1) / batchSize
	for epoch := m.epochs + 1; epoch <= target; epoch++ {
		lr := epochLearningRate(m.optimizer.lr, opts.CosineDecay, plateau, epoch, target)
		if err := m.setLearningRate(lr); err != nil {
			return m.history.from(firstEpoch), fmt.Errorf("fer: Fit: epoch %d: %w", epoch, err)
		}
		e, err := m.trainEpoch(data, opts.Validation, epoch, batchSize, steps, opts.NoShuffle, opts.Augment, prog)
		if err != nil {
			return m.history.from(firstEpoch), fmt.Errorf("fer: Fit: epoch %d: %w", epoch, err)
		}
		e.LearningRate = lr
		m.epochs = epoch
		m.history.add(e)
		prog.endEpoch(e)
		stop := false
		if early != nil {
			monitored := e.Loss
			if e.HasValidation {
				monitored = e.ValLoss
			}
			if monitored < early.Best-opts.EarlyStopping.MinDelta {
				early.Best, early.BestEpoch, early.Wait = monitored, epoch, 0
				if opts.EarlyStopping.RestoreBest {
					if best, err = m.snapshotWeights(); err != nil {
						return m.history.from(firstEpoch), fmt.Errorf("fer: Fit: %w", err)
					}
				}
			} else {
				early.Wait++
				if early.Wait >= opts.EarlyStopping.Patience {
					stop, early.Stopped = true, true
					m.history.StoppedEarly = true
				}
			}
		}
		if plateau != nil {
			monitored := e.Loss
			if e.HasValidation {
				monitored = e.ValLoss
			}
			if plateau.update(opts.ReduceLROnPlateau, monitored, m.optimizer.lr) {
				prog.note("ReduceLROnPlateau: learning rate %.4g from epoch %d", epochLearningRate(m.optimizer.lr, opts.CosineDecay, plateau, epoch+1, target), epoch+1)
			}
		}
		last := stop || epoch == target
		if last && early != nil && opts.EarlyStopping.RestoreBest && early.BestEpoch != epoch && best != nil {
			if err := m.restoreWeights(best); err != nil {
				return m.history.from(firstEpoch), fmt.Errorf("fer: Fit: restoring the best weights: %w", err)
			}
			m.history.BestEpoch = early.BestEpoch
			prog.note("Restored the weights of epoch %d (best monitored loss %.4f)", early.BestEpoch, early.Best)
		}
		if opts.CheckpointDir != "" {
			if err := m.saveCheckpoint(opts.CheckpointDir, target, early, best, plateau, cmp.Or(opts.KeepCheckpoints, ckptKeep)); err != nil {
				return m.history.from(firstEpoch), fmt.Errorf("fer: Fit: %w", err)
			}
		}
		if stop {
			prog.note("Early stopping: no improvement for %d epoch(s) after epoch %d", early.Wait, early.BestEpoch)
			break
		}
	}
	return m.history.from(firstEpoch), nil
}

// trainEpoch runs one epoch and the validation after it.
func (m *Model) trainEpoch(data Data, val *Data, epoch, batchSize, steps int, noShuffle bool, aug *Augment, prog *progress) (EpochMetrics, error) {
	n := data.Len()
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if !noShuffle {
		rng := rand.New(rand.NewPCG(uint64(m.seed), uint64(epoch)))
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	prog.beginEpoch(epoch, steps)
	start := time.Now()
	var sumLoss, sumAcc float64
	for s := range steps {
		idx := order[s*batchSize : min((s+1)*batchSize, n)]
		x, y := batchTensors(data, idx, len(idx))
		if aug != nil {
			if err := m.augmentBatch(x, data.Shape, idx, epoch, aug); err != nil {
				return EpochMetrics{}, fmt.Errorf("augmenting batch %d: %w", s+1, err)
			}
		}
		metrics, err := m.trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{x}, Labels: []*tensors.Tensor{y}})
		if err != nil {
			return EpochMetrics{}, fmt.Errorf("training step %d: %w", s+1, err)
		}
		l, a := scalarValue(metrics[0]), scalarValue(metrics[2])
		for _, t := range metrics {
			_ = t.FinalizeAll()
		}
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return EpochMetrics{}, fmt.Errorf("training step %d: the loss is %g (try a smaller learning rate)", s+1, l)
		}
		sumLoss += l * float64(len(idx))
		sumAcc += a * float64(len(idx))
		seen := float64(min((s+1)*batchSize, n))
		prog.step(s+1, sumLoss/float64(seen), sumAcc/float64(seen))
	}
	e := EpochMetrics{Epoch: epoch, Loss: sumLoss / float64(n), Accuracy: sumAcc / float64(n), ValLoss: math.NaN(), ValAccuracy: math.NaN()}
	if val != nil {
		var err error
		if e.ValLoss, e.ValAccuracy, err = m.evaluate(*val); err != nil {
			return EpochMetrics{}, fmt.Errorf("validation: %w", err)
		}
		e.HasValidation = true
	}
	e.Seconds = time.Since(start).Seconds()
	return e, nil
}

// augmentBatch augments in place the examples of the batch x, gathered
// from the examples idx of the training data (shaped shape), as epoch's
// augmentation of those examples. The examples are spread over
// GOMAXPROCS goroutines; each has its own random stream, so the result
// does not depend on how they are spread.
func (m *Model) augmentBatch(x *tensors.Tensor, shape []int, idx []int, epoch int, aug *Augment) (err error) {
	h, w, c := shape[0], shape[1], shape[2]
	n := h * w * c
	workers := min(runtime.GOMAXPROCS(0), len(idx))
	errs := make([]error, workers)
	tensors.MustMutableFlatData(x, func(flat []float32) {
		var wg sync.WaitGroup
		for k := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				src, tmp := make([]float32, n), make([]float32, n)
				for j := k; j < len(idx); j += workers {
					ex := flat[j*n : (j+1)*n]
					copy(src, ex)
					if errs[k] = aug.apply(ex, src, tmp, h, w, c, exampleRNG(m.seed, epoch, idx[j])); errs[k] != nil {
						return
					}
				}
			}()
		}
		wg.Wait()
	})
	return errors.Join(errs...)
}

// labelSmoothingParam is the store parameter holding the label smoothing
// the trainer's loss was built with.
const labelSmoothingParam = "fer_label_smoothing"

// labelSmoothing returns the label smoothing of the model's training loss.
func (m *Model) labelSmoothing() float64 {
	return model.GetRootParamOr(m.store, labelSmoothingParam, 0.0)
}

// smoothedLoss returns the training loss l with label smoothing eps, as
// Keras: the targets are (1-eps)·onehot + eps/K for K classes
// (y·(1-eps) + eps/2 for binary models), with the cross-entropy of the
// logits averaged over the batch.
func smoothedLoss(l Loss, eps float64) train.LossFn {
	if l == BinaryCrossEntropy {
		return func(labels, logits []*graph.Node) *graph.Node {
			z := logits[0]
			y := graph.ConvertDType(labels[0], z.DType())
			if y.Rank() != z.Rank() || !slices.Equal(y.Shape().Dimensions, z.Shape().Dimensions) {
				y = graph.Reshape(y, z.Shape().Dimensions...)
			}
			t := graph.AddScalar(graph.MulScalar(y, 1-eps), eps/2)
			return loss.BinaryCrossentropyLogits([]*graph.Node{t}, []*graph.Node{z})
		}
	}
	return func(labels, logits []*graph.Node) *graph.Node {
		z := logits[0]
		k := z.Shape().Dimensions[z.Rank()-1]
		y := labels[0]
		y = graph.Reshape(y, y.Shape().Dimensions[:y.Rank()-1]...)
		t := graph.AddScalar(graph.MulScalar(graph.OneHot(y, k, z.DType()), 1-eps), eps/float64(k))
		return loss.CategoricalCrossEntropyLogits([]*graph.Node{t}, []*graph.Node{z})
	}
}

// batchTensors gathers the examples idx of d into an input tensor shaped
// [size, Shape...] and a label tensor shaped [size, 1] (labels 0 without
// Y). When size > len(idx) the batch is padded with copies of the first
// example, whose outputs the caller drops.
func batchTensors(d Data, idx []int, size int) (x, y *tensors.Tensor) {
	n := d.exampleSize()
	x = tensors.FromShape(shapes.Make(dtypes.Float32, append([]int{size}, d.Shape...)...))
	tensors.MustMutableFlatData(x, func(flat []float32) {
		for j := range size {
			i := idx[0]
			if j < len(idx) {
				i = idx[j]
			}
			copy(flat[j*n:(j+1)*n], d.X[i*n:(i+1)*n])
		}
	})
	y = tensors.FromShape(shapes.Make(dtypes.Int32, size, 1))
	if d.Y != nil {
		tensors.MustMutableFlatData(y, func(flat []int32) {
			for j, i := range idx {
				flat[j] = d.Y[i]
			}
		})
	}
	return x, y
}

// scalarValue reads a scalar metric tensor as float64.
func scalarValue(t *tensors.Tensor) float64 {
	switch v := t.Value().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	}
	return math.NaN()
}

// evalBatchSize is the batch size of Evaluate, Predict and Logits.
const evalBatchSize = 256

// ensureLogitsExec creates the inference executor (training flag off).
func (m *Model) ensureLogitsExec() error {
	if m.logitsExec != nil {
		return nil
	}
	e, err := model.NewExec(m.backend, m.store, m.logits)
	if err != nil {
		return err
	}
	m.logitsExec = e
	return nil
}

// runLogits returns the logits of every example of d, flat: row i is
// out[i*k : (i+1)*k] with k the model's output size.
func (m *Model) runLogits(d Data) (out []float32, k int, err error) {
	if err := m.ensureBackend(); err != nil {
		return nil, 0, err
	}
	if err := m.ensureLogitsExec(); err != nil {
		return nil, 0, err
	}
	k = prod(m.OutputShape())
	out, err = runBatched(m.logitsExec, d, k)
	return out, k, err
}

// runBatched runs an inference executor over d in batches of evalBatchSize
// (the last one padded, its padding dropped) and returns the first output,
// k values per example, flat: row i is out[i*k : (i+1)*k].
func runBatched(exec *model.Exec, d Data, k int) (out []float32, err error) {
	n := d.Len()
	size := min(evalBatchSize, n)
	out = make([]float32, 0, n*k)
	idx := make([]int, 0, size)
	for start := 0; start < n; start += size {
		idx = idx[:0]
		for i := start; i < min(start+size, n); i++ {
			idx = append(idx, i)
		}
		x, _ := batchTensors(d, idx, size)
		res, err := exec.Call(x)
		_ = x.FinalizeAll()
		if err != nil {
			return nil, err
		}
		flat, err := tensors.CopyFlatData[float32](res[0])
		for _, t := range res {
			_ = t.FinalizeAll()
		}
		if err != nil {
			return nil, err
		}
		out = append(out, flat[:len(idx)*k]...)
	}
	return out, nil
}

// Logits returns the model's logits for every example of d: the last
// layer's output before its softmax or sigmoid (one row per example, one
// column per class, or a single column for binary models). Calibration
// (temperature scaling) works on these. Dropout and batch normalization run
// in inference mode.
func (m *Model) Logits(d Data) (logits [][]float32, err error) {
	defer recoverError(&err, "fer: Logits")
	if err := d.checkFor(m, false); err != nil {
		return nil, fmt.Errorf("fer: Logits: %w", err)
	}
	flat, k, err := m.runLogits(d)
	if err != nil {
		return nil, fmt.Errorf("fer: Logits: %w", err)
	}
	return rows(flat, k), nil
}

// Predict returns the model's probabilities for every example of d, like
// Keras's model.predict: softmax rows over the classes or, for binary
// models, one column with the probability of class 1. A model whose last
// layer is linear is read as producing logits for its loss (see Compile).
func (m *Model) Predict(d Data) (probs [][]float32, err error) {
	defer recoverError(&err, "fer: Predict")
	if err := d.checkFor(m, false); err != nil {
		return nil, fmt.Errorf("fer: Predict: %w", err)
	}
	flat, k, err := m.runLogits(d)
	if err != nil {
		return nil, fmt.Errorf("fer: Predict: %w", err)
	}
	out := rows(flat, k)
	for _, r := range out {
		if k == 1 {
			r[0] = float32(1 / (1 + math.Exp(-float64(r[0]))))
			continue
		}
		mx := slices.Max(r)
		var sum float64
		for j, v := range r {
			e := math.Exp(float64(v - mx))
			r[j] = float32(e)
			sum += e
		}
		for j := range r {
			r[j] = float32(float64(r[j]) / sum)
		}
	}
	return out, nil
}

// Evaluate returns the model's mean loss and accuracy on d, like Keras's
// model.evaluate (inference mode: no dropout, batch normalization with its
// moving averages). The loss is the compiled one (see Compile).
func (m *Model) Evaluate(d Data) (lossValue, accuracy float64, err error) {
	defer recoverError(&err, "fer: Evaluate")
	if err := d.checkFor(m, true); err != nil {
		return 0, 0, fmt.Errorf("fer: Evaluate: %w", err)
	}
	if err := m.ensureCompiled(); err != nil {
		return 0, 0, err
	}
	lossValue, accuracy, err = m.evaluate(d)
	if err != nil {
		return 0, 0, fmt.Errorf("fer: Evaluate: %w", err)
	}
	return lossValue, accuracy, nil
}

// evaluate computes the loss and accuracy on the host from the logits: the
// same pass gives Predict and Logits their values, so evaluation needs no
// graph of its own.
func (m *Model) evaluate(d Data) (lossValue, accuracy float64, err error) {
	flat, k, err := m.runLogits(d)
	if err != nil {
		return 0, 0, err
	}
	var sumLoss float64
	correct := 0
	for i, y := range d.Y {
		r := flat[i*k : (i+1)*k]
		if k == 1 {
			// Binary cross-entropy of sigmoid(z), stable form: max(z,0) - z·y + log(1+e^-|z|).
			z, t := float64(r[0]), float64(y)
			sumLoss += max(z, 0) - z*t + math.Log1p(math.Exp(-math.Abs(z)))
			if (z > 0) == (y == 1) {
				correct++
			}
			continue
		}
		// Sparse categorical cross-entropy of softmax(r): logsumexp(r) - r[y].
		mx := float64(slices.Max(r))
		var sum float64
		arg := 0
		for j, v := range r {
			sum += math.Exp(float64(v) - mx)
			if v > r[arg] {
				arg = j
			}
		}
		sumLoss += mx + math.Log(sum) - float64(r[y])
		if arg == int(y) {
			correct++
		}
	}
	n := float64(len(d.Y))
	return sumLoss / n, float64(correct) / n, nil
}

// rows splits flat into rows of k values.
func rows(flat []float32, k int) [][]float32 {
	out := make([][]float32, len(flat)/k)
	for i := range out {
		out[i] = flat[i*k : (i+1)*k : (i+1)*k]
	}
	return out
}

// recoverError turns a panic (GoMLX raises panics while building graphs)
// into an error returned by the public method that called it.
func recoverError(err *error, where string) {
	if r := recover(); r != nil {
		e, ok := r.(error)
		if !ok {
			e = fmt.Errorf("%v", r)
		}
		*err = fmt.Errorf("%s: %w", where, e)
	}
}
