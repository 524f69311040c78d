package calibration

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogitsCSVRoundTrip(t *testing.T) {
	z32 := [][]float32{{0.1, -2.5, 3}, {1e-7, 123456.78, -0.333333}}
	labels := []int{2, 0}
	path := filepath.Join(t.TempDir(), "z.csv")
	if err := SaveLogitsCSV(path, z32, labels); err != nil {
		t.Fatal(err)
	}
	got, gotY, err := LoadLogitsCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range z32 {
		if gotY[i] != labels[i] {
			t.Errorf("label %d: got %d, want %d", i, gotY[i], labels[i])
		}
		for j, v := range row {
			if float32(got[i][j]) != v {
				t.Errorf("z[%d][%d]: got %v, want %v", i, j, got[i][j], v)
			}
		}
	}

	z64 := [][]float64{{math.Pi, -math.E}, {1.0 / 3, 0}}
	var buf bytes.Buffer
	if err := WriteLogitsCSV(&buf, z64, []int{1, 0}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "label,z0,z1\n1,") {
		t.Errorf("unexpected start of file: %q", buf.String())
	}
	back, _, err := ReadLogitsCSV(&buf, "buf")
	if err != nil {
		t.Fatal(err)
	}
	for i := range z64 {
		for j := range z64[i] {
			if back[i][j] != z64[i][j] {
				t.Errorf("z[%d][%d]: got %v, want %v", i, j, back[i][j], z64[i][j])
			}
		}
	}
}

func TestLogitsCSVErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"label,z0,z1\n0,1,2\n1,1\n", "in.csv:3: 2 fields, want 3 (a label and 2 logits, like line 2)"},
		{"0,1,2\n3,1,2\n", `in.csv:2: field 1 (label): "3" is not a class in 0..1`},
		{"0,1,x\n", `in.csv:1: field 3 (z_1): "x" is not a number`},
		{"0,1,NaN\n", `in.csv:1: field 3 (z_1): "NaN" is not a finite number`},
		{"0,1\n", "in.csv:1: 2 fields, want a label and at least 2 logits"},
		{"label,z0,z1\n", "in.csv: no data rows"},
	} {
		_, _, err := ReadLogitsCSV(strings.NewReader(tc.in), "in.csv")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got error %v, want one containing %q", tc.in, err, tc.want)
		}
	}
	var buf bytes.Buffer
	for _, tc := range []struct {
		z    [][]float64
		y    []int
		want string
	}{
		{[][]float64{{1, 2}}, []int{0, 1}, "1 rows but 2 labels"},
		{[][]float64{{1, 2}, {1}}, []int{0, 1}, "row 1: 1 values, want 2"},
		{[][]float64{{1, 2}}, []int{2}, "row 0: label 2 outside 0..1"},
		{[][]float64{{1, math.Inf(1)}}, []int{0}, "row 0, column 1: value +Inf is not finite"},
		{nil, nil, "no rows"},
	} {
		if err := WriteLogitsCSV(&buf, tc.z, tc.y); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got error %v, want one containing %q", tc.z, err, tc.want)
		}
	}
}
