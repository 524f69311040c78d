package datasets

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// EmotionNames are the FER2013 class names in English, indexed by label:
// 0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral.
var EmotionNames = []string{"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}

// EmotionNamesES are the FER2013 class names in Spanish, as in the thesis,
// indexed by label: enojo, desagrado (asco), miedo, felicidad, tristeza,
// sorpresa, neutral.
var EmotionNamesES = []string{"enojo", "desagrado", "miedo", "felicidad", "tristeza", "sorpresa", "neutral"}

// FERUsages are the values of the Usage column of fer2013.csv, in the order
// of the splits: training, validation (public test), test (private test).
var FERUsages = []string{"Training", "PublicTest", "PrivateTest"}

// FER2013 image size.
const (
	FERHeight = 48
	FERWidth  = 48
	ferPixels = FERHeight * FERWidth
)

// FER2013 is the Kaggle FER2013 data set split by its Usage column.
type FER2013 struct {
	Training    *ImageSet // Usage "Training": 28,709 faces
	PublicTest  *ImageSet // Usage "PublicTest": 3,589 faces (the thesis's validation set)
	PrivateTest *ImageSet // Usage "PrivateTest": 3,589 faces (the thesis's test set)

	// SourceRows holds, for each split in FERUsages order, the 0-based data
	// row of fer2013.csv (not counting the header) of each image.
	SourceRows [3][]int

	// FERPlus holds the FER+ crowd labels, aligned with the splits, when
	// they were loaded (LoadFER2013Dir finds fer2013new.csv; see
	// AttachFERPlus); nil otherwise.
	FERPlus *FERPlus
}

// Splits returns Training, PublicTest and PrivateTest, in that order.
func (f *FER2013) Splits() []*ImageSet {
	return []*ImageSet{f.Training, f.PublicTest, f.PrivateTest}
}

// Len returns the total number of images over the three splits.
func (f *FER2013) Len() int {
	return f.Training.Len() + f.PublicTest.Len() + f.PrivateTest.Len()
}

// FER2013FileNames are the file names LoadFER2013Dir looks for, in order,
// under dataDir/fer2013 (and then fer2013.tar.gz directly under dataDir).
var FER2013FileNames = []string{"fer2013.csv", "fer2013.csv.gz", "fer2013.tar.gz"}

// FindFER2013 returns the path of the FER2013 file under dataDir:
// fer2013/fer2013.csv, fer2013/fer2013.csv.gz, fer2013/fer2013.tar.gz or
// fer2013.tar.gz (the Kaggle download). The error wraps fs.ErrNotExist when
// there is none.
func FindFER2013(dataDir string) (string, error) {
	var candidates []string
	for _, n := range FER2013FileNames {
		candidates = append(candidates, filepath.Join(dataDir, "fer2013", n))
	}
	candidates = append(candidates, filepath.Join(dataDir, "fer2013.tar.gz"))
	for _, p := range candidates {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("no FER2013 file in %s (expected fer2013/fer2013.csv, fer2013/fer2013.csv.gz or fer2013.tar.gz): %w", dataDir, fs.ErrNotExist)
}

// LoadFER2013Dir loads FER2013 from the file FindFER2013 finds under dataDir
// and, if dataDir/fer2013/fer2013new.csv exists, attaches its FER+ labels.
func LoadFER2013Dir(dataDir string) (*FER2013, error) {
	path, err := FindFER2013(dataDir)
	if err != nil {
		return nil, err
	}
	f, err := LoadFER2013(path)
	if err != nil {
		return nil, err
	}
	plusPath := filepath.Join(dataDir, "fer2013", "fer2013new.csv")
	if _, err := os.Stat(plusPath); err == nil {
		plus, err := ReadFERPlusFile(plusPath)
		if err != nil {
			return nil, err
		}
		if err := f.AttachFERPlus(plus); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// LoadFER2013 reads FER2013 from path, which may be the Kaggle
// fer2013.csv, that file gzipped (any name; gzip is detected from the
// content), or the Kaggle fer2013.tar.gz (or .tgz, .tar) containing
// fer2013/fer2013.csv. The file is streamed, never held whole in memory.
func LoadFER2013(path string) (*FER2013, error) {
	return loadFER2013(path, nil)
}

// Checksums of the original Kaggle fer2013.csv (uncompressed), with LF and
// with CRLF line ends (see the data README).
const (
	FER2013CSVSHA256     = "3b8d9617d1017f34733c8f2474d7784c563ce86c40a86ac12c2d37cc968f871b"
	FER2013CSVCRLFSHA256 = "64903cce0164cafc542a00518cb15ba6c59eb22b0668e07edada7f2335280691"
	FERPlusCSVSHA256     = "9206e20d62f56475939f516847d61753e4860caeac9718b560129541b776fc2c"
)

// LoadFER2013Sum is LoadFER2013 that also returns the hex SHA-256 of the
// (uncompressed) CSV text it parsed, to compare with FER2013CSVSHA256.
func LoadFER2013Sum(path string) (*FER2013, string, error) {
	h := sha256.New()
	f, err := loadFER2013(path, h)
	if err != nil {
		return nil, "", err
	}
	return f, hex.EncodeToString(h.Sum(nil)), nil
}

func loadFER2013(path string, h hash.Hash) (*FER2013, error) {
	lower := strings.ToLower(path)
	if strings.HasSuffix(lower, ".tar.gz") || strings.HasSuffix(lower, ".tgz") || strings.HasSuffix(lower, ".tar") {
		return loadFER2013Tar(path, h)
	}
	rc, err := openMaybeGzip(path)
	if err != nil {
		return nil, fer2013OpenError(path, err)
	}
	defer rc.Close()
	return ParseFER2013CSV(teeHash(rc, h), path)
}

// teeHash returns r, copying what is read into h if h is not nil.
func teeHash(r io.Reader, h hash.Hash) io.Reader {
	if h == nil {
		return r
	}
	return io.TeeReader(r, h)
}

func fer2013OpenError(path string, err error) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		if errors.Is(err, errEmpty) {
			fe.Msg = "empty file, expected a CSV with header emotion,pixels,Usage"
			fe.Line, fe.Offset, fe.Err = 1, -1, nil
		}
		return fe
	}
	return fmt.Errorf("loading FER2013: %w", err)
}

// loadFER2013Tar reads the first member named fer2013.csv (in any folder)
// of a tar archive, gzipped or not.
func loadFER2013Tar(path string, h hash.Hash) (*FER2013, error) {
	rc, err := openMaybeGzip(path)
	if err != nil {
		return nil, fer2013OpenError(path, err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil, fileError(path, nil, "no fer2013.csv in the archive, expected fer2013/fer2013.csv")
		}
		if err != nil {
			return nil, fileError(path, err, "reading the tar archive")
		}
		if hdr.Typeflag == tar.TypeReg && filepath.Base(hdr.Name) == "fer2013.csv" {
			return ParseFER2013CSV(teeHash(tr, h), path+":"+hdr.Name)
		}
	}
}

// maxFERLine bounds the length of a line of fer2013.csv (a valid one has
// at most 2304*4+20 bytes).
const maxFERLine = 1 << 16

// ParseFER2013CSV parses fer2013.csv from r (name is used in errors). The
// header must name the columns emotion, pixels and Usage (in any order);
// every row needs an emotion 0..6, exactly 2304 space-separated pixels
// 0..255 and a Usage of Training, PublicTest or PrivateTest. CRLF line ends
// and blank lines are accepted. On any problem it returns a *FormatError
// naming the line and no data.
func ParseFER2013CSV(r io.Reader, name string) (*FER2013, error) {
	br := bufio.NewReaderSize(r, maxFERLine)
	var sets [3]*ImageSet
	for i, u := range FERUsages {
		sets[i] = &ImageSet{Name: "FER2013/" + u, Height: FERHeight, Width: FERWidth, ClassNames: EmotionNames}
	}
	out := &FER2013{Training: sets[0], PublicTest: sets[1], PrivateTest: sets[2]}
	var col [3]int // positions of emotion, pixels, Usage
	lineNo, row := 0, 0
	haveHeader := false
	var pix [ferPixels]uint8
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return nil, lineError(name, lineNo+1, nil, "line longer than %d bytes, expected a FER2013 row (emotion, 2304 pixels, Usage)", maxFERLine)
		}
		if err != nil && err != io.EOF {
			return nil, lineError(name, lineNo+1, err, "data ends or breaks here, expected the rest of the file (truncated or corrupt?)")
		}
		if len(line) == 0 && err == io.EOF {
			break
		}
		lineNo++
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			if err == io.EOF {
				break
			}
			continue
		}
		if !haveHeader {
			c, herr := parseFERHeader(line)
			if herr != "" {
				return nil, lineError(name, lineNo, nil, "%s", herr)
			}
			col, haveHeader = c, true
			continue
		}
		fields, ok := split3(line)
		if !ok {
			return nil, lineError(name, lineNo, nil, "%d fields, expected 3 (emotion,pixels,Usage)", bytes.Count(line, []byte{','})+1)
		}
		emo, usage, pixels := fields[col[0]], fields[col[2]], fields[col[1]]
		label, ok := parseSmallUint(emo)
		if !ok || label > 6 {
			return nil, lineError(name, lineNo, nil, "emotion %s, expected an integer 0..6", quoteField(emo))
		}
		split := -1
		for i, u := range FERUsages {
			if string(usage) == u {
				split = i
				break
			}
		}
		if split < 0 {
			return nil, lineError(name, lineNo, nil, "Usage %s, expected Training, PublicTest or PrivateTest", quoteField(usage))
		}
		if msg := parsePixels(pixels, pix[:]); msg != "" {
			return nil, lineError(name, lineNo, nil, "pixels: %s", msg)
		}
		s := sets[split]
		s.Pixels = append(s.Pixels, pix[:]...)
		s.Labels = append(s.Labels, int32(label))
		out.SourceRows[split] = append(out.SourceRows[split], row)
		row++
		if err == io.EOF {
			break
		}
	}
	switch {
	case lineNo == 0:
		return nil, lineError(name, 1, nil, "empty file, expected a CSV with header emotion,pixels,Usage")
	case !haveHeader:
		return nil, lineError(name, lineNo+1, nil, "only blank lines, expected a CSV with header emotion,pixels,Usage")
	case row == 0:
		return nil, lineError(name, lineNo+1, nil, "no data rows after the header, expected at least one row")
	}
	return out, nil
}

