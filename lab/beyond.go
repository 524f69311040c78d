package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fer-thesis/fer/datasets"
	"github.com/fer-thesis/fer/fer"
)

// VGG is the name of the from-scratch model of chapter 9 (fer.FERVGG) in
// results files.
const VGG = "vgg"

// BeyondOptions configures Beyond. Zero values give the recorded run's
// settings in "full" mode and a small subset in "quick" mode.
type BeyondOptions struct {
	DataDir string // default datasets.DataDir()
	OutDir  string // results folder (created); required
	Mode    string // "quick" or "full"; default fer.RunMode()
	// TrainSubset, if > 0, trains on the first TrainSubset training faces
	// (quick mode default 1,500).
	TrainSubset int
	// EvalSubset, if > 0, validates and tests on the first EvalSubset faces
	// of PublicTest and PrivateTest (quick mode default 1,000).
	EvalSubset int
	// Epochs of training, the length of the cosine schedule (full mode
	// default 25, quick mode 2).
	Epochs int
	// Seed of initialization, dropout, shuffling and augmentation; 0 takes
	// fer.DefaultSeed.
	Seed int64
	// ContinueFrom, if set, is the results folder of a finished Beyond run
	// (same mode and subsets): this run starts from its last checkpoint
	// (weights, optimizer state, history) and trains Epochs more epochs
	// under a new cosine cycle, a warm restart (SGDR). Its history, epochs
	// and wall time are the whole chain's. OutDir must be another folder.
	ContinueFrom string
	// SWALearningRate, if > 0, makes this run stochastic weight averaging
	// (SWA) instead of a cosine cycle: from ContinueFrom's last checkpoint
	// (required) it trains Epochs epochs (full mode default 10, quick 2) at
	// this constant AdamW rate, averages the weights at the end of each of
	// them (fer.Model.AverageCheckpoints), re-estimates the BatchNorm
	// averages on the augmented training faces (fer.Model.UpdateBatchNorm)
	// and evaluates the averaged network. It keeps every epoch's checkpoint
	// until the average is saved (in OutDir/checkpoints/vgg-swa); a saved
	// average is evaluated again without training.
	SWALearningRate float64
	// Labels chooses the labels to learn: "fer2013" (the default) or
	// "ferplus", the FER+ majority labels (datasets.FER2013.
	// FERPlusMajoritySplits: 8 classes, faces without a majority left out
	// of every split), which need fer2013new.csv in the data folder. The
	// network is then fer-vgg with 8 outputs (fer.FERVGGWith).
	Labels string
	// Width multiplies the widths of fer-vgg's convolutions (fer.FERVGGWith;
	// 0 means 1, the recorded runs' network). 2 gives the widths of
	// Khaireddin & Chen's network (64 to 512 filters) at four times
	// the cost per face.
	Width int
	// Progress receives progress lines; nil discards them.
	Progress io.Writer
}

// SWAResult describes a stochastic-weight-averaging run (see
// BeyondOptions.SWALearningRate): what was averaged, and the accuracies
// (no TTA) of the last epoch's network and of the average before its
// BatchNorm averages were estimated again, to set beside the final
// network's.
type SWAResult struct {
	LearningRate float64
	// Averaged are the epochs whose end-of-epoch weights were averaged.
	Averaged []int
	// Last is the last epoch's network, NoBNUpdate the average with the
	// mean of the epochs' BatchNorm averages, both without TTA.
	Last, NoBNUpdate TTAResult
	// BNUpdateSeconds is the wall time of the BatchNorm re-estimation.
	BNUpdateSeconds float64
}

// The labels Beyond can learn (BeyondOptions.Labels).
const (
	LabelsFER2013 = "fer2013"
	LabelsFERPlus = "ferplus"
)

// SWADir is the folder, under a Beyond results folder's checkpoints, of the
// averaged network of a stochastic-weight-averaging run.
const SWADir = VGG + "-swa"

