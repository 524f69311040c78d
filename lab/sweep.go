package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fer-thesis/fer/datasets"
	"github.com/fer-thesis/fer/fer"
)

// SweepConfig is one architecture of a sweep: Depth blocks of [Conv 3×3
// same relu → MaxPool 2 → BatchNorm → Dropout], the first with Width
// filters and each next one with twice as many (at most 8·Width), then
// Flatten → Dense 7 softmax — the thesis's CNN family (chapter 8), with its
// three knobs exposed.
type SweepConfig struct {
	Depth   int
	Width   int
	Dropout float64
}

// Name identifies the configuration in tables and file names, e.g.
// "d3-w32-p0.25".
func (c SweepConfig) Name() string {
	return fmt.Sprintf("d%d-w%d-p%g", c.Depth, c.Width, c.Dropout)
}

// Model builds the configuration's network for 48×48 grey faces, its
// BatchNorm layers with Keras's momentum (0.99).
func (c SweepConfig) Model() (*fer.Model, error) { return c.ModelWithBNMomentum(0) }

// ModelWithBNMomentum builds the network with the given momentum for the
// BatchNorm layers' moving averages (0: Keras's 0.99). With momentum μ the
// averages forget their initial values (mean 0, variance 1) only after a few
// times 1/(1-μ) steps: 0.99 needs several hundred, more than a short demo
// run takes, and until then a network can be right in training and wrong in
// inference.
func (c SweepConfig) ModelWithBNMomentum(momentum float64) (*fer.Model, error) {
	if momentum < 0 || momentum >= 1 {
		return nil, fmt.Errorf("sweep %s: BatchNorm momentum %g, want [0, 1)", c.Name(), momentum)
	}
	if c.Depth < 1 || c.Depth > 5 {
		return nil, fmt.Errorf("sweep %s: depth %d, want 1..5 (48×48 faces halve at every block)", c.Name(), c.Depth)
	}
	if c.Width < 1 || c.Width > 512 {
		return nil, fmt.Errorf("sweep %s: width %d, want 1..512", c.Name(), c.Width)
	}
	if c.Dropout < 0 || c.Dropout >= 1 {
		return nil, fmt.Errorf("sweep %s: dropout %g, want [0, 1)", c.Name(), c.Dropout)
	}
	layers := []fer.Layer{fer.Input(48, 48, 1), fer.Rescaling{Scale: 1.0 / 255}}
	filters := c.Width
	for range c.Depth {
		layers = append(layers, fer.Conv2D{Filters: filters, Kernel: 3, Padding: fer.Same, Activation: fer.ActReLU},
			fer.MaxPool2D{Pool: 2}, fer.BatchNormalization{Momentum: momentum})
		if c.Dropout > 0 {
			layers = append(layers, fer.Dropout{Rate: c.Dropout})
		}
		filters = min(2*filters, 8*c.Width)
	}
	layers = append(layers, fer.Flatten{}, fer.Dense{Units: 7, Activation: fer.ActSoftmax})
	m, err := fer.NewSequential(layers...)
	if err != nil {
		return nil, fmt.Errorf("sweep %s: %w", c.Name(), err)
	}
	return m.WithName(c.Name()), nil
}

// SweepOptions configures Sweep: the grid (every combination of Depths ×
// Widths × Dropouts) and how each configuration is trained.
type SweepOptions struct {
	DataDir string // default datasets.DataDir()
	OutDir  string // results and checkpoints; required
	Depths  []int
	Widths  []int
	// Dropouts may include 0 (no Dropout layers).
	Dropouts []float64
	// TrainSubset and EvalSubset, if > 0, use the first faces of Training
	// and of PublicTest.
	TrainSubset, EvalSubset int
	Epochs                  int   // per configuration; default 1
	Seed                    int64 // default fer.DefaultSeed
	// BNMomentum is the momentum of the BatchNorm moving averages; 0 means
	// Keras's 0.99 (see SweepConfig.ModelWithBNMomentum for when to lower it).
	BNMomentum float64
	Progress   io.Writer
}