// parseFERHeader returns the positions of emotion, pixels and Usage, or a
// message saying what is wrong.
func parseFERHeader(line []byte) (col [3]int, msg string) {
	want := []string{"emotion", "pixels", "usage"}
	fields, ok := split3(line)
	found := [3]bool{}
	if ok {
		for i, f := range fields {
			name := strings.ToLower(strings.TrimSpace(strings.Trim(string(f), `"`)))
			for j, w := range want {
				if name == w && !found[j] {
					col[j], found[j] = i, true
				}
			}
		}
	}
	if !ok || !found[0] || !found[1] || !found[2] {
		return col, fmt.Sprintf("header %s, expected emotion,pixels,Usage", quoteField(line))
	}
	return col, ""
}

// split3 splits a line at its two commas; ok is false unless it has
// exactly three fields.
func split3(line []byte) (f [3][]byte, ok bool) {
	i := bytes.IndexByte(line, ',')
	if i < 0 {
		return f, false
	}
	j := bytes.IndexByte(line[i+1:], ',')
	if j < 0 {
		return f, false
	}
	j += i + 1
	if bytes.IndexByte(line[j+1:], ',') >= 0 {
		return f, false
	}
	return [3][]byte{line[:i], line[i+1 : j], line[j+1:]}, true
}