// BeyondAugment is the training augmentation of the chapter 9 model: small
// rotations, zooms and shifts (each face still fills the frame), mirror
// images, and random erasing of a patch in a quarter of the faces (a hand or
// hair in front of the face). Pixels are raw 0–255 values.
var BeyondAugment = fer.Augment{
	FlipHorizontal:     true,
	MaxRotationDegrees: 10,
	ScaleRange:         [2]float64{0.9, 1.1},
	MaxTranslation:     0.1,
	Erasing:            &fer.Erasing{P: 0.25, RandomMax: 255},
}

// BeyondTTAs are the test-time augmentations Beyond compares on PublicTest:
// none, the mirror image, and the mirror plus 2-pixel shifts (10 views).
var BeyondTTAs = []struct {
	Name string
	TTA  fer.TTA
}{{"none", fer.TTA{}}, {"flip", fer.TTA{Flip: true}}, {"flip+shift2", fer.TTA{Flip: true, Shift: 2}}}

// Beyond learning rate and weight decay: Adam's default rate and Keras's
// default AdamW decay.
const (
	beyondLR          = 0.001
	beyondWeightDecay = 0.004
)

// TTAResult is one test-time augmentation's accuracies.
type TTAResult struct {
	Name                      string
	ValAccuracy, TestAccuracy float64
}

// BeyondResult is the from-scratch model's row with everything behind it:
// the ModelResult (accuracies, confusion, calibration of the selected
// test-time augmentation) plus every augmentation's accuracies.
type BeyondResult struct {
	ModelResult
	// Labels are the labels learnt ("fer2013" or "ferplus", see
	// BeyondOptions.Labels) and ClassNames their classes, in label order.
	Labels     string
	ClassNames []string
	// Width is the network's width multiplier (BeyondOptions.Width); 0 in
	// results written before it existed means 1.
	Width       int `json:",omitempty"`
	Mode        string
	TrainImages int
	TestImages  int
	// TTA is the test-time augmentation selected on PublicTest (the highest
	// accuracy; the fewest views on a tie); ModelResult's accuracies,
	// confusion matrix, calibration and logits are with it.
	TTA  string
	TTAs []TTAResult
	// Cycles are the lengths in epochs of the cosine cycles trained, in
	// order: one for a single run, one more for each warm restart
	// (BeyondOptions.ContinueFrom).
	Cycles []int
	// ContinuedFrom is the results folder of the run this one restarted
	// from, if any.
	ContinuedFrom string
	// BestValEpoch is the epoch with the highest PublicTest accuracy during
	// training, for information: the model kept is the last epoch's, where
	// the cosine schedule ends (for an SWA run, the average).
	BestValEpoch    int
	BestValAccuracy float64
	// SWA is set for a stochastic-weight-averaging run; its model is then
	// the average, and CheckpointDir is the average's folder
	// (checkpoints/vgg-swa).
	SWA                *SWAResult `json:",omitempty"`
	EvaluationSeconds  float64
	CheckpointDir      string
	Parameters         int
	AugmentDescription string
}

