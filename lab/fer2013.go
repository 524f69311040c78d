package lab

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/fer-thesis/fer/calibration"
	"github.com/fer-thesis/fer/datasets"
	"github.com/fer-thesis/fer/fer"
	"gonum.org/v1/gonum/mat"
)

// The models of the thesis's table 8.2 that this package trains.
const (
	Logistic = "logistic"
	FC       = "fc"
	CNN      = "cnn"
)

// Thesis holds the test accuracies the thesis reports for each model.
var Thesis = map[string]float64{Logistic: 0.33, FC: 0.39, CNN: 0.66}

// Technique names each model as the thesis's table does.
var Technique = map[string]string{
	Logistic: "Multinomial logistic regression (L2, L-BFGS)",
	FC:       "Fully connected network (fer-fc)",
	CNN:      "Convolutional network (fer-cnn)",
}

// FER2013Options configures FER2013. Zero values give the thesis's settings
// in "full" mode and small subsets in "quick" mode.
type FER2013Options struct {
	DataDir string   // default datasets.DataDir()
	OutDir  string   // results folder (created); required
	Mode    string   // "quick" or "full"; default fer.RunMode()
	Models  []string // default Logistic, FC, CNN
	// TrainSubset, if > 0, trains on the first TrainSubset training faces
	// (quick mode default 2,000).
	TrainSubset int
	// EvalSubset, if > 0, validates and tests on the first EvalSubset faces
	// of PublicTest and PrivateTest (quick mode default 1,000; full mode uses
	// both splits whole, as the thesis does).
	EvalSubset int
	// Epochs per network; 0 takes the thesis's (FC 5, CNN 50) in full mode
	// and 1 in quick mode.
	FCEpochs, CNNEpochs int
	// LogisticMaxIter is the L-BFGS iteration limit; 0 takes the thesis's
	// 10,000 in full mode and 200 in quick mode.
	LogisticMaxIter int
	// Seed seeds the networks' initialization, dropout and shuffling; 0
	// takes fer.DefaultSeed. Runs that differ only in the seed show how much
	// of a network's test accuracy is luck (see the chapter 8 notebook).
	Seed int64
	// FCSeeds is how many seeds the FC network is trained with (Seed,
	// Seed+1, …); its row keeps the run with the highest PublicTest
	// accuracy (the lowest seed on a tie), the way one picks any
	// hyperparameter on validation data, never on PrivateTest. Five epochs
	// of this network end several points apart from one seed to the next
	// (chapter 8 notebook), so the thesis's single run says little. Each
	// run is kept in OutDir/fc-seeds/seed-N. 0 takes 5 in full mode and 2 in
	// quick mode; 1 trains one network, as the thesis reports.
	FCSeeds int
	// Progress receives progress lines; nil discards them.
	Progress io.Writer
}

// Calibration summarises temperature scaling of a model: T fitted on the
// PublicTest logits, metrics on PrivateTest before and after.
type Calibration struct {
	T                       float64
	Before, After           calibration.Report
	AccuracyUnchanged       bool
	TemperatureAtBound      bool
	TemperatureNote         string
	ValidationNLLBefore     float64
	ValidationNLLAfterScale float64
}

// ModelResult is one row of the results table with everything behind it.
type ModelResult struct {
	Model          string
	Technique      string
	Settings       string
	Backend        string
	TestAccuracy   float64 // PrivateTest
	ValAccuracy    float64 // PublicTest
	ThesisAccuracy float64
	KagglePosition string
	Seconds        float64 // training wall time
	Epochs         int     // epochs trained (networks) or L-BFGS iterations
	PlannedEpochs  int
	Seed           int64 `json:",omitempty"` // networks: the seed of initialization, dropout and shuffling
	Converged      bool  // logistic regression: L-BFGS met its tolerance
	// SeedRuns lists every seed's run when the network was selected among
	// several (FCSeeds > 1); Seed is then the selected one and Seconds the
	// training time of all of them.
	SeedRuns    []SeedRun `json:",omitempty"`
	Confusion   fer.ConfusionMatrix
	History     *fer.History `json:",omitempty"`
	Calibration *Calibration `json:",omitempty"`
}

// SeedRun is one seed of a network selected on PublicTest.
type SeedRun struct {
	Seed                      int64
	ValAccuracy, TestAccuracy float64
	Seconds                   float64
}

// Complete reports whether the model was trained with all planned epochs.
func (r *ModelResult) Complete() bool { return r.Epochs >= r.PlannedEpochs }

