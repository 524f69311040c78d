package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"github.com/fer-thesis/fer/fer"
)

func init() {
	register("bench", "measure training (or --infer) images/second of a thesis model", runBench)
}

// runBench implements "fer bench".
func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	name := fs.String("model", "mnist-cnn", "model name (see fer summary --list)")
	batch := fs.Int("batch", 32, "batch size")
	steps := fs.Int("steps", 20, "timed steps")
	warmup := fs.Int("warmup", 2, "untimed steps before timing (the first one compiles the graph)")
	infer := fs.Bool("infer", false, "time inference (forward pass) instead of training steps")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (warm-up included) to this file, for go tool pprof")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fer bench: unexpected arguments %q\n", fs.Args())
		return errUsage
	}
	if *batch <= 0 || *steps <= 0 || *warmup < 0 {
		fmt.Fprintln(stderr, "fer bench: --batch and --steps must be positive, --warmup not negative")
		return errUsage
	}
	m, err := fer.New(*name)
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("fer bench: --cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("fer bench: --cpuprofile %s: %w", *cpuProfile, err)
		}
		defer pprof.StopCPUProfile()
	}
	b, choice, err := fer.Backend()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backend: %s (%s)\n", choice.Config, b.Description())
	r, err := m.Bench(fer.BenchOptions{Batch: *batch, Steps: *steps, Warmup: *warmup, Infer: *infer})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, r)
	return nil
}
