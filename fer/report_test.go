package fer

import (
	"math"
	"testing"
)

// The expected text was printed by scikit-learn 1.2.1:
//
//	classification_report(y, p, target_names=["zero", "one", "two", "three"], zero_division=0)
var (
	reportY = []int{2, 0, 1, 3, 0, 0, 0, 1, 1, 3, 2, 3, 1, 1, 2, 1, 3, 2, 0, 0, 0, 1, 3, 2, 0, 2, 1, 2, 2, 2, 2, 3, 0, 1, 3, 2, 1, 0, 2, 1}
	reportP = []int{0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 2, 0, 1, 1, 0, 1, 0, 2, 0, 0, 0, 1, 0, 1, 0, 2, 1, 0, 0, 2, 0, 0, 0, 0, 3, 0, 1, 0, 2, 1}
)

const sklearnReport = `              precision    recall  f1-score   support

        zero       0.39      0.90      0.55        10
         one       0.82      0.82      0.82        11
         two       1.00      0.42      0.59        12
       three       1.00      0.14      0.25         7

    accuracy                           0.60        40
   macro avg       0.80      0.57      0.55        40
weighted avg       0.80      0.60      0.58        40
`

func TestClassificationReportMatchesScikitLearn(t *testing.T) {
	r, err := NewClassificationReport(reportY, reportP, []string{"zero", "one", "two", "three"})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.String(); got != sklearnReport {
		t.Errorf("report:\n%s\nwant (scikit-learn):\n%s", got, sklearnReport)
	}
	// Exact values behind the rounded text: class "zero" has 9 right out of
	// 10, and 23 examples predicted as it.
	z := r.Classes[0]
	if z.Precision != 9.0/23 || z.Recall != 0.9 || z.Support != 10 {
		t.Errorf("class zero: %+v", z)
	}
	if want := 2 * (9.0 / 23) * 0.9 / (9.0/23 + 0.9); math.Abs(z.F1-want) > 1e-15 {
		t.Errorf("F1 %g, want %g", z.F1, want)
	}
	if r.Accuracy != 24.0/40 || r.Total != 40 {
		t.Errorf("accuracy %g of %d", r.Accuracy, r.Total)
	}
	if rec := r.Recalls(); len(rec) != 4 || rec[3] != 1.0/7 {
		t.Errorf("recalls %v", rec)
	}
}

func TestClassificationReportZeroDivisionAndTable(t *testing.T) {
	// Class c is never predicted: its precision is 0/0, reported as 0.
	// scikit-learn (digits=4): macro avg 0.3333 0.5000 0.3889.
	r, err := NewClassificationReport([]int{0, 0, 1, 1, 2, 2}, []int{0, 0, 0, 1, 0, 1}, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	header, rows := r.Table(4)
	if len(header) != 5 || len(rows) != 6 {
		t.Fatalf("table %v %v", header, rows)
	}
	want := [][]string{
		{"a", "0.5000", "1.0000", "0.6667", "2"},
		{"b", "0.5000", "0.5000", "0.5000", "2"},
		{"c", "0.0000", "0.0000", "0.0000", "2"},
		{"accuracy", "", "", "0.5000", "6"},
		{"macro avg", "0.3333", "0.5000", "0.3889", "6"},
		{"weighted avg", "0.3333", "0.5000", "0.3889", "6"},
	}
	for i := range want {
		for j := range want[i] {
			if rows[i][j] != want[i][j] {
				t.Errorf("row %d: %v, want %v", i, rows[i], want[i])
				break
			}
		}
	}
	if _, err := NewClassificationReport([]int{0, 1}, []int{0}, []string{"a", "b"}); err == nil {
		t.Error("lengths differ: want an error")
	}
	if _, err := NewClassificationReport([]int{0, 5}, []int{0, 1}, []string{"a", "b"}); err == nil {
		t.Error("label out of range: want an error")
	}
}

func TestPredictedClasses(t *testing.T) {
	got := PredictedClasses([][]float32{{0.1, 0.7, 0.2}, {0.5, 0.5, 0}, {0, 0, 1}, {0.8}, {0.2}})
	want := []int{1, 0, 2, 1, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("PredictedClasses = %v, want %v", got, want)
		}
	}
}
