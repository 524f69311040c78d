package fer

import (
	"fmt"
	"sort"
)

// ConfusionMatrix counts predictions: m[i][j] is the number of examples of
// true class i predicted as class j (rows: truth, columns: prediction, as
// scikit-learn's confusion_matrix).
type ConfusionMatrix [][]int

// NewConfusionMatrix builds the K×K matrix of labels against predictions.
func NewConfusionMatrix(labels, pred []int, classes int) (ConfusionMatrix, error) {
	if len(labels) != len(pred) {
		return nil, fmt.Errorf("confusion matrix: %d labels and %d predictions", len(labels), len(pred))
	}
	m := make(ConfusionMatrix, classes)
	for i := range m {
		m[i] = make([]int, classes)
	}
	for i := range labels {
		if labels[i] < 0 || labels[i] >= classes || pred[i] < 0 || pred[i] >= classes {
			return nil, fmt.Errorf("confusion matrix: example %d has label %d and prediction %d, want 0..%d", i, labels[i], pred[i], classes-1)
		}
		m[labels[i]][pred[i]]++
	}
	return m, nil
}

// RowNormalized returns each row divided by its total (the recall of each
// class on the diagonal); empty rows stay zero.
func (m ConfusionMatrix) RowNormalized() [][]float64 {
	out := make([][]float64, len(m))
	for i, row := range m {
		out[i] = make([]float64, len(row))
		total := 0
		for _, v := range row {
			total += v
		}
		for j, v := range row {
			if total > 0 {
				out[i][j] = float64(v) / float64(total)
			}
		}
	}
	return out
}

// Accuracy is the trace over the total.
func (m ConfusionMatrix) Accuracy() float64 {
	ok, total := 0, 0
	for i, row := range m {
		for j, v := range row {
			total += v
			if i == j {
				ok += v
			}
		}
	}
	if total == 0 {
		return 0
	}
	return float64(ok) / float64(total)
}

// ClassPair is an unordered pair of classes and how often the model mixed
// them up in either direction.
type ClassPair struct {
	A, B int
	// AasB and BasA count examples of A predicted as B and of B predicted as A.
	AasB, BasA int
	// Rate is (AasB + BasA) / (examples of A + examples of B).
	Rate float64
}

// ConfusedPairs returns every unordered pair of distinct classes, the most
// confused first (by Rate, then by count). Pairs never confused have Rate 0
// and come last.
func (m ConfusionMatrix) ConfusedPairs() []ClassPair {
	rows := make([]int, len(m))
	for i, row := range m {
		for _, v := range row {
			rows[i] += v
		}
	}
	var pairs []ClassPair
	for a := 0; a < len(m); a++ {
		for b := a + 1; b < len(m); b++ {
			p := ClassPair{A: a, B: b, AasB: m[a][b], BasA: m[b][a]}
			if n := rows[a] + rows[b]; n > 0 {
				p.Rate = float64(p.AasB+p.BasA) / float64(n)
			}
			pairs = append(pairs, p)
		}
	}
	sort.SliceStable(pairs, func(i, j int) bool {
		if pairs[i].Rate != pairs[j].Rate {
			return pairs[i].Rate > pairs[j].Rate
		}
		return pairs[i].AasB+pairs[i].BasA > pairs[j].AasB+pairs[j].BasA
	})
	return pairs
}
