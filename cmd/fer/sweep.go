package main

import (
	"fmt"
	"io"

	"github.com/fer-thesis/fer/lab"
	"github.com/fer-thesis/fer/viz"
)

func init() {
	register("sweep", "train a grid of CNN architectures (depth × width × dropout) on FER2013 and compare them on PublicTest (resumable)", runSweep)
}

func runSweep(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep", stderr)
	depths := fs.String("depths", "2,3,4", "numbers of conv blocks, comma-separated")
	widths := fs.String("widths", "16,32", "filters of the first block (doubling per block), comma-separated")
	dropouts := fs.String("dropouts", "0,0.25", "dropout rates after each block, comma-separated")
	subset := fs.Int("subset", 4000, "train on the first N training faces (0: all 28,709)")
	val := fs.Int("val", 0, "validate on the first N PublicTest faces (0: all 3,589)")
	epochs := fs.Int("epochs", 3, "epochs per configuration")
	seed := fs.Int64("seed", 0, "seed of every run (0: the default, 1)")
	bnMomentum := fs.Float64("bn-momentum", 0, "momentum of the BatchNorm moving averages (0: Keras's 0.99; lower it for runs of a few hundred steps)")
	out := fs.String("out", "out/sweep", "results folder (a run with the same settings is reused; an interrupted one resumes)")
	data := fs.String("data", "", "data directory (default $FER_DATA_DIR)")
	quiet := fs.Bool("q", false, "no progress output")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	opts := lab.SweepOptions{DataDir: *data, OutDir: *out, TrainSubset: *subset, EvalSubset: *val, Epochs: *epochs, Seed: *seed, BNMomentum: *bnMomentum, Progress: stdout}
	var err error
	if opts.Depths, err = lab.ParseInts(*depths, "--depths"); err != nil {
		return err
	}
	if opts.Widths, err = lab.ParseInts(*widths, "--widths"); err != nil {
		return err
	}
	if opts.Dropouts, err = lab.ParseFloats(*dropouts, "--dropouts"); err != nil {
		return err
	}
	if *quiet {
		opts.Progress = io.Discard
	}
	res, err := lab.Sweep(opts)
	if err != nil {
		return err
	}
	header, rows := res.Table()
	fmt.Fprintf(stdout, "\nsweep: %d configurations; results in %s\n", len(res.Runs), *out)
	fmt.Fprint(stdout, viz.TextTable(header, rows))
	return nil
}
