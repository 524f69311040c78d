package main

import (
	"fmt"
	"io"

	"github.com/fer-thesis/fer/lab"
)

func init() {
	register("beyond", "train chapter 9's from-scratch network (fer-vgg, augmented) on FER2013 (or its FER+ labels), with TTA and calibration", runBeyond)
}

func runBeyond(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("beyond", stderr)
	mode := fs.String("mode", envOr("FER_MODE", "quick"), "quick (1,500 training faces, 2 epochs) or full (all 28,709 faces, 25 epochs)")
	out := fs.String("out", "", "results folder (default out/beyond-<mode>); an interrupted run resumes from its checkpoint")
	data := fs.String("data", "", "data directory (default $FER_DATA_DIR)")
	subset := fs.Int("subset", 0, "train on the first N training faces (0: the mode's default)")
	epochs := fs.Int("epochs", 0, "epochs, the length of the cosine schedule (0: 25 in full mode, 2 in quick)")
	seed := fs.Int64("seed", 0, "seed of initialization, dropout, shuffling and augmentation (0: the default, 1)")
	cont := fs.String("continue", "", "results folder of a finished run to continue from: --epochs more epochs under a new cosine cycle (a warm restart), written to --out")
	swa := fs.Float64("swa-lr", 0, "stochastic weight averaging: with --continue, train --epochs epochs (0: 10 in full mode, 2 in quick) at this constant learning rate and average their weights")
	labels := fs.String("labels", "fer2013", "labels to learn: fer2013, or ferplus (the FER+ majority labels, 8 classes; needs fer2013new.csv)")
	width := fs.Int("width", 1, "multiply the widths of fer-vgg's convolutions (2: Khaireddin & Chen's widths, 4× the convolutions' multiply-adds)")
	quiet := fs.Bool("q", false, "no progress output")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *out == "" {
		*out = "out/beyond-" + *mode
	}
	opts := lab.BeyondOptions{DataDir: *data, OutDir: *out, Mode: *mode, TrainSubset: *subset, Epochs: *epochs, Seed: *seed, ContinueFrom: *cont, SWALearningRate: *swa, Labels: *labels, Width: *width, Progress: stdout}
	if *quiet {
		opts.Progress = io.Discard
	}
	r, err := lab.Beyond(opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nfer-vgg, width %d (%d parameters), %s labels, %s mode, %d training faces, %d epochs in %.0f s on %s\n", max(r.Width, 1), r.Parameters, r.Labels, r.Mode, r.TrainImages, r.Epochs, r.Seconds, r.Backend)
	if r.SWA != nil {
		fmt.Fprintf(stdout, "stochastic weight averaging of epochs %v at learning rate %g after cosine cycles %v of %s\n", r.SWA.Averaged, r.SWA.LearningRate, r.Cycles[:len(r.Cycles)-1], r.ContinuedFrom)
		fmt.Fprintf(stdout, "no TTA: last epoch PublicTest %.4f, PrivateTest %.4f; average before its BatchNorm update %.4f, %.4f\n",
			r.SWA.Last.ValAccuracy, r.SWA.Last.TestAccuracy, r.SWA.NoBNUpdate.ValAccuracy, r.SWA.NoBNUpdate.TestAccuracy)
	} else if r.ContinuedFrom != "" {
		fmt.Fprintf(stdout, "cosine cycles %v (warm restart from %s; epochs and seconds count the whole chain)\n", r.Cycles, r.ContinuedFrom)
	}
	fmt.Fprintf(stdout, "TTA %s (selected on PublicTest): PublicTest %.4f, PrivateTest %.4f\n", r.TTA, r.ValAccuracy, r.TestAccuracy)
	if c := r.Calibration; c != nil {
		fmt.Fprintf(stdout, "temperature %.3f: PrivateTest ECE %.4f -> %.4f\n", c.T, c.Before.ECE, c.After.ECE)
	}
	fmt.Fprintf(stdout, "results in %s/%s.json\n", *out, lab.VGG)
	return nil
}
