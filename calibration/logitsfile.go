package calibration

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// WriteLogitsCSV writes one example per line as label,z_0,...,z_{K-1}, after
// a header line "label,z0,...,z{K-1}": the format "fer calibrate" and
// ReadLogitsCSV read. Values are written in the shortest form that reads
// back exactly (float32 logits, as fer.Model.Logits returns them, stay
// float32-exact).
func WriteLogitsCSV[F float32 | float64](w io.Writer, logits [][]F, labels []int) error {
	if len(logits) != len(labels) {
		return inputErr(-1, -1, "%d rows but %d labels", len(logits), len(labels))
	}
	if len(logits) == 0 {
		return inputErr(-1, -1, "no rows")
	}
	k := len(logits[0])
	bits := 64
	if _, ok := any(logits[0]).([]float32); ok {
		bits = 32
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("label")
	for j := range k {
		fmt.Fprintf(bw, ",z%d", j)
	}
	bw.WriteByte('\n')
	var buf []byte
	for i, row := range logits {
		if len(row) != k {
			return inputErr(i, -1, "%d values, want %d like row 0", len(row), k)
		}
		if labels[i] < 0 || labels[i] >= k {
			return inputErr(i, -1, "label %d outside 0..%d", labels[i], k-1)
		}
		buf = strconv.AppendInt(buf[:0], int64(labels[i]), 10)
		for j, v := range row {
			f := float64(v)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return inputErr(i, j, "value %v is not finite", f)
			}
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, f, 'g', -1, bits)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// SaveLogitsCSV writes logits and labels to the file at path with
// WriteLogitsCSV, creating or truncating it.
func SaveLogitsCSV[F float32 | float64](path string, logits [][]F, labels []int) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := WriteLogitsCSV(f, logits, labels); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ReadLogitsCSV reads rows of label,z_0,...,z_{K-1}: an integer label in
// 0..K-1 and K ≥ 2 finite logits, the same K on every row. A first line whose
// first field is not a number is a header and is skipped; blank lines are
// skipped. Errors name the input (name), the line and the field (1-based,
// with its role: label or z_j).
func ReadLogitsCSV(r io.Reader, name string) (logits [][]float64, labels []int, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	first, width, wLine := true, 0, 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			if _, err := strconv.ParseFloat(strings.TrimSpace(rec[0]), 64); err != nil {
				continue // header
			}
		}
		if width == 0 {
			if len(rec) < 3 {
				return nil, nil, fmt.Errorf("%s:%d: %d fields, want a label and at least 2 logits (label,z_0,...,z_{K-1})", name, line, len(rec))
			}
			width, wLine = len(rec), line
		}
		if len(rec) != width {
			return nil, nil, fmt.Errorf("%s:%d: %d fields, want %d (a label and %d logits, like line %d)", name, line, len(rec), width, width-1, wLine)
		}
		row := make([]float64, width-1)
		for j, field := range rec {
			what := "label"
			if j > 0 {
				what = fmt.Sprintf("z_%d", j-1)
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(field), 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%s:%d: field %d (%s): %q is not a number", name, line, j+1, what, field)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, fmt.Errorf("%s:%d: field %d (%s): %q is not a finite number", name, line, j+1, what, field)
			}
			if j == 0 {
				if v != math.Trunc(v) || v < 0 || v > float64(width-2) {
					return nil, nil, fmt.Errorf("%s:%d: field 1 (label): %q is not a class in 0..%d", name, line, field, width-2)
				}
				labels = append(labels, int(v))
				continue
			}
			row[j-1] = v
		}
		logits = append(logits, row)
	}
	if len(logits) == 0 {
		return nil, nil, fmt.Errorf("%s: no data rows (want label,z_0,...,z_{K-1} per line)", name)
	}
	return logits, labels, nil
}

// LoadLogitsCSV reads the file at path with ReadLogitsCSV.
func LoadLogitsCSV(path string) (logits [][]float64, labels []int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return ReadLogitsCSV(f, path)
}