// FER2013Results is what FER2013 returns and writes to OutDir/results.json.
type FER2013Results struct {
	Mode        string
	TrainImages int
	TestImages  int // PrivateTest faces evaluated (PublicTest: the same number)
	Models      []*ModelResult
}

func (o *FER2013Options) defaults() error {
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
	quick := o.Mode == "quick"
	if len(o.Models) == 0 {
		o.Models = []string{Logistic, FC, CNN}
	}
	for _, m := range o.Models {
		if _, ok := Thesis[m]; !ok {
			return fmt.Errorf("lab: unknown model %q (want %s, %s or %s)", m, Logistic, FC, CNN)
		}
	}
	pick := func(v *int, q, f int) {
		if *v == 0 {
			if quick {
				*v = q
			} else {
				*v = f
			}
		}
	}
	pick(&o.TrainSubset, 2000, 0)
	pick(&o.EvalSubset, 1000, 0)
	pick(&o.FCEpochs, 1, 5)
	pick(&o.CNNEpochs, 1, 50)
	pick(&o.LogisticMaxIter, 200, 10000)
	pick(&o.FCSeeds, 2, 5)
	if o.FCSeeds < 0 {
		return fmt.Errorf("lab: FCSeeds %d, want 1 or more (0: the mode's default)", o.FCSeeds)
	}
	if o.Seed == 0 {
		o.Seed = fer.DefaultSeed
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return nil
}

// FER2013 reproduces the thesis's chapter 8 table: it trains the models on
// Training (or a subset), validates on PublicTest and tests on PrivateTest,
// calibrates the networks by temperature scaling fitted on PublicTest, and
// writes OutDir/results.json, OutDir/<model>.json and the logits as CSV
// (label,z_0,…,z_6: the format of fer calibrate). It resumes: a model whose
// result file exists with the same settings is not retrained, and networks
// continue from their last checkpoint (OutDir/checkpoints/<model>).
func FER2013(opts FER2013Options) (*FER2013Results, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	start := time.Now()
	data, err := datasets.LoadFER2013Dir(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	train := headOf(data.Training, opts.TrainSubset)
	data = &datasets.FER2013{Training: data.Training, PublicTest: headOf(data.PublicTest, opts.EvalSubset), PrivateTest: headOf(data.PrivateTest, opts.EvalSubset)}
	fmt.Fprintf(opts.Progress, "FER2013 loaded in %s: training on %d faces, validating on %d, testing on %d (mode %s)\n",
		time.Since(start).Round(time.Millisecond), train.Len(), data.PublicTest.Len(), data.PrivateTest.Len(), opts.Mode)
	res := &FER2013Results{Mode: opts.Mode, TrainImages: train.Len(), TestImages: data.PrivateTest.Len()}
	for _, name := range opts.Models {
		var r *ModelResult
		var err error
		switch name {
		case Logistic:
			r, err = runLogistic(train, data, opts)
		case FC:
			if opts.FCSeeds > 1 {
				r, err = runSelectedSeed(FC, opts.FCSeeds, train, data, opts)
				break
			}
			r, err = runNetwork(FC, train, data, opts)
		default:
			r, err = runNetwork(name, train, data, opts)
		}
		if err != nil {
			return res, fmt.Errorf("lab: %s: %w", name, err)
		}
		res.Models = append(res.Models, r)
		if err := writeJSON(filepath.Join(opts.OutDir, "results.json"), res); err != nil {
			return res, err
		}
	}
	return res, nil
}

func settingsOf(name string, opts FER2013Options, train int) string {
	switch name {
	case Logistic:
		return fmt.Sprintf("standardized pixels, C=1, L-BFGS max_iter=%d, tol=1e-4, %d training faces%s", opts.LogisticMaxIter, train, evalNote(opts))
	case FC:
		return fmt.Sprintf("Adam(0.001), batch 32, %d epochs, %d training faces%s%s", opts.FCEpochs, train, evalNote(opts), seedNote(opts))
	default:
		return fmt.Sprintf("Adam(0.001), batch 32, %d epochs, %d training faces%s%s", opts.CNNEpochs, train, evalNote(opts), seedNote(opts))
	}
}

func evalNote(opts FER2013Options) string {
	if opts.EvalSubset > 0 {
		return fmt.Sprintf(", tested on the first %d faces of each test split", opts.EvalSubset)
	}
	return ""
}

// seedNote names a network's seed in its settings; the default seed is left
// out so that results saved before seeds were an option still match.
func seedNote(opts FER2013Options) string {
	if opts.Seed != fer.DefaultSeed {
		return fmt.Sprintf(", seed %d", opts.Seed)
	}
	return ""
}

// cached returns the saved result of a model if it was produced with the same settings.
func cached(path, settings string) *ModelResult {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var r ModelResult
	if json.Unmarshal(data, &r) != nil || r.Settings != settings || !r.Complete() {
		return nil
	}
	return &r
}

func toDense(s *datasets.ImageSet) (*mat.Dense, []int) {
	n, d := s.Len(), s.Height*s.Width
	X := mat.NewDense(n, d, nil)
	raw := X.RawMatrix().Data
	for i, p := range s.Pixels {
		raw[i] = float64(p)
	}
	return X, s.IntLabels()
}

func runLogistic(train *datasets.ImageSet, data *datasets.FER2013, opts FER2013Options) (*ModelResult, error) {
	settings := settingsOf(Logistic, opts, train.Len())
	path := filepath.Join(opts.OutDir, Logistic+".json")
	if r := cached(path, settings); r != nil {
		fmt.Fprintf(opts.Progress, "%s: reusing %s (test accuracy %.4f)\n", Logistic, path, r.TestAccuracy)
		return r, nil
	}
	Xtr, ytr := toDense(train)
	Xval, yval := toDense(data.PublicTest)
	Xte, yte := toDense(data.PrivateTest)
	std := fer.FitStandardizer(Xtr)
	std.Transform(Xtr)
	std.Transform(Xval)
	std.Transform(Xte)
	fmt.Fprintf(opts.Progress, "%s: L-BFGS on %d×%d standardized pixels (max %d iterations)\n", Logistic, train.Len(), 48*48, opts.LogisticMaxIter)
	t0 := time.Now()
	m, info, err := fer.FitSoftmaxL2(Xtr, ytr, len(datasets.EmotionNames), fer.SoftmaxL2Options{
		C: 1, MaxIter: opts.LogisticMaxIter, Tol: 1e-4,
		Progress: func(it int, f, g float64) {
			if it%50 == 0 {
				fmt.Fprintf(opts.Progress, "  iteration %d: objective %.6f, |gradient|∞ %.2e (%s)\n", it, f, g, time.Since(t0).Round(time.Second))
			}
		},
	})
	if err != nil {
		return nil, err
	}
	r := &ModelResult{Model: Logistic, Technique: Technique[Logistic], Settings: settings, Backend: "gonum (float64, CPU)",
		ThesisAccuracy: Thesis[Logistic], Seconds: time.Since(t0).Seconds(), Epochs: info.Iterations,
		PlannedEpochs: info.Iterations, Converged: info.Converged}
	fmt.Fprintf(opts.Progress, "%s: %s after %d iterations in %s\n", Logistic, info.Status, info.Iterations, info.Duration.Round(time.Second))
	valLogits, testLogits := denseRows(m.Logits(Xval)), denseRows(m.Logits(Xte))
	if err := finish(r, valLogits, yval, testLogits, yte, false, opts); err != nil {
		return nil, err
	}
	return r, writeJSON(path, r)
}

func denseRows(Z *mat.Dense) [][]float64 {
	n, _ := Z.Dims()
	out := make([][]float64, n)
	for i := range out {
		out[i] = append([]float64(nil), Z.RawRowView(i)...)
	}
	return out
}

func float64Rows(rows [][]float32) [][]float64 {
	out := make([][]float64, len(rows))
	for i, r := range rows {
		out[i] = make([]float64, len(r))
		for j, v := range r {
			out[i][j] = float64(v)
		}
	}
	return out
}

func runNetwork(name string, train *datasets.ImageSet, data *datasets.FER2013, opts FER2013Options) (*ModelResult, error) {
	settings := settingsOf(name, opts, train.Len())
	path := filepath.Join(opts.OutDir, name+".json")
	if r := cached(path, settings); r != nil {
		fmt.Fprintf(opts.Progress, "%s: reusing %s (test accuracy %.4f)\n", name, path, r.TestAccuracy)
		return r, nil
	}
	arch, epochs := "fer-fc", opts.FCEpochs
	if name == CNN {
		arch, epochs = "fer-cnn", opts.CNNEpochs
	}
	m, err := fer.New(arch)
	if err != nil {
		return nil, err
	}
	m = m.WithSeed(opts.Seed)
	if err := m.Compile(fer.Adam(0.001), fer.SparseCategoricalCrossEntropy); err != nil {
		return nil, err
	}
	_, choice, err := fer.Backend()
	if err != nil {
		return nil, err
	}
	trainData, val, test := fer.FromImageSet(train), fer.FromImageSet(data.PublicTest), fer.FromImageSet(data.PrivateTest)
	fmt.Fprintf(opts.Progress, "%s: %s, %d epochs, batch 32, on %s\n", name, arch, epochs, choice.Config)
	t0 := time.Now()
	h, err := m.Fit(trainData, fer.FitOptions{Epochs: epochs, BatchSize: 32, Validation: &val,
		CheckpointDir: filepath.Join(opts.OutDir, "checkpoints", name), Progress: opts.Progress})
	if err != nil {
		return nil, err
	}
	secs := 0.0
	for _, s := range h.Seconds {
		secs += s
	}
	r := &ModelResult{Model: name, Technique: Technique[name], Settings: settings, Backend: choice.Config,
		ThesisAccuracy: Thesis[name], Seed: opts.Seed, Seconds: secs, Epochs: h.Len(), PlannedEpochs: epochs, History: &h}
	fmt.Fprintf(opts.Progress, "%s: %d epochs (%s this call)\n", name, h.Len(), time.Since(t0).Round(time.Second))
	valLogits, err := m.Logits(val)
	if err != nil {
		return nil, err
	}
	testLogits, err := m.Logits(test)
	if err != nil {
		return nil, err
	}
	if err := finish(r, float64Rows(valLogits), data.PublicTest.IntLabels(), float64Rows(testLogits), data.PrivateTest.IntLabels(), true, opts); err != nil {
		return nil, err
	}
	return r, writeJSON(path, r)
}

// runSelectedSeed trains network name with n seeds (opts.Seed, opts.Seed+1,
// …), each in OutDir/<name>-seeds/seed-N and each reused if finished, and
// returns the run with the highest PublicTest accuracy as the model's
// result, its logits copied to OutDir.
func runSelectedSeed(name string, n int, train *datasets.ImageSet, data *datasets.FER2013, opts FER2013Options) (*ModelResult, error) {
	first, last := opts.Seed, opts.Seed+int64(n)-1
	settings := fmt.Sprintf("%s, the best on PublicTest of seeds %d–%d", withoutSeed(settingsOf(name, opts, train.Len())), first, last)
	path := filepath.Join(opts.OutDir, name+".json")
	if r := cached(path, settings); r != nil {
		fmt.Fprintf(opts.Progress, "%s: reusing %s (seed %d, test accuracy %.4f)\n", name, path, r.Seed, r.TestAccuracy)
		return r, nil
	}
	dirs := make([]string, 0, n)
	for seed := first; seed <= last; seed++ {
		o := opts
		o.Seed = seed
		o.OutDir = SeedDir(opts.OutDir, name, seed)
		if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		fmt.Fprintf(opts.Progress, "%s: seed %d (%d of %d)\n", name, seed, seed-first+1, n)
		if _, err := runNetwork(name, train, data, o); err != nil {
			return nil, fmt.Errorf("seed %d: %w", seed, err)
		}
		dirs = append(dirs, o.OutDir)
	}
	study, err := LoadSeedStudy(name, dirs...)
	if err != nil {
		return nil, err
	}
	if len(study.Runs) != n {
		return nil, fmt.Errorf("lab: %d of %d seed runs of %s finished", len(study.Runs), n, name)
	}
	sel := *study.Selected
	sel.Settings, sel.Seconds, sel.SeedRuns = settings, 0, nil
	for _, r := range study.Runs {
		sel.Seconds += r.Seconds
		sel.SeedRuns = append(sel.SeedRuns, SeedRun{Seed: r.Seed, ValAccuracy: r.ValAccuracy, TestAccuracy: r.TestAccuracy, Seconds: r.Seconds})
	}
	for _, split := range []string{"publictest", "privatetest"} {
		file := name + "_" + split + "_logits.csv"
		src := filepath.Join(SeedDir(opts.OutDir, name, sel.Seed), file)
		b, err := os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("lab: the selected seed's logits: %w (delete %s to train that seed again)", err,
				filepath.Join(SeedDir(opts.OutDir, name, sel.Seed), name+".json"))
		}
		if err := writeAtomic(filepath.Join(opts.OutDir, file), b); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(opts.Progress, "%s: kept seed %d of %d–%d (PublicTest %.4f); its PrivateTest accuracy %.4f (mean over the seeds %.4f ± %.4f)\n",
		name, sel.Seed, first, last, sel.ValAccuracy, sel.TestAccuracy, study.MeanTest, study.SDTest)
	return &sel, writeJSON(path, &sel)
}

// SeedDir is the folder of one seed's run of a network selected among
// seeds (FER2013Options.FCSeeds) inside the results folder outDir.
func SeedDir(outDir, model string, seed int64) string {
	return filepath.Join(outDir, model+"-seeds", fmt.Sprintf("seed-%d", seed))
}

// finish computes accuracies, the confusion matrix and (for networks) the
// calibration, and writes the logits.
func finish(r *ModelResult, valLogits [][]float64, yval []int, testLogits [][]float64, yte []int, calibrate bool, opts FER2013Options) error {
	for _, f := range []struct {
		split  string
		logits [][]float64
		y      []int
	}{{"publictest", valLogits, yval}, {"privatetest", testLogits, yte}} {
		if err := WriteLogitsCSV(filepath.Join(opts.OutDir, r.Model+"_"+f.split+"_logits.csv"), f.logits, f.y); err != nil {
			return err
		}
	}
	classes := len(datasets.EmotionNames)
	if len(testLogits) > 0 {
		classes = len(testLogits[0]) // 8 for the FER+ labels
	}
	var err error
	r.Confusion, err = fer.NewConfusionMatrix(yte, argmaxRows(testLogits), classes)
	if err != nil {
		return err
	}
	r.TestAccuracy = r.Confusion.Accuracy()
	vc, err := fer.NewConfusionMatrix(yval, argmaxRows(valLogits), classes)
	if err != nil {
		return err
	}
	r.ValAccuracy = vc.Accuracy()
	r.KagglePosition = KagglePosition(r.TestAccuracy)
	thesis := ""
	if r.ThesisAccuracy > 0 {
		thesis = fmt.Sprintf(" (thesis %.2f)", r.ThesisAccuracy)
	}
	fmt.Fprintf(opts.Progress, "%s: PublicTest accuracy %.4f, PrivateTest accuracy %.4f%s\n", r.Model, r.ValAccuracy, r.TestAccuracy, thesis)
	if !calibrate {
		return nil
	}
	fit, err := calibration.FitTemperature(valLogits, yval)
	if err != nil {
		return err
	}
	before, err := calibration.EvaluateLogits(testLogits, yte, 10)
	if err != nil {
		return err
	}
	scaled := make([][]float64, len(testLogits))
	for i, z := range testLogits {
		scaled[i] = make([]float64, len(z))
		for k, v := range z {
			scaled[i][k] = v / fit.T
		}
	}
	after, err := calibration.EvaluateLogits(scaled, yte, 10)
	if err != nil {
		return err
	}
	r.Calibration = &Calibration{T: fit.T, Before: before, After: after, AccuracyUnchanged: before.Accuracy == after.Accuracy,
		TemperatureAtBound: fit.AtBound, TemperatureNote: fit.Note, ValidationNLLBefore: fit.NLLBefore, ValidationNLLAfterScale: fit.NLLAfter}
	fmt.Fprintf(opts.Progress, "%s: temperature %.3f; PrivateTest ECE %.4f → %.4f, NLL %.4f → %.4f\n", r.Model, fit.T, before.ECE, after.ECE, before.NLL, after.NLL)
	return nil
}

// WriteLogitsCSV writes logits in the format of fer calibrate (see
// calibration.WriteLogitsCSV), atomically: a reader never sees half a file.
func WriteLogitsCSV(path string, logits [][]float64, labels []int) error {
	var b bytes.Buffer
	if err := calibration.WriteLogitsCSV(&b, logits, labels); err != nil {
		return fmt.Errorf("logits %s: %w", path, err)
	}
	return writeAtomic(path, b.Bytes())
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("lab: encoding %s: %w", path, err)
	}
	return writeAtomic(path, append(data, '\n'))
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("lab: writing %s: %w", path, err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("lab: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("lab: writing %s: %w", path, err)
	}
	return nil
}

// LoadFER2013Results reads OutDir/results.json written by FER2013.
func LoadFER2013Results(outDir string) (*FER2013Results, error) {
	path := filepath.Join(outDir, "results.json")
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no results in %s (run: go run ./cmd/fer reproduce fer2013 --out %s): %w", outDir, outDir, err)
		}
		return nil, err
	}
	var r FER2013Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}
