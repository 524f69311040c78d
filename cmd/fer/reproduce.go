package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/fer-thesis/fer/lab"
	"github.com/fer-thesis/fer/viz"
)

func init() {
	register("reproduce", "reproduce a chapter's experiment end to end (circles: §5.4's CV table; fer2013: table 8.2)", runReproduce)
}

func runReproduce(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "circles" {
		return reproduceCircles(args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "fer2013" {
		fmt.Fprintln(stderr, "usage: fer reproduce circles\n       fer reproduce fer2013 [--mode quick|full] [--out DIR] [--data DIR] [--models logistic,fc,cnn] [--subset N] [--fc-epochs N] [--cnn-epochs N] [--logistic-iter N] [--seed N] [--fc-seeds N]")
		return errUsage
	}
	fs := newFlagSet("reproduce fer2013", stderr)
	mode := fs.String("mode", envOr("FER_MODE", "quick"), "quick (2,000 training faces, 1 epoch) or full (the thesis's settings)")
	out := fs.String("out", "", "results folder (default out/reproduce-fer2013-<mode>)")
	data := fs.String("data", "", "data directory (default $FER_DATA_DIR)")
	models := fs.String("models", "logistic,fc,cnn", "models to run, comma-separated")
	subset := fs.Int("subset", 0, "train on the first N training faces (0: the mode's default)")
	fcEpochs := fs.Int("fc-epochs", 0, "FC epochs (0: 5 in full mode, 1 in quick)")
	cnnEpochs := fs.Int("cnn-epochs", 0, "CNN epochs (0: 50 in full mode, 1 in quick)")
	lrIter := fs.Int("logistic-iter", 0, "L-BFGS iteration limit (0: 10,000 in full mode, 200 in quick)")
	seed := fs.Int64("seed", 0, "seed of the networks' initialization, dropout and shuffling (0: the default, 1)")
	fcSeeds := fs.Int("fc-seeds", 0, "train the FC network with this many seeds (--seed, --seed+1, …) and keep the best on PublicTest (0: 5 in full mode, 2 in quick)")
	quiet := fs.Bool("q", false, "no progress output")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	if *fcSeeds < 0 {
		fmt.Fprintln(stderr, "fer reproduce fer2013: --fc-seeds must not be negative (0: the mode's default, 5 in full mode and 2 in quick)")
		return errUsage
	}
	if *out == "" {
		*out = "out/reproduce-fer2013-" + *mode
	}
	opts := lab.FER2013Options{DataDir: *data, OutDir: *out, Mode: *mode, Models: strings.Split(*models, ","),
		TrainSubset: *subset, FCEpochs: *fcEpochs, CNNEpochs: *cnnEpochs, LogisticMaxIter: *lrIter, Seed: *seed, FCSeeds: *fcSeeds, Progress: stdout}
	if *quiet {
		opts.Progress = io.Discard
	}
	res, err := lab.FER2013(opts)
	if err != nil {
		return err
	}
	header, rows := res.Table()
	fmt.Fprintf(stdout, "\nFER2013, %s mode, %d training faces; results in %s/results.json\n", res.Mode, res.TrainImages, *out)
	fmt.Fprint(stdout, viz.TextTable(header, rows))
	return nil
}

func reproduceCircles(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("reproduce circles", stderr)
	verbose := fs.Bool("v", false, "print each fold as it finishes")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	var progress io.Writer = io.Discard
	if *verbose {
		progress = stdout
	}
	res, err := lab.CirclesCV(progress)
	if err != nil {
		return err
	}
	header, rows := res.Table()
	fmt.Fprintf(stdout, "make_circles(1000, noise=0.1, seed=1), unshuffled stratified 5-fold CV, 500 epochs of SGD(0.01), batch 32; backend %s, %.1f s\n", res.Backend, res.Seconds)
	fmt.Fprint(stdout, viz.TextTable(header, rows))
	return nil
}
