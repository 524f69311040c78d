package datasets

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// FERPlusNames are the FER+ emotion classes, in the column order of
// fer2013new.csv (Barsoum et al., 2016): neutral, happiness, surprise,
// sadness, anger, disgust, fear, contempt.
var FERPlusNames = []string{"neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"}

// FERPlusToFER2013 maps each FER+ class to the FER2013 label of the same
// emotion; contempt, absent from FER2013, maps to -1.
var FERPlusToFER2013 = []int32{6, 3, 5, 4, 0, 1, 2, -1}

// FERPlusColumns is the number of vote columns of fer2013new.csv: the 8
// emotions, then "unknown" and "NF" (not a face).
const FERPlusColumns = 10

// ferPlusHeader is the header of fer2013new.csv.
const ferPlusHeader = "Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF"

// FERPlusRow is one row of fer2013new.csv.
type FERPlusRow struct {
	Usage     string                // Training, PublicTest or PrivateTest
	ImageName string                // e.g. "fer0000000.png"; "" for the 173 non-faces
	Votes     [FERPlusColumns]uint8 // 8 emotions (FERPlusNames order), unknown, NF
}

// FERPlusLabels are the FER+ votes of one FER2013 split, aligned with its
// images.
type FERPlusLabels struct {
	ImageNames []string                // "" for non-faces
	Votes      [][FERPlusColumns]uint8 // per image: 8 emotions, unknown, NF
}

// FERPlus holds the FER+ labels of the three FER2013 splits.
type FERPlus struct {
	Training, PublicTest, PrivateTest *FERPlusLabels
}

// Len returns the number of images.
func (l *FERPlusLabels) Len() int { return len(l.Votes) }

// Majority returns, per image, the FER+ class (index into FERPlusNames)
// chosen by the FER+ "majority" rule: votes of 1 are dropped as outliers,
// and the class with the most remaining votes wins if it has more than half
// of them (unknown and NF included in the total). Images without such a
// majority, or whose majority is unknown or NF, get -1.
func (l *FERPlusLabels) Majority() []int32 {
	out := make([]int32, len(l.Votes))
	for i, v := range l.Votes {
		out[i] = ferPlusMajority(v)
	}
	return out
}

func ferPlusMajority(v [FERPlusColumns]uint8) int32 {
	sum, best, arg := 0, 0, -1
	for j, c := range v {
		if c <= 1 {
			continue
		}
		sum += int(c)
		if int(c) > best {
			best, arg = int(c), j
		}
	}
	if arg < 0 || 2*best <= sum || arg >= len(FERPlusNames) {
		return -1
	}
	return int32(arg)
}

// Distribution returns, per image, the vote distribution over the 8 FER+
// emotions (unknown and NF left out), normalized to sum to 1; images with
// no emotion votes get all zeros.
func (l *FERPlusLabels) Distribution() [][8]float32 {
	out := make([][8]float32, len(l.Votes))
	for i, v := range l.Votes {
		sum := 0
		for _, c := range v[:8] {
			sum += int(c)
		}
		if sum == 0 {
			continue
		}
		for j, c := range v[:8] {
			out[i][j] = float32(c) / float32(sum)
		}
	}
	return out
}

// ReadFERPlusFile reads fer2013new.csv (see ParseFERPlusCSV).
func ReadFERPlusFile(path string) ([]FERPlusRow, error) {
	rc, err := openMaybeGzip(path)
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			if errors.Is(err, errEmpty) {
				fe.Msg = "empty file, expected a CSV with header " + ferPlusHeader
				fe.Line, fe.Offset, fe.Err = 1, -1, nil
			}
			return nil, fe
		}
		return nil, fmt.Errorf("loading FER+: %w", err)
	}
	defer rc.Close()
	return ParseFERPlusCSV(rc, path)
}

// ParseFERPlusCSV parses Microsoft's fer2013new.csv: the header
// "Usage,Image name,neutral,...,contempt,unknown,NF" and one row per row of
// fer2013.csv with a Usage, an image name (empty for non-faces) and 10
// vote counts 0..255.
func ParseFERPlusCSV(r io.Reader, name string) ([]FERPlusRow, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var rows []FERPlusRow
	lineNo := 0
	haveHeader := false
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return nil, lineError(name, lineNo+1, nil, "line longer than 65536 bytes, expected a FER+ row")
		}
		if err != nil && err != io.EOF {
			return nil, lineError(name, lineNo+1, err, "data ends or breaks here, expected the rest of the file (truncated or corrupt?)")
		}
		if len(line) == 0 && err == io.EOF {
			break
		}
		lineNo++
		line = bytes.TrimRight(line, "\r\n")
		if len(line) > 0 {
			if !haveHeader {
				if string(line) != ferPlusHeader {
					return nil, lineError(name, lineNo, nil, "header %s, expected %q", quoteField(line), ferPlusHeader)
				}
				haveHeader = true
			} else {
				row, msg := parseFERPlusRow(line)
				if msg != "" {
					return nil, lineError(name, lineNo, nil, "%s", msg)
				}
				rows = append(rows, row)
			}
		}
		if err == io.EOF {
			break
		}
	}
	if !haveHeader {
		return nil, lineError(name, lineNo+1, nil, "empty file, expected a CSV with header %s", ferPlusHeader)
	}
	if len(rows) == 0 {
		return nil, lineError(name, lineNo+1, nil, "no data rows after the header, expected at least one row")
	}
	return rows, nil
}