// SweepRun is the result of one configuration, selected on PublicTest: the
// sweep never looks at PrivateTest, which stays for the one final report of
// the model the sweep picks.
type SweepRun struct {
	Config        SweepConfig
	Settings      string
	Params        int
	Epochs        int
	PlannedEpochs int
	ValAccuracy   float64 // PublicTest (or its first EvalSubset faces)
	ValLoss       float64
	TrainAccuracy float64 // last epoch, training mode (dropout on)
	Seconds       float64 // training wall time, all epochs
	Backend       string
	History       fer.History
}

// SweepResults are the runs of a sweep, in grid order.
type SweepResults struct {
	Runs []*SweepRun
}

// Sweep trains every configuration of the grid on Training (or its first
// TrainSubset faces) and validates it on PublicTest. It resumes: a
// configuration whose result file OutDir/<name>.json holds the same
// settings is not retrained, and an interrupted one continues from its
// checkpoint (OutDir/checkpoints/<name>).
func Sweep(opts SweepOptions) (*SweepResults, error) {
	if opts.OutDir == "" {
		return nil, errors.New("lab: sweep: OutDir is required")
	}
	if len(opts.Depths) == 0 || len(opts.Widths) == 0 || len(opts.Dropouts) == 0 {
		return nil, errors.New("lab: sweep: Depths, Widths and Dropouts each need at least one value")
	}
	if opts.DataDir == "" {
		opts.DataDir = datasets.DataDir()
	}
	if opts.Epochs <= 0 {
		opts.Epochs = 1
	}
	if opts.Seed == 0 {
		opts.Seed = fer.DefaultSeed
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	var grid []SweepConfig
	for _, d := range opts.Depths {
		for _, w := range opts.Widths {
			for _, p := range opts.Dropouts {
				c := SweepConfig{Depth: d, Width: w, Dropout: p}
				if _, err := c.ModelWithBNMomentum(opts.BNMomentum); err != nil { // validate the whole grid before training anything
					return nil, fmt.Errorf("lab: %w", err)
				}
				grid = append(grid, c)
			}
		}
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("lab: sweep: %w", err)
	}
	data, err := datasets.LoadFER2013Dir(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("lab: sweep: %w", err)
	}
	train, val := fer.FromImageSet(data.Training), fer.FromImageSet(data.PublicTest)
	if opts.TrainSubset > 0 && opts.TrainSubset < train.Len() {
		train = train.Head(opts.TrainSubset)
	}
	if opts.EvalSubset > 0 && opts.EvalSubset < val.Len() {
		val = val.Head(opts.EvalSubset)
	}
	_, choice, err := fer.Backend()
	if err != nil {
		return nil, fmt.Errorf("lab: sweep: %w", err)
	}
	res := &SweepResults{}
	for i, c := range grid {
		settings := fmt.Sprintf("Adam(0.001), batch 32, %d epochs, %d training faces, validated on %d PublicTest faces, seed %d",
			opts.Epochs, train.Len(), val.Len(), opts.Seed)
		if opts.BNMomentum != 0 {
			settings += fmt.Sprintf(", BatchNorm momentum %g", opts.BNMomentum)
		}
		path := filepath.Join(opts.OutDir, c.Name()+".json")
		if r := cachedSweepRun(path, settings); r != nil {
			fmt.Fprintf(opts.Progress, "[%d/%d] %s: reusing %s (validation accuracy %.4f)\n", i+1, len(grid), c.Name(), path, r.ValAccuracy)
			res.Runs = append(res.Runs, r)
			continue
		}
		m, _ := c.ModelWithBNMomentum(opts.BNMomentum) // validated above
		m = m.WithSeed(opts.Seed)
		if err := m.Compile(fer.Adam(0.001), fer.SparseCategoricalCrossEntropy); err != nil {
			return res, fmt.Errorf("lab: sweep %s: %w", c.Name(), err)
		}
		total, _, _ := m.CountParams()
		fmt.Fprintf(opts.Progress, "[%d/%d] %s: %d parameters, %d epochs on %s\n", i+1, len(grid), c.Name(), total, opts.Epochs, choice.Config)
		t0 := time.Now()
		h, err := m.Fit(train, fer.FitOptions{Epochs: opts.Epochs, Validation: &val,
			CheckpointDir: filepath.Join(opts.OutDir, "checkpoints", c.Name()), Progress: io.Discard})
		if err != nil {
			return res, fmt.Errorf("lab: sweep %s: %w", c.Name(), err)
		}
		secs := 0.0
		for _, s := range h.Seconds {
			secs += s
		}
		last := h.Last()
		r := &SweepRun{Config: c, Settings: settings, Params: total, Epochs: h.Len(), PlannedEpochs: opts.Epochs,
			ValAccuracy: last.ValAccuracy, ValLoss: last.ValLoss, TrainAccuracy: last.Accuracy, Seconds: secs,
			Backend: choice.Config, History: h}
		fmt.Fprintf(opts.Progress, "[%d/%d] %s: validation accuracy %.4f (%s)\n", i+1, len(grid), c.Name(), r.ValAccuracy, time.Since(t0).Round(time.Second))
		if err := writeJSON(path, r); err != nil {
			return res, err
		}
		res.Runs = append(res.Runs, r)
	}
	return res, nil
}

func cachedSweepRun(path, settings string) *SweepRun {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var r SweepRun
	if json.Unmarshal(data, &r) != nil || r.Settings != settings || r.Epochs < r.PlannedEpochs {
		return nil
	}
	return &r
}

// Best returns the run with the highest validation accuracy.
func (s *SweepResults) Best() *SweepRun {
	var best *SweepRun
	for _, r := range s.Runs {
		if best == nil || r.ValAccuracy > best.ValAccuracy {
			best = r
		}
	}
	return best
}

// Table lists the runs: configuration, parameters, validation accuracy and
// loss, training accuracy, time; the best on validation is marked.
func (s *SweepResults) Table() (header []string, rows [][]string) {
	header = []string{"config", "depth", "width", "dropout", "parameters", "val accuracy", "val loss", "train accuracy", "time", ""}
	best := s.Best()
	for _, r := range s.Runs {
		mark := ""
		if r == best {
			mark = "← best"
		}
		rows = append(rows, []string{r.Config.Name(), fmt.Sprint(r.Config.Depth), fmt.Sprint(r.Config.Width), fmt.Sprintf("%g", r.Config.Dropout),
			fmt.Sprint(r.Params), fmt.Sprintf("%.4f", r.ValAccuracy), fmt.Sprintf("%.4f", r.ValLoss), fmt.Sprintf("%.4f", r.TrainAccuracy),
			fmt.Sprintf("%.0f s", r.Seconds), mark})
	}
	return header, rows
}

// ByDepthAndDropout groups the runs for a plot of validation accuracy
// against width: one series per (depth, dropout), its points in width order.
func (s *SweepResults) ByDepthAndDropout() (names []string, widths, accuracies [][]float64) {
	index := map[string]int{}
	for _, r := range s.Runs {
		key := fmt.Sprintf("depth %d, dropout %g", r.Config.Depth, r.Config.Dropout)
		i, ok := index[key]
		if !ok {
			i = len(names)
			index[key] = i
			names = append(names, key)
			widths, accuracies = append(widths, nil), append(accuracies, nil)
		}
		widths[i] = append(widths[i], float64(r.Config.Width))
		accuracies[i] = append(accuracies[i], r.ValAccuracy)
	}
	return names, widths, accuracies
}

// ParseInts and ParseFloats read comma-separated lists (for fer sweep).
func ParseInts(s, what string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not an integer", what, f)
		}
		out = append(out, v)
	}
	return out, nil
}

// ParseFloats reads a comma-separated list of numbers.
func ParseFloats(s, what string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a number", what, f)
		}
		out = append(out, v)
	}
	return out, nil
}
