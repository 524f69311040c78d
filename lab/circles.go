package lab

import (
	"fmt"
	"io"
	"time"

	"github.com/fer-thesis/fer/datasets"
	"github.com/fer-thesis/fer/fer"
)

// CirclesModels are the two models of the chapter 5 lab.
var CirclesModels = []string{"circles-logistic", "circles-fc"}

// ThesisCirclesCV holds the thesis's 5-fold accuracies (§5.4), per model.
var ThesisCirclesCV = map[string][]float64{
	"circles-logistic": {0.50, 0.48, 0.43, 0.46, 0.47},
	"circles-fc":       {0.79, 0.83, 0.79, 0.87, 0.82},
}

// CirclesCVResult holds the test accuracy of each model on each fold.
type CirclesCVResult struct {
	Models   []string
	Accuracy [][]float64 // [model][fold]
	Seconds  float64
	Backend  string
}

// CompileCircles returns a fresh chapter 5 model compiled as in the lab:
// SGD with learning rate 0.01 and binary cross-entropy.
func CompileCircles(name string, seed int64) (*fer.Model, error) {
	m, err := fer.New(name)
	if err != nil {
		return nil, err
	}
	m = m.WithSeed(seed)
	if err := m.Compile(fer.SGD(0.01), fer.BinaryCrossEntropy); err != nil {
		return nil, err
	}
	return m, nil
}

// CirclesCV runs the chapter 5 cross-validation: scikit-learn's
// make_circles(1000, noise=0.1, random_state=1), unshuffled
// StratifiedKFold(5) (the same rows as scikit-learn's folds), and for every
// fold both models trained for 500 epochs of SGD(0.01) with batch 32 (model
// seed = fold number) and tested on the held-out fold.
func CirclesCV(progress io.Writer) (*CirclesCVResult, error) {
	if progress == nil {
		progress = io.Discard
	}
	X, y := datasets.MakeCircles(1000, 0.1, 1, true)
	folds, err := datasets.StratifiedKFold(y, 5, nil)
	if err != nil {
		return nil, err
	}
	_, choice, err := fer.Backend()
	if err != nil {
		return nil, err
	}
	all := fer.FromPoints(X, y)
	res := &CirclesCVResult{Models: CirclesModels, Backend: choice.Config}
	start := time.Now()
	for _, name := range CirclesModels {
		var accs []float64
		for k, f := range folds {
			m, err := CompileCircles(name, int64(k+1))
			if err != nil {
				return nil, err
			}
			if _, err := m.Fit(all.Subset(f.Train), fer.FitOptions{Epochs: 500, BatchSize: 32, Progress: io.Discard}); err != nil {
				return nil, fmt.Errorf("%s fold %d: %w", name, k+1, err)
			}
			_, acc, err := m.Evaluate(all.Subset(f.Test))
			if err != nil {
				return nil, fmt.Errorf("%s fold %d: %w", name, k+1, err)
			}
			fmt.Fprintf(progress, "%s fold %d: test accuracy %.3f\n", name, k+1, acc)
			accs = append(accs, acc)
		}
		res.Accuracy = append(res.Accuracy, accs)
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// Mean returns the mean accuracy over the folds of model i.
func (r *CirclesCVResult) Mean(i int) float64 {
	s := 0.0
	for _, a := range r.Accuracy[i] {
		s += a
	}
	return s / float64(len(r.Accuracy[i]))
}

// Table returns the cross-validation table with the thesis's row (rounded to
// two decimals there) and the difference under each of ours.
func (r *CirclesCVResult) Table() (header []string, rows [][]string) {
	header = []string{"model", "", "fold 1", "fold 2", "fold 3", "fold 4", "fold 5", "mean"}
	for i, name := range r.Models {
		ours, thesis, diff := []string{name, "ours"}, []string{"", "thesis"}, []string{"", "difference"}
		st := 0.0
		for k, a := range r.Accuracy[i] {
			t := ThesisCirclesCV[name][k]
			st += t
			ours = append(ours, fmt.Sprintf("%.3f", a))
			thesis = append(thesis, fmt.Sprintf("%.2f", t))
			diff = append(diff, fmt.Sprintf("%+.3f", a-t))
		}
		st /= float64(len(r.Accuracy[i]))
		ours = append(ours, fmt.Sprintf("%.3f", r.Mean(i)))
		thesis = append(thesis, fmt.Sprintf("%.3f", st))
		diff = append(diff, fmt.Sprintf("%+.3f", r.Mean(i)-st))
		rows = append(rows, ours, thesis, diff)
	}
	return header, rows
}
