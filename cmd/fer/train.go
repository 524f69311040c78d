package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/fer-thesis/fer/datasets"
	"github.com/fer-thesis/fer/fer"
)

func init() {
	register("train", "train a thesis model (--model NAME), with checkpoints that resume after a crash", runTrain)
}

// trainDefaults are the thesis's settings per data set: epochs and optimizer.
var trainDefaults = map[string]struct {
	epochs int
	opt    string
	lr     float64
}{
	"circles": {500, "sgd", 0.01},
	"mnist":   {10, "adam", 0.001},
	"fer":     {50, "adam", 0.001},
}

// runTrain implements "fer train".
func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", stderr)
	name := fs.String("model", "", "model name (see fer summary --list)")
	dataDir := fs.String("data", datasets.DataDir(), "data directory holding mnist/ and fer2013/ ($"+datasets.DataDirEnv+")")
	epochs := fs.Int("epochs", 0, "epochs to train (with --checkpoint: the total, counting saved ones); 0: the thesis's (circles 500, MNIST 10, FER 50)")
	batch := fs.Int("batch", 32, "batch size")
	ckpt := fs.String("checkpoint", "", "checkpoint directory: saved after every epoch; an existing checkpoint is resumed")
	subset := fs.Int("subset", 0, "train on the first N training examples only (0: all)")
	valN := fs.Int("val", 0, "validate on the first N validation examples only (0: all)")
	opt := fs.String("optimizer", "", "adam or sgd (default: the thesis's: sgd for circles, adam otherwise)")
	lr := fs.Float64("lr", 0, "learning rate (0: the thesis's: 0.01 for sgd, 0.001 for adam)")
	seed := fs.Int64("seed", fer.DefaultSeed, "seed of the initialization, dropout and shuffling")
	patience := fs.Int("patience", -1, "early stopping on val_loss with this patience, restoring the best weights (-1: off)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fer train: unexpected arguments %q\n", fs.Args())
		return errUsage
	}
	if *name == "" {
		fmt.Fprintln(stderr, "fer train: --model NAME is required (see fer summary --list)")
		return errUsage
	}
	if *epochs < 0 || *batch <= 0 || *subset < 0 || *valN < 0 || *lr < 0 {
		fmt.Fprintln(stderr, "fer train: --batch must be positive; --epochs, --subset, --val and --lr not negative")
		return errUsage
	}
	m, err := fer.New(*name)
	if err != nil {
		return err
	}
	m.WithSeed(*seed)
	family, _, _ := strings.Cut(*name, "-")
	def := trainDefaults[family]
	train, val, err := loadTrainData(family, *dataDir)
	if err != nil {
		return err
	}
	if *subset > 0 {
		train = train.Head(*subset)
	}
	if *valN > 0 {
		val = val.Head(*valN)
	}
	if *epochs == 0 {
		*epochs = def.epochs
	}
	if *opt == "" {
		*opt = def.opt
	}
	var o fer.Optimizer
	switch *opt {
	case "adam":
		o = fer.Adam(*lr)
	case "sgd":
		o = fer.SGD(*lr)
	default:
		fmt.Fprintf(stderr, "fer train: unknown --optimizer %q (want adam or sgd)\n", *opt)
		return errUsage
	}
	if err := m.Compile(o, ""); err != nil {
		return err
	}
	b, choice, err := fer.Backend()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "model %s (%s params), %s, %d training and %d validation examples, backend %s (%s)\n",
		*name, thousands(m), o, train.Len(), val.Len(), choice.Config, b.Description())
	opts := fer.FitOptions{Epochs: *epochs, BatchSize: *batch, Validation: &val, CheckpointDir: *ckpt, Progress: stdout}
	if *patience >= 0 {
		opts.EarlyStopping = &fer.EarlyStopping{Patience: *patience, RestoreBest: true}
	}
	h, err := m.Fit(train, opts)
	if err != nil {
		return err
	}
	if h.Len() > 0 {
		e := h.Last()
		fmt.Fprintf(stdout, "done: %d epochs; last epoch: loss %.4f accuracy %.4f val_loss %.4f val_accuracy %.4f\n",
			m.Epochs(), e.Loss, e.Accuracy, e.ValLoss, e.ValAccuracy)
	}
	l, acc, err := m.Evaluate(val)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "validation: loss %.4f accuracy %.4f\n", l, acc)
	return nil
}

// thousands returns the model's total parameter count, comma-separated.
func thousands(m *fer.Model) string {
	total, _, _ := m.CountParams()
	s := fmt.Sprint(total)
	var sb strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteRune(c)
	}
	return sb.String()
}

// loadTrainData returns the thesis's training and validation data for a
// model family: make_circles(1000, noise 0.1, seed 1) split 800/200;
// MNIST's training set and its test set; FER2013's Training and PublicTest.
func loadTrainData(family, dataDir string) (train, val fer.Data, err error) {
	switch family {
	case "circles":
		x, y := datasets.MakeCircles(1000, 0.1, 1, true)
		all := fer.FromPoints(x, y)
		idx := make([]int, all.Len())
		for i := range idx {
			idx[i] = i
		}
		return all.Subset(idx[:800]), all.Subset(idx[800:]), nil
	case "mnist":
		mn, err := datasets.LoadMNIST(filepath.Join(dataDir, "mnist"))
		if err != nil {
			return train, val, err
		}
		return fer.FromImageSet(mn.Train), fer.FromImageSet(mn.Test), nil
	case "fer":
		f, err := datasets.LoadFER2013Dir(dataDir)
		if err != nil {
			return train, val, err
		}
		return fer.FromImageSet(f.Training), fer.FromImageSet(f.PublicTest), nil
	}
	return train, val, errors.New("no data set for model family " + family)
}