func parseFERPlusRow(line []byte) (FERPlusRow, string) {
	var row FERPlusRow
	fields := bytes.Split(line, []byte{','})
	if len(fields) != 2+FERPlusColumns {
		return row, fmt.Sprintf("%d fields, expected %d (Usage, Image name, 10 vote counts)", len(fields), 2+FERPlusColumns)
	}
	row.Usage = string(fields[0])
	known := false
	for _, u := range FERUsages {
		known = known || row.Usage == u
	}
	if !known {
		return row, fmt.Sprintf("Usage %s, expected Training, PublicTest or PrivateTest", quoteField(fields[0]))
	}
	row.ImageName = strings.TrimSpace(string(fields[1]))
	for j, f := range fields[2:] {
		v, ok := parseSmallUint(f)
		if !ok || v > 255 {
			return row, fmt.Sprintf("column %s is %s, expected a vote count 0..255", strings.Split(ferPlusHeader, ",")[2+j], quoteField(f))
		}
		row.Votes[j] = uint8(v)
	}
	return row, ""
}

// AttachFERPlus aligns FER+ rows with the FER2013 rows they relabel (row i
// of fer2013new.csv is data row i of fer2013.csv) and stores them in
// f.FERPlus. The number of rows and every row's Usage must agree.
func (f *FER2013) AttachFERPlus(rows []FERPlusRow) error {
	if len(rows) != f.Len() {
		return fmt.Errorf("FER+ labels: %d rows, expected %d (one per row of fer2013.csv)", len(rows), f.Len())
	}
	plus := &FERPlus{}
	dst := []**FERPlusLabels{&plus.Training, &plus.PublicTest, &plus.PrivateTest}
	for s, srcRows := range f.SourceRows {
		l := &FERPlusLabels{ImageNames: make([]string, len(srcRows)), Votes: make([][FERPlusColumns]uint8, len(srcRows))}
		for i, r := range srcRows {
			if r < 0 || r >= len(rows) {
				return fmt.Errorf("FER+ labels: source row %d out of range", r)
			}
			if rows[r].Usage != FERUsages[s] {
				return fmt.Errorf("FER+ labels: data row %d (line %d) has Usage %s, but fer2013.csv has %s there: the files are not aligned",
					r, r+2, rows[r].Usage, FERUsages[s])
			}
			l.ImageNames[i] = rows[r].ImageName
			l.Votes[i] = rows[r].Votes
		}
		*dst[s] = l
	}
	f.FERPlus = plus
	return nil
}

// FERPlusMajoritySplits returns Training, PublicTest and PrivateTest
// relabelled with the FER+ majority labels (see FERPlusLabels.Majority):
// each split keeps, in order, only the faces with a majority emotion, and
// its labels index FERPlusNames (8 classes, contempt included). This is the
// "majority voting" setting of Barsoum et al. (2016). It fails if the FER+
// labels were not loaded (fer2013new.csv missing from the data folder).
func (f *FER2013) FERPlusMajoritySplits() ([3]*ImageSet, error) {
	var out [3]*ImageSet
	if f.FERPlus == nil {
		return out, errors.New("FER+ labels not loaded: put Microsoft's fer2013new.csv in the data folder's fer2013/ directory")
	}
	labels := []*FERPlusLabels{f.FERPlus.Training, f.FERPlus.PublicTest, f.FERPlus.PrivateTest}
	for s, set := range f.Splits() {
		l := labels[s]
		if l == nil || l.Len() != set.Len() {
			return out, fmt.Errorf("FER+ labels of %s: not aligned with its %d faces", FERUsages[s], set.Len())
		}
		maj := l.Majority()
		var keep []int
		for i, m := range maj {
			if m >= 0 {
				keep = append(keep, i)
			}
		}
		sub := set.Subset(keep)
		for j, i := range keep {
			sub.Labels[j] = maj[i]
		}
		sub.Name = set.Name + " (FER+ majority)"
		sub.ClassNames = FERPlusNames
		out[s] = sub
	}
	return out, nil
}