func (o *BeyondOptions) defaults() error {
	if o.OutDir == "" {
		return errors.New("lab: OutDir is required")
	}
	if o.DataDir == "" {
		o.DataDir = datasets.DataDir()
	}
	if o.Mode == "" {
		o.Mode = fer.RunMode()
	}
	if o.Mode != "quick" && o.Mode != "full" {
		return fmt.Errorf("lab: mode %q, want quick or full", o.Mode)
	}
	pick := func(v *int, q, f int) {
		if *v == 0 {
			if o.Mode == "quick" {
				*v = q
			} else {
				*v = f
			}
		}
	}
	pick(&o.TrainSubset, 1500, 0)
	pick(&o.EvalSubset, 1000, 0)
	if o.SWALearningRate > 0 {
		pick(&o.Epochs, 2, 10)
	}
	pick(&o.Epochs, 2, 25)
	if !(o.SWALearningRate >= 0) {
		return fmt.Errorf("lab: SWALearningRate must not be negative, got %g", o.SWALearningRate)
	}
	if o.SWALearningRate > 0 && o.ContinueFrom == "" {
		return errors.New("lab: stochastic weight averaging (SWALearningRate) continues a finished run: set ContinueFrom")
	}
	if o.TrainSubset < 0 || o.EvalSubset < 0 || o.Epochs < 0 {
		return fmt.Errorf("lab: TrainSubset (%d), EvalSubset (%d) and Epochs (%d) must not be negative", o.TrainSubset, o.EvalSubset, o.Epochs)
	}
	if o.Seed == 0 {
		o.Seed = fer.DefaultSeed
	}
	if o.Labels == "" {
		o.Labels = LabelsFER2013
	}
	if o.Width == 0 {
		o.Width = 1
	}
	if o.Width < 1 || o.Width > 8 {
		return fmt.Errorf("lab: width multiplier %d, want 1 to 8", o.Width)
	}
	if o.Labels != LabelsFER2013 && o.Labels != LabelsFERPlus {
		return fmt.Errorf("lab: labels %q, want %s or %s", o.Labels, LabelsFER2013, LabelsFERPlus)
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return nil
}

// Beyond trains chapter 9's from-scratch network (fer.FERVGG; see
// BeyondOptions.Labels and Width for its FER+ and wider forms) on FER2013's
// Training split with BeyondAugment, AdamW and a cosine learning-rate
// schedule, keeps its last epoch, picks a test-time augmentation on
// PublicTest, reports it once on PrivateTest, and calibrates it by
// temperature scaling fitted on PublicTest. It writes OutDir/vgg.json (a
// BeyondResult), the logits as CSV (log of the averaged probabilities:
// label,z_0,…,z_6; …,z_7 on the FER+ labels) and a checkpoint after every epoch in
// OutDir/checkpoints/vgg, from which an interrupted run resumes; a finished
// run is evaluated again from its checkpoint without training.
func Beyond(opts BeyondOptions) (*BeyondResult, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	data, err := datasets.LoadFER2013Dir(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	splits, dataName := [3]*datasets.ImageSet{data.Training, data.PublicTest, data.PrivateTest}, "FER2013"
	if opts.Labels == LabelsFERPlus {
		if splits, err = data.FERPlusMajoritySplits(); err != nil {
			return nil, fmt.Errorf("lab: data folder %s: %w", opts.DataDir, err)
		}
		dataName = "FER+ majority labels"
	}
	train := headOf(splits[0], opts.TrainSubset)
	valSet, testSet := headOf(splits[1], opts.EvalSubset), headOf(splits[2], opts.EvalSubset)
	fmt.Fprintf(opts.Progress, "%s: training on %d faces, validating on %d, testing on %d (mode %s)\n",
		dataName, train.Len(), valSet.Len(), testSet.Len(), opts.Mode)

	swa := opts.SWALearningRate > 0
	lr := beyondLR
	if swa {
		lr = opts.SWALearningRate
	}
	m, err := fer.FERVGGWith(len(train.ClassNames), opts.Width)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	m = m.WithSeed(opts.Seed)
	if err := m.Compile(fer.AdamW(lr, beyondWeightDecay), fer.SparseCategoricalCrossEntropy); err != nil {
		return nil, err
	}
	ckpt := filepath.Join(opts.OutDir, "checkpoints", VGG)
	// A warm restart starts where the earlier run ended.
	prior, cycles := 0, []int(nil)
	if opts.ContinueFrom != "" {
		if prior, cycles, err = continueFrom(m, opts, ckpt, train.Len(), testSet.Len()); err != nil {
			return nil, err
		}
	}
	cycles = append(cycles, opts.Epochs)
	_, choice, err := fer.Backend()
	if err != nil {
		return nil, err
	}
	trainData, val, test := fer.FromImageSet(train), fer.FromImageSet(valSet), fer.FromImageSet(testSet)
	aug := BeyondAugment
	warmup := min(2, opts.Epochs-1)
	restart := ""
	if prior > 0 {
		restart = fmt.Sprintf(", a warm restart after %d epochs of %s", prior, opts.ContinueFrom)
	}
	total := prior + opts.Epochs
	var h fer.History
	var swaRes *SWAResult
	if swa {
		fmt.Fprintf(opts.Progress, "%s: %s, stochastic weight averaging of %d epochs at a constant AdamW(%g, weight decay %g) after %d epochs of %s, on %s\n",
			VGG, m.Name(), opts.Epochs, lr, beyondWeightDecay, prior, opts.ContinueFrom, choice.Config)
		if m, h, swaRes, err = runSWA(m, opts, ckpt, prior, total, trainData, val, test, valSet, testSet, &aug); err != nil {
			return nil, err
		}
	} else {
		fmt.Fprintf(opts.Progress, "%s: %s, %d epochs, batch 32, AdamW(%g, weight decay %g), cosine schedule (warm-up %d)%s, on %s\n",
			VGG, m.Name(), opts.Epochs, beyondLR, beyondWeightDecay, warmup, restart, choice.Config)
		h, err = m.Fit(trainData, fer.FitOptions{Epochs: total, BatchSize: 32, Validation: &val, CheckpointDir: ckpt,
			Progress: opts.Progress, Augment: &aug, CosineDecay: &fer.CosineDecay{WarmupEpochs: max(warmup, 0), Start: prior}})
		if err != nil {
			return nil, err
		}
	}
	secs := 0.0
	for _, s := range h.Seconds {
		secs += s
	}
	params, _, _ := m.CountParams()
	epochs, schedule := fmt.Sprintf("%d epochs", opts.Epochs), "cosine"
	if prior > 0 {
		epochs, schedule = cycleNote(cycles), "cosine cycles with warm restarts"
	}
	settings := fmt.Sprintf("fer-vgg, %s, batch 32, AdamW(%g, wd %g), %s (warm-up %d), augmentation, %d training faces%s",
		epochs, beyondLR, beyondWeightDecay, schedule, max(warmup, 0), train.Len(), evalNote(FER2013Options{EvalSubset: opts.EvalSubset}))
	technique := "From-scratch VGG-style network (fer-vgg), augmented, AdamW + cosine"
	if swa {
		settings = fmt.Sprintf("fer-vgg, %s of cosine cycles (AdamW(%g, wd %g)), then %d epochs at AdamW(%g) averaged (SWA) with BatchNorm re-estimated, batch 32, augmentation, %d training faces%s",
			cycleNote(cycles[:len(cycles)-1]), beyondLR, beyondWeightDecay, opts.Epochs, lr, train.Len(), evalNote(FER2013Options{EvalSubset: opts.EvalSubset}))
		technique = "From-scratch VGG-style network (fer-vgg), augmented, AdamW + cosine, then stochastic weight averaging"
	}
	thesis := Thesis[CNN]
	settings = strings.Replace(settings, "fer-vgg", m.Name(), 1)
	if opts.Width > 1 {
		technique += fmt.Sprintf(", convolutions %d× wider", opts.Width)
	}
	if opts.Labels == LabelsFERPlus {
		// The thesis has no FER+ model; its CNN's 0.66 is on other labels.
		thesis = 0
		settings = "FER+ majority labels (8 classes), " + settings
		technique += ", FER+ majority labels"
	}
	r := &BeyondResult{
		Labels: opts.Labels, ClassNames: train.ClassNames, Width: opts.Width,
		ModelResult: ModelResult{Model: VGG, Technique: technique,
			Settings: settings, Backend: choice.Config, ThesisAccuracy: thesis, Seed: opts.Seed, Seconds: secs, Epochs: h.Len(),
			PlannedEpochs: total, History: &h},
		Mode: opts.Mode, TrainImages: train.Len(), TestImages: testSet.Len(), CheckpointDir: ckpt, Parameters: params,
		Cycles: cycles, ContinuedFrom: opts.ContinueFrom, SWA: swaRes,
		AugmentDescription: "flip, rotation ±10°, zoom 0.9–1.1, shift ±10%, random erasing p=0.25 (reflect fill)",
	}
	if swa {
		r.CheckpointDir = filepath.Join(opts.OutDir, "checkpoints", SWADir)
	}
	for i := range h.Len() {
		if e := h.At(i); e.ValAccuracy > r.BestValAccuracy {
			r.BestValEpoch, r.BestValAccuracy = e.Epoch, e.ValAccuracy
		}
	}
	if h.Len() < total {
		return nil, fmt.Errorf("lab: %s trained %d of %d epochs", VGG, h.Len(), total)
	}

	t0 := time.Now()
	best, bestVal := -1, -1.0
	logits := make([][2][][]float64, len(BeyondTTAs))
	for i, t := range BeyondTTAs {
		tr, lg, err := ttaAccuracies(m, t.Name, t.TTA, val, test, valSet, testSet)
		if err != nil {
			return nil, err
		}
		logits[i] = lg
		r.TTAs = append(r.TTAs, tr)
		fmt.Fprintf(opts.Progress, "%s: TTA %-12s PublicTest %.4f  PrivateTest %.4f\n", VGG, t.Name, tr.ValAccuracy, tr.TestAccuracy)
		if tr.ValAccuracy > bestVal {
			best, bestVal = i, tr.ValAccuracy
		}
	}
	r.TTA = BeyondTTAs[best].Name
	fmt.Fprintf(opts.Progress, "%s: TTA selected on PublicTest: %s\n", VGG, r.TTA)
	if err := finish(&r.ModelResult, logits[best][0], valSet.IntLabels(), logits[best][1], testSet.IntLabels(), true,
		FER2013Options{OutDir: opts.OutDir, Progress: opts.Progress}); err != nil {
		return nil, err
	}
	if opts.Labels == LabelsFERPlus {
		r.KagglePosition = "" // the Kaggle leaderboard scored FER2013's labels
	}
	r.EvaluationSeconds = time.Since(t0).Seconds()
	return r, writeJSON(filepath.Join(opts.OutDir, VGG+".json"), r)
}

// ttaAccuracies runs m with the test-time augmentation tta on the
// validation and test data and returns its accuracies and log-probabilities
// (validation, test).
func ttaAccuracies(m *fer.Model, name string, tta fer.TTA, val, test fer.Data, valSet, testSet *datasets.ImageSet) (TTAResult, [2][][]float64, error) {
	var lg [2][][]float64
	for j, d := range []fer.Data{val, test} {
		p, err := m.PredictTTA(d, tta)
		if err != nil {
			return TTAResult{}, lg, fmt.Errorf("lab: %s, TTA %s: %w", VGG, name, err)
		}
		lg[j] = logProbs(p)
	}
	return TTAResult{Name: name, ValAccuracy: argmaxAccuracy(lg[0], valSet.IntLabels()),
		TestAccuracy: argmaxAccuracy(lg[1], testSet.IntLabels())}, lg, nil
}

// runSWA trains m, restored at epoch prior, to epoch total at its constant
// learning rate keeping every epoch's checkpoint in ckpt, averages those
// epochs' weights into a new network, re-estimates its BatchNorm averages
// and saves it in OutDir/checkpoints/vgg-swa. If that folder already holds
// the average, it loads it instead (and takes the SWAResult from the
// results file already there, if any). It returns the averaged network
// with the history of the whole chain.
func runSWA(m *fer.Model, opts BeyondOptions, ckpt string, prior, total int, trainData, val, test fer.Data, valSet, testSet *datasets.ImageSet, aug *fer.Augment) (*fer.Model, fer.History, *SWAResult, error) {
	swaDir := filepath.Join(opts.OutDir, "checkpoints", SWADir)
	newModel := func() (*fer.Model, error) {
		a := fer.FERVGG().WithSeed(opts.Seed)
		return a, a.Compile(fer.AdamW(opts.SWALearningRate, beyondWeightDecay), fer.SparseCategoricalCrossEntropy)
	}
	_, done, err := fer.LatestCheckpoint(swaDir)
	if err != nil {
		return nil, fer.History{}, nil, fmt.Errorf("lab: %w", err)
	}
	if done > 0 {
		if done != total {
			return nil, fer.History{}, nil, fmt.Errorf("lab: %s holds the average of a run that ended at epoch %d; this one ends at epoch %d", swaDir, done, total)
		}
		avg, err := newModel()
		if err != nil {
			return nil, fer.History{}, nil, err
		}
		if err := avg.LoadCheckpoint(swaDir); err != nil {
			return nil, fer.History{}, nil, fmt.Errorf("lab: %w", err)
		}
		res := &SWAResult{LearningRate: opts.SWALearningRate}
		if old, err := LoadBeyondResult(opts.OutDir); err == nil && old.SWA != nil {
			res = old.SWA // measured when the average was made
		}
		fmt.Fprintf(opts.Progress, "%s: the averaged network (epoch %d) restored from %s\n", VGG, done, swaDir)
		return avg, avg.History(), res, nil
	}

	h, err := m.Fit(trainData, fer.FitOptions{Epochs: total, BatchSize: 32, Validation: &val, CheckpointDir: ckpt,
		KeepCheckpoints: opts.Epochs, Progress: opts.Progress, Augment: aug})
	if err != nil {
		return nil, fer.History{}, nil, err
	}
	if h.Len() < total {
		return nil, fer.History{}, nil, fmt.Errorf("lab: %s trained %d of %d epochs", VGG, h.Len(), total)
	}
	list, err := fer.ListCheckpoints(ckpt)
	if err != nil {
		return nil, fer.History{}, nil, fmt.Errorf("lab: %w", err)
	}
	res := &SWAResult{LearningRate: opts.SWALearningRate}
	var paths []string
	for _, c := range list {
		if c.Epoch > prior && c.Epoch <= total {
			paths, res.Averaged = append(paths, c.Path), append(res.Averaged, c.Epoch)
		}
	}
	if len(paths) != opts.Epochs {
		return nil, fer.History{}, nil, fmt.Errorf("lab: %s holds the checkpoints of %d of the %d epochs to average (%v)", ckpt, len(paths), opts.Epochs, res.Averaged)
	}
	if res.Last, _, err = ttaAccuracies(m, "last epoch", fer.TTA{}, val, test, valSet, testSet); err != nil {
		return nil, fer.History{}, nil, err
	}
	avg, err := newModel()
	if err != nil {
		return nil, fer.History{}, nil, err
	}
	if err := avg.AverageCheckpoints(paths...); err != nil {
		return nil, fer.History{}, nil, fmt.Errorf("lab: %w", err)
	}
	if res.NoBNUpdate, _, err = ttaAccuracies(avg, "average, BatchNorm not updated", fer.TTA{}, val, test, valSet, testSet); err != nil {
		return nil, fer.History{}, nil, err
	}
	t0 := time.Now()
	if err := avg.UpdateBatchNorm(trainData, 32, aug); err != nil {
		return nil, fer.History{}, nil, fmt.Errorf("lab: %w", err)
	}
	res.BNUpdateSeconds = time.Since(t0).Seconds()
	fmt.Fprintf(opts.Progress, "%s: averaged epochs %d–%d, BatchNorm averages re-estimated in %.0f s\n", VGG, res.Averaged[0], res.Averaged[len(res.Averaged)-1], res.BNUpdateSeconds)
	if err := avg.SaveCheckpoint(swaDir); err != nil {
		return nil, fer.History{}, nil, fmt.Errorf("lab: %w", err)
	}
	for _, r := range []TTAResult{res.Last, res.NoBNUpdate} {
		fmt.Fprintf(opts.Progress, "%s: %-32s PublicTest %.4f  PrivateTest %.4f (no TTA)\n", VGG, r.Name, r.ValAccuracy, r.TestAccuracy)
	}
	return avg, h, res, nil
}

// continueFrom prepares a warm restart from the finished Beyond run in
// opts.ContinueFrom: it checks that run against this one, loads its last
// checkpoint into m unless this run (checkpoint folder ckpt) has already
// begun, and returns the epochs that run trained and its cycles.
func continueFrom(m *fer.Model, opts BeyondOptions, ckpt string, trainN, testN int) (prior int, cycles []int, err error) {
	from := opts.ContinueFrom
	if a, b := filepath.Clean(from), filepath.Clean(opts.OutDir); a == b {
		return 0, nil, fmt.Errorf("lab: ContinueFrom and OutDir are the same folder (%s): a warm restart writes a new run", a)
	}
	p, err := LoadBeyondResult(from)
	if err != nil {
		return 0, nil, fmt.Errorf("lab: ContinueFrom: %w", err)
	}
	if p.Labels == "" {
		p.Labels = LabelsFER2013 // written before FER+ runs existed
	}
	if p.Labels != opts.Labels {
		return 0, nil, fmt.Errorf("lab: ContinueFrom %s learnt the %s labels, this run the %s labels", from, p.Labels, opts.Labels)
	}
	if w := max(p.Width, 1); w != opts.Width {
		return 0, nil, fmt.Errorf("lab: ContinueFrom %s trained a network of width %d, this run one of width %d", from, w, opts.Width)
	}
	if p.Mode != opts.Mode || p.TrainImages != trainN || p.TestImages != testN || p.Seed != opts.Seed {
		desc := func(mode string, train, test int, seed int64) string {
			return fmt.Sprintf("mode %s, %d training faces, %d test faces, seed %d", mode, train, test, seed)
		}
		return 0, nil, fmt.Errorf("lab: ContinueFrom %s: that run used %s; this one %s: a warm restart continues the same data and seed",
			from, desc(p.Mode, p.TrainImages, p.TestImages, p.Seed), desc(opts.Mode, trainN, testN, opts.Seed))
	}
	if p.SWA != nil {
		return 0, nil, fmt.Errorf("lab: ContinueFrom %s is a stochastic-weight-averaging run: continue from the run it averaged (%s)", from, p.ContinuedFrom)
	}
	if !p.Complete() {
		return 0, nil, fmt.Errorf("lab: ContinueFrom %s: that run trained %d of %d epochs; finish it first", from, p.Epochs, p.PlannedEpochs)
	}
	dir := filepath.Join(from, "checkpoints", VGG)
	_, epoch, err := fer.LatestCheckpoint(dir)
	if err != nil {
		return 0, nil, fmt.Errorf("lab: ContinueFrom: %w", err)
	}
	if epoch != p.Epochs {
		return 0, nil, fmt.Errorf("lab: ContinueFrom %s: its newest checkpoint is of epoch %d, its results of epoch %d", from, epoch, p.Epochs)
	}
	cycles = slices.Clone(p.Cycles)
	if len(cycles) == 0 {
		cycles = []int{p.Epochs}
	}
	if _, own, err := fer.LatestCheckpoint(ckpt); err != nil {
		return 0, nil, fmt.Errorf("lab: %w", err)
	} else if own > 0 {
		return p.Epochs, cycles, nil // resumed by Fit from ckpt
	}
	if err := m.LoadCheckpoint(dir); err != nil {
		return 0, nil, fmt.Errorf("lab: ContinueFrom: %w", err)
	}
	return p.Epochs, cycles, nil
}

// cycleNote describes cosine cycles, e.g. "25 + 20 epochs".
func cycleNote(cycles []int) string {
	parts := make([]string, len(cycles))
	for i, c := range cycles {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, " + ") + " epochs"
}

// headOf returns the first n examples of s (all of them when n ≤ 0).
func headOf(s *datasets.ImageSet, n int) *datasets.ImageSet {
	if n <= 0 || n >= s.Len() {
		return s
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return s.Subset(idx)
}

// logProbs returns log p for each row: logits whose softmax is p, which
// temperature scaling and fer calibrate take.
func logProbs(p [][]float32) [][]float64 {
	out := make([][]float64, len(p))
	for i, row := range p {
		out[i] = make([]float64, len(row))
		for k, v := range row {
			out[i][k] = math.Log(max(float64(v), 1e-30))
		}
	}
	return out
}

// argmaxRows returns the index of each row's largest entry (the first one
// on a tie).
func argmaxRows(rows [][]float64) []int {
	out := make([]int, len(rows))
	for i, z := range rows {
		for k := range z {
			if z[k] > z[out[i]] {
				out[i] = k
			}
		}
	}
	return out
}

// argmaxAccuracy is the fraction of rows whose largest entry is at the label.
func argmaxAccuracy(rows [][]float64, labels []int) float64 {
	hit := 0
	for i, k := range argmaxRows(rows) {
		if k == labels[i] {
			hit++
		}
	}
	return float64(hit) / float64(len(rows))
}

// LoadBeyondResult reads OutDir/vgg.json written by Beyond.
func LoadBeyondResult(outDir string) (*BeyondResult, error) {
	path := filepath.Join(outDir, VGG+".json")
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no chapter 9 model in %s (run: go run ./cmd/fer beyond --out %s): %w", outDir, outDir, err)
		}
		return nil, err
	}
	var r BeyondResult
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}