// parseSmallUint parses a non-negative decimal integer of at most 9 digits.
func parseSmallUint(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parsePixels parses exactly len(dst) space-separated integers 0..255 (an
// optional pair of double quotes around the field is allowed). It returns a
// message describing the first problem, or "".
func parsePixels(b []byte, dst []uint8) string {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		b = b[1 : len(b)-1]
	}
	n := 0
	i := 0
	for {
		for i < len(b) && b[i] == ' ' {
			i++
		}
		if i == len(b) {
			break
		}
		start := i
		v := 0
		for i < len(b) && b[i] != ' ' {
			c := b[i]
			if c < '0' || c > '9' {
				for i < len(b) && b[i] != ' ' {
					i++
				}
				return fmt.Sprintf("value %d is %s, expected an integer 0..255", n+1, quoteField(b[start:i]))
			}
			if v <= 255 {
				v = v*10 + int(c-'0')
			}
			i++
		}
		if v > 255 {
			return fmt.Sprintf("value %d is %s, expected an integer 0..255", n+1, quoteField(b[start:i]))
		}
		if n == len(dst) {
			for i < len(b) {
				if b[i] != ' ' {
					n++
					for i < len(b) && b[i] != ' ' {
						i++
					}
					continue
				}
				i++
			}
			return fmt.Sprintf("%d values, expected %d (48×48)", n+1, len(dst))
		}
		dst[n] = uint8(v)
		n++
	}
	if n != len(dst) {
		return fmt.Sprintf("%d values, expected %d (48×48)", n, len(dst))
	}
	return ""
}

// quoteField quotes a field for an error message, shortening long ones.
func quoteField(b []byte) string {
	const maxLen = 40
	if len(b) > maxLen {
		return strconv.Quote(string(b[:maxLen])) + "..."
	}
	return strconv.Quote(string(b))
}
