package fer

import (
	"fmt"
	"strings"
)

// ClassScores are the precision, recall, F1 score and support of one class,
// or their average over the classes (a row of a ClassificationReport).
type ClassScores struct {
	Name string
	// Precision is the share of the examples predicted as the class that
	// belong to it; Recall the share of the class's examples predicted as it;
	// F1 their harmonic mean. A ratio with a zero denominator is 0, as
	// scikit-learn reports it (zero_division="warn").
	Precision, Recall, F1 float64
	// Support is the number of examples of the class (the total, in the
	// averages).
	Support int
}

// ClassificationReport is scikit-learn's classification_report: per-class
// precision, recall, F1 and support, the accuracy, and the macro (plain mean
// over the classes) and weighted (mean weighted by support) averages.
type ClassificationReport struct {
	Classes     []ClassScores
	Accuracy    float64
	MacroAvg    ClassScores
	WeightedAvg ClassScores
	// Total is the number of examples.
	Total int
}

// NewClassificationReport compares true labels with predicted classes
// (0..len(names)-1) and returns the report, one row per name, like
// sklearn.metrics.classification_report(labels, pred, target_names=names)
// with every class listed.
func NewClassificationReport(labels, pred []int, names []string) (ClassificationReport, error) {
	m, err := NewConfusionMatrix(labels, pred, len(names))
	if err != nil {
		return ClassificationReport{}, fmt.Errorf("classification report: %w", err)
	}
	return m.Report(names), nil
}

// Report returns the classification report of the confusion matrix, naming
// class i names[i] (or "i" where names is short).
func (m ConfusionMatrix) Report(names []string) ClassificationReport {
	k := len(m)
	r := ClassificationReport{Classes: make([]ClassScores, k)}
	correct := 0
	for i := range m {
		predicted, support := 0, 0
		for j := range m {
			support += m[i][j]
			predicted += m[j][i]
		}
		tp := m[i][i]
		correct += tp
		r.Total += support
		c := ClassScores{Name: fmt.Sprint(i), Precision: ratio(tp, predicted), Recall: ratio(tp, support), Support: support}
		if i < len(names) {
			c.Name = names[i]
		}
		if c.Precision+c.Recall > 0 {
			c.F1 = 2 * c.Precision * c.Recall / (c.Precision + c.Recall)
		}
		r.Classes[i] = c
	}
	r.Accuracy = ratio(correct, r.Total)
	r.MacroAvg = ClassScores{Name: "macro avg", Support: r.Total}
	r.WeightedAvg = ClassScores{Name: "weighted avg", Support: r.Total}
	for _, c := range r.Classes {
		r.MacroAvg.Precision += c.Precision / float64(k)
		r.MacroAvg.Recall += c.Recall / float64(k)
		r.MacroAvg.F1 += c.F1 / float64(k)
		if r.Total > 0 {
			w := float64(c.Support) / float64(r.Total)
			r.WeightedAvg.Precision += w * c.Precision
			r.WeightedAvg.Recall += w * c.Recall
			r.WeightedAvg.F1 += w * c.F1
		}
	}
	return r
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Recalls returns the recall of every class, in class order: the share of
// each class that the model gets right.
func (r ClassificationReport) Recalls() []float64 {
	out := make([]float64, len(r.Classes))
	for i, c := range r.Classes {
		out[i] = c.Recall
	}
	return out
}

// Table returns the report as a header and rows of strings with digits
// decimals, laid out like scikit-learn's text (the accuracy row has only
// the F1 column and the support), for viz.ShowTable or viz.HTMLTable.
func (r ClassificationReport) Table(digits int) (header []string, rows [][]string) {
	f := func(v float64) string { return fmt.Sprintf("%.*f", digits, v) }
	row := func(c ClassScores) []string {
		return []string{c.Name, f(c.Precision), f(c.Recall), f(c.F1), fmt.Sprint(c.Support)}
	}
	header = []string{"", "precision", "recall", "f1-score", "support"}
	for _, c := range r.Classes {
		rows = append(rows, row(c))
	}
	rows = append(rows,
		[]string{"accuracy", "", "", f(r.Accuracy), fmt.Sprint(r.Total)},
		row(r.MacroAvg), row(r.WeightedAvg))
	return header, rows
}

// String formats the report exactly as scikit-learn's classification_report
// prints it with its default 2 digits.
func (r ClassificationReport) String() string {
	const digits = 2
	width := len("weighted avg")
	for _, c := range r.Classes {
		width = max(width, len(c.Name))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%*s  %9s %9s %9s %9s\n\n", width, "", "precision", "recall", "f1-score", "support")
	line := func(c ClassScores) {
		fmt.Fprintf(&b, "%*s  %9.*f %9.*f %9.*f %9d\n", width, c.Name, digits, c.Precision, digits, c.Recall, digits, c.F1, c.Support)
	}
	for _, c := range r.Classes {
		line(c)
	}
	fmt.Fprintf(&b, "\n%*s  %9s %9s %9.*f %9d\n", width, "accuracy", "", "", digits, r.Accuracy, r.Total)
	line(r.MacroAvg)
	line(r.WeightedAvg)
	return b.String()
}

// PredictedClasses returns the most probable class of every row of
// probabilities, as Predict returns them: the thesis's plug-in rule
// ŷ = argmax_k p_k(x). Ties go to the smallest class, like numpy's argmax.
// A single-column row (a binary model's P(Y=1)) gives 1 when the probability
// exceeds ½. For softmax models the logits give the same classes.
func PredictedClasses(probs [][]float32) []int {
	out := make([]int, len(probs))
	for i, p := range probs {
		if len(p) == 1 {
			if p[0] > 0.5 {
				out[i] = 1
			}
			continue
		}
		best := 0
		for j, v := range p {
			if v > p[best] {
				best = j
			}
		}
		out[i] = best
	}
	return out
}
