package datasets

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseFERCSV checks that no input makes the FER2013 parser panic, that
// failures are *FormatErrors with a line and no data, and that accepted
// input yields consistent image sets.
func FuzzParseFERCSV(f *testing.F) {
	f.Add([]byte(validFERCSV()))
	f.Add([]byte(ferHeader + "0,1 2 3,Training\n"))
	f.Add([]byte("pixels,Usage,emotion\r\n" + "1 2,PublicTest,3\r\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		fer, err := ParseFER2013CSV(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			if fer != nil {
				t.Fatalf("data returned with error %v", err)
			}
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Line <= 0 || fe.File != "fuzz.csv" {
				t.Fatalf("error without file and line: %#v", err)
			}
			return
		}
		n := 0
		for i, s := range fer.Splits() {
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			if s.Height != 48 || s.Width != 48 || len(fer.SourceRows[i]) != s.Len() {
				t.Fatalf("split %d inconsistent", i)
			}
			n += s.Len()
		}
		if n == 0 {
			t.Fatal("accepted a file without rows")
		}
	})
}

// FuzzParseIDX checks that no input makes the IDX parser panic and that
// accepted input has exactly the announced size.
func FuzzParseIDX(f *testing.F) {
	f.Add(idxBytes(IDXMagicImages, []uint32{2, 2, 3}, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}))
	f.Add(idxBytes(IDXMagicLabels, []uint32{3}, []byte{1, 9, 0}))
	f.Add(idxBytes(IDXMagicLabels, []uint32{4}, []byte{1, 9, 0}))
	f.Add(idxBytes(0x0802, []uint32{1, 1}, []byte{0}))
	f.Add([]byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, err := ParseIDX(bytes.NewReader(data), "fuzz.idx", 0)
		if err != nil {
			if idx != nil {
				t.Fatalf("data returned with error %v", err)
			}
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Offset < 0 || fe.File != "fuzz.idx" {
				t.Fatalf("error without file and offset: %#v", err)
			}
			return
		}
		size := 1
		for _, d := range idx.Dims {
			size *= d
		}
		if len(idx.Data) != size || 4+4*len(idx.Dims)+size != len(data) {
			t.Fatalf("dims %v but %d data bytes of %d", idx.Dims, len(idx.Data), len(data))
		}
	})
}
