package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/fer-thesis/fer/calibration"
	"github.com/fer-thesis/fer/viz"
)

func init() {
	register("calibrate", "calibration metrics and temperature scaling of a logits CSV (--logits FILE [--fit FILE])", runCalibrate)
}

// calibrateReport is what "fer calibrate" prints, as JSON.
type calibrateReport struct {
	File    string `json:"file"`
	N       int    `json:"n"`
	Classes int    `json:"classes"`
	Bins    int    `json:"bins"`

	Accuracy     float64 `json:"accuracy"`
	Confidence   float64 `json:"confidence"`
	ECE          float64 `json:"ece"`
	MCE          float64 `json:"mce"`
	NLL          float64 `json:"nll"`
	Brier        float64 `json:"brier"`
	ClasswiseECE float64 `json:"classwise_ece"`

	// ECECI is the bootstrap percentile interval of ECE (with --bootstrap).
	ECECI      *[2]float64 `json:"ece_ci,omitempty"`
	ECECILevel float64     `json:"ece_ci_level,omitempty"`

	Temperature        float64 `json:"temperature"`
	FitFile            string  `json:"fit_file"`
	FitN               int     `json:"fit_n"`
	TemperatureAtBound bool    `json:"temperature_at_bound"`
	TemperatureNote    string  `json:"temperature_note,omitempty"`

	ConfidenceAfter float64 `json:"confidence_after"`
	ECEAfter        float64 `json:"ece_after"`
	MCEAfter        float64 `json:"mce_after"`
	NLLAfter        float64 `json:"nll_after"`
	BrierAfter      float64 `json:"brier_after"`
}

// runCalibrate implements "fer calibrate".
func runCalibrate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("calibrate", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: fer calibrate --logits FILE.csv [--bins 10] [--fit FILE.csv] [--bootstrap B] [--plot FIG.png]

Reads logits, one example per line: label,z_0,...,z_{J-1} (an optional first
line starting with a non-number, like "label,z0,...", is a header). Prints as
JSON the accuracy, ECE, MCE, NLL and Brier score of softmax(z), the
temperature T that minimises the NLL (fitted on the same file, or on --fit,
e.g. validation logits), and the metrics of softmax(z/T).

`)
		fs.PrintDefaults()
	}
	logitsPath := fs.String("logits", "", "CSV of label,z_0,...,z_{J-1} to evaluate (required)")
	bins := fs.Int("bins", 10, "number of equal-width confidence bins")
	fitPath := fs.String("fit", "", "CSV to fit the temperature on (default: the --logits file)")
	boot := fs.Int("bootstrap", 0, "if > 0, resamples for a 95% bootstrap interval of ECE")
	seed := fs.Uint64("seed", 1, "seed of the bootstrap")
	plotPath := fs.String("plot", "", "also write the before/after reliability figure to this PNG")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fer calibrate: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return errUsage
	}
	if *logitsPath == "" {
		fmt.Fprintln(stderr, "fer calibrate: --logits FILE is required")
		fs.Usage()
		return errUsage
	}
	if *bins < 1 || *boot < 0 {
		fmt.Fprintln(stderr, "fer calibrate: --bins must be positive and --bootstrap not negative")
		return errUsage
	}

	z, y, err := calibration.LoadLogitsCSV(*logitsPath)
	if err != nil {
		return err
	}
	fitZ, fitY, fitFile := z, y, *logitsPath
	if *fitPath != "" {
		if fitZ, fitY, err = calibration.LoadLogitsCSV(*fitPath); err != nil {
			return err
		}
		fitFile = *fitPath
		if len(fitZ[0]) != len(z[0]) {
			return fmt.Errorf("%s has %d classes but %s has %d", *fitPath, len(fitZ[0]), *logitsPath, len(z[0]))
		}
	}

	before, err := calibration.EvaluateLogits(z, y, *bins)
	if err != nil {
		return fmt.Errorf("%s: %w", *logitsPath, err)
	}
	fit, err := calibration.FitTemperature(fitZ, fitY)
	if err != nil {
		return fmt.Errorf("fitting the temperature on %s: %w", fitFile, err)
	}
	scaled := make([][]float64, len(z))
	for i, row := range z {
		scaled[i] = make([]float64, len(row))
		for j, v := range row {
			scaled[i][j] = v / fit.T
		}
	}
	after, err := calibration.EvaluateLogits(scaled, y, *bins)
	if err != nil {
		return fmt.Errorf("%s after temperature scaling: %w", *logitsPath, err)
	}

	rep := calibrateReport{
		File: *logitsPath, N: before.N, Classes: before.Classes, Bins: *bins,
		Accuracy: before.Accuracy, Confidence: before.Confidence, ECE: before.ECE, MCE: before.MCE,
		NLL: before.NLL, Brier: before.Brier, ClasswiseECE: before.ClasswiseECE,
		Temperature: fit.T, FitFile: fitFile, FitN: len(fitZ),
		TemperatureAtBound: fit.AtBound, TemperatureNote: fit.Note,
		ConfidenceAfter: after.Confidence, ECEAfter: after.ECE, MCEAfter: after.MCE,
		NLLAfter: after.NLL, BrierAfter: after.Brier,
	}
	if *boot > 0 {
		probs, err := calibration.Softmax(z, 1)
		if err != nil {
			return fmt.Errorf("%s: %w", *logitsPath, err)
		}
		iv, err := calibration.Bootstrap{Resamples: *boot, Level: 0.95, Seed: *seed}.ECE(probs, y, *bins)
		if err != nil {
			return fmt.Errorf("bootstrap of ECE on %s: %w", *logitsPath, err)
		}
		rep.ECECI, rep.ECECILevel = &[2]float64{iv.Lo, iv.Hi}, iv.Level
	}
	if *plotPath != "" {
		png, err := viz.BeforeAfter("Before calibration (T = 1)", before.Bins,
			fmt.Sprintf("Temperature scaling, T = %.3g", fit.T), after.Bins, viz.DefaultWidth, viz.DefaultWidth)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*plotPath, png, 0o644); err != nil {
			return fmt.Errorf("writing the figure: %w", err)
		}
	}
	out, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the report: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "%s\n", out)
	return err
}
