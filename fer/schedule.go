package fer

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// CosineDecay is a per-epoch learning-rate schedule (FitOptions.CosineDecay):
// an optional linear warmup followed by a cosine decay from the optimizer's
// learning rate (base) to Alpha·base. Epoch e (1-based, counted over the
// model's whole training) uses
//
//	base·e/WarmupEpochs                                 for e ≤ WarmupEpochs
//	base·(Alpha + (1-Alpha)·(1+cos(π·t))/2)             after, t = (e-WarmupEpochs-1)/(Epochs-WarmupEpochs)
//
// with t capped at 1 (epochs after Epochs stay at Alpha·base). The rate
// depends only on the epoch, so a resumed run follows the same schedule.
// The learning rate is constant within an epoch.
//
// Start > 0 makes it a warm restart (SGDR, Loshchilov & Hutter 2017) of a
// model that has already trained Start epochs: e above counts from the
// first epoch after Start (epoch Start+1 is e = 1), and the decay ends at
// the run's last epoch.
type CosineDecay struct {
	// Epochs is the epoch at which the decay ends, counted over the model's
	// whole training; 0 means the last epoch of the Fit call
	// (FitOptions.Epochs with a CheckpointDir).
	Epochs int
	// Start is the number of epochs trained before this schedule begins (a
	// warm restart); 0 for a schedule from the first epoch.
	Start int
	// WarmupEpochs ramp the rate linearly up to base: epoch 1 uses
	// base/WarmupEpochs.
	WarmupEpochs int
	// Alpha is the final rate as a fraction of base (Keras's alpha), 0 to 1.
	Alpha float64
}

// factor returns the schedule's multiplier of the base rate for epoch
// (1-based) in a run whose decay ends at epoch end.
func (c *CosineDecay) factor(epoch, end int) float64 {
	if c.Epochs > 0 {
		end = c.Epochs
	}
	epoch, end = epoch-c.Start, end-c.Start
	if epoch <= c.WarmupEpochs {
		return float64(epoch) / float64(c.WarmupEpochs)
	}
	span := end - c.WarmupEpochs
	t := 1.0
	if span > 0 {
		t = min(float64(epoch-c.WarmupEpochs-1)/float64(span), 1)
	}
	return c.Alpha + (1-c.Alpha)*(1+math.Cos(math.Pi*t))/2
}

func (c *CosineDecay) validate() error {
	if c == nil {
		return nil
	}
	if c.Epochs < 0 || c.WarmupEpochs < 0 || c.Start < 0 {
		return fmt.Errorf("CosineDecay: Epochs (%d), WarmupEpochs (%d) and Start (%d) must not be negative", c.Epochs, c.WarmupEpochs, c.Start)
	}
	if c.Epochs > 0 && c.Start+c.WarmupEpochs >= c.Epochs {
		return fmt.Errorf("CosineDecay: Start (%d) + WarmupEpochs (%d) must be fewer than Epochs (%d)", c.Start, c.WarmupEpochs, c.Epochs)
	}
	if !(c.Alpha >= 0 && c.Alpha <= 1) {
		return fmt.Errorf("CosineDecay: Alpha must be in [0, 1], got %g", c.Alpha)
	}
	return nil
}

// ReduceLROnPlateau lowers the learning rate when the monitored loss
// (val_loss, or the training loss without validation data) stops improving,
// like keras.callbacks.ReduceLROnPlateau: after an epoch whose loss is not
// below the best so far minus MinDelta, a counter grows; when it reaches
// Patience the rate is multiplied by Factor (not below MinLR), the counter
// restarts (see Cooldown). The new rate applies
// from the next epoch. Its state is saved in checkpoints.
//
// With CosineDecay too, the reductions multiply the cosine rate: epoch e
// uses cosine(e)·s, s being the product of the factors so far, kept at or
// above MinLR/base.
type ReduceLROnPlateau struct {
	// Factor multiplies the rate at each reduction, in (0, 1); 0 means
	// Keras's 0.1.
	Factor float64
	// Patience is the number of epochs without improvement before a
	// reduction (0 reduces at the first one, as Keras).
	Patience int
	// MinDelta is the smallest decrease that counts as an improvement.
	MinDelta float64
	// Cooldown is Keras's cooldown: after a reduction, the next Cooldown-1
	// epochs without improvement are not counted (Keras decrements its
	// cooldown counter before testing it, so Cooldown 1 has no effect).
	Cooldown int
	// MinLR is the lowest rate a reduction goes to.
	MinLR float64
}

func (r *ReduceLROnPlateau) validate() error {
	if r == nil {
		return nil
	}
	if !(r.Factor >= 0 && r.Factor < 1) {
		return fmt.Errorf("ReduceLROnPlateau: Factor must be in (0, 1) (0 means 0.1), got %g", r.Factor)
	}
	if r.Patience < 0 || r.Cooldown < 0 || !(r.MinDelta >= 0) || !(r.MinLR >= 0) {
		return fmt.Errorf("ReduceLROnPlateau: Patience, Cooldown, MinDelta and MinLR must not be negative")
	}
	return nil
}

// plateauState is ReduceLROnPlateau's bookkeeping, saved in checkpoints.
type plateauState struct {
	Best     float64 // best monitored value so far
	Wait     int     // epochs without improvement since the best or the last reduction
	Cooldown int     // cooldown epochs left
	Scale    float64 // product of the reductions so far
}

// update records the monitored loss of an epoch and tells whether the rate
// was reduced; base is the optimizer's rate.
func (s *plateauState) update(r *ReduceLROnPlateau, monitored, base float64) bool {
	if s.Cooldown > 0 {
		s.Cooldown--
		s.Wait = 0
	}
	if monitored < s.Best-r.MinDelta {
		s.Best, s.Wait = monitored, 0
		return false
	}
	if s.Cooldown > 0 {
		return false
	}
	s.Wait++
	if s.Wait < r.Patience {
		return false
	}
	factor := r.Factor
	if factor == 0 {
		factor = 0.1
	}
	minScale := r.MinLR / base
	if s.Scale <= minScale {
		return false
	}
	s.Scale = max(s.Scale*factor, minScale)
	s.Cooldown, s.Wait = r.Cooldown, 0
	return true
}

// epochLearningRate is the learning rate of epoch (1-based) under the
// options; end is the run's last epoch.
func epochLearningRate(base float64, cos *CosineDecay, plateau *plateauState, epoch, end int) float64 {
	lr := base
	if cos != nil {
		lr *= cos.factor(epoch, end)
	}
	if plateau != nil {
		lr *= plateau.Scale
	}
	return lr
}

// setLearningRate sets the optimizer's learning-rate variable (read by
// every step) to lr. Before the first step, when the variable does not
// exist yet, it is created only if lr differs from the compiled rate (the
// optimizer creates it with that rate otherwise).
func (m *Model) setLearningRate(lr float64) error {
	v := m.store.GetVariable(learningRatePath)
	if v == nil {
		if lr == m.optimizer.lr {
			return nil
		}
		nv, err := m.store.CreateVariable(learningRatePath, tensors.FromScalar(float32(lr)))
		if err != nil {
			return fmt.Errorf("learning rate: %w", err)
		}
		nv.SetTrainable(false)
		return nil
	}
	if dt := v.Shape().DType; dt != dtypes.Float32 || !v.Shape().Equal(shapes.Make(dtypes.Float32)) {
		return fmt.Errorf("learning rate variable is shaped %s, want a float32 scalar", v.Shape())
	}
	return v.SetValue(tensors.FromScalar(float32(lr)))
}
