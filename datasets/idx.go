package datasets

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// Magic numbers of the IDX files used by MNIST.
const (
	IDXMagicLabels = 2049 // 0x00000801: unsigned bytes, 1 dimension
	IDXMagicImages = 2051 // 0x00000803: unsigned bytes, 3 dimensions
)

// maxIDXBody bounds the body size accepted from an IDX header (16 GiB), so
// that a corrupt header is reported instead of attempting a huge allocation.
const maxIDXBody = 1 << 34

// IDX is the content of an IDX file of unsigned bytes.
type IDX struct {
	Magic uint32 // 0x0000_08_nn: type 0x08 (unsigned byte), nn dimensions
	Dims  []int  // size of each dimension, outermost first
	Data  []uint8
}

// ParseIDX reads a complete IDX file of unsigned bytes from r. If magic is
// not 0 the file's magic number must equal it (e.g. [IDXMagicImages]). The
// body must hold exactly the product of the dimensions, and nothing may
// follow it. Errors are [*FormatError]s naming name and the byte offset.
func ParseIDX(r io.Reader, name string, magic uint32) (*IDX, error) {
	var hdr [4]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		if n == 0 && err == io.EOF {
			return nil, offsetError(name, 0, errEmpty, "empty file, expected an IDX header (magic number)")
		}
		return nil, offsetError(name, int64(n), eofToUnexpected(err), "reading the IDX magic number (4 bytes)")
	}
	got := binary.BigEndian.Uint32(hdr[:])
	switch {
	case magic != 0 && got != magic:
		return nil, offsetError(name, 0, nil, "magic number %d (0x%08x), expected %d (0x%08x)%s",
			got, got, magic, magic, magicHint(magic))
	case hdr[0] != 0 || hdr[1] != 0 || hdr[2] != 0x08 || hdr[3] == 0:
		return nil, offsetError(name, 0, nil, "magic number 0x%08x, expected 0x000008nn (unsigned bytes, nn dimensions)", got)
	}
	ndim := int(hdr[3])
	dimBytes := make([]byte, 4*ndim)
	if n, err := io.ReadFull(r, dimBytes); err != nil {
		return nil, offsetError(name, 4+int64(n), eofToUnexpected(err), "reading %d dimension sizes (%d bytes)", ndim, 4*ndim)
	}
	idx := &IDX{Magic: got, Dims: make([]int, ndim)}
	size := uint64(1)
	for i := range idx.Dims {
		d := binary.BigEndian.Uint32(dimBytes[4*i:])
		if d == 0 {
			return nil, offsetError(name, 4+4*int64(i), nil, "dimension %d is 0, expected a positive size", i)
		}
		hi, lo := bits.Mul64(size, uint64(d))
		if hi != 0 || lo > maxIDXBody {
			return nil, offsetError(name, 4+4*int64(i), nil, "dimensions %v... give more than %d bytes, expected a plausible size", dims32(dimBytes[:4*i+4]), uint64(maxIDXBody))
		}
		size = lo
		idx.Dims[i] = int(d)
	}
	hdrLen := int64(4 + 4*ndim)
	data, err := readExactly(r, int64(size))
	if err != nil {
		return nil, offsetError(name, hdrLen+int64(len(data)), eofToUnexpected(err),
			"body ends after %d bytes, expected %d (dimensions %v)", len(data), size, idx.Dims)
	}
	idx.Data = data
	var one [1]byte
	n, err := io.ReadFull(r, one[:])
	if n > 0 {
		return nil, offsetError(name, hdrLen+int64(size), nil, "extra data after the %d-byte body (dimensions %v), expected end of file", size, idx.Dims)
	}
	if err != io.EOF {
		return nil, offsetError(name, hdrLen+int64(size), err, "expected end of file")
	}
	return idx, nil
}

func dims32(b []byte) []uint32 {
	out := make([]uint32, len(b)/4)
	for i := range out {
		out[i] = binary.BigEndian.Uint32(b[4*i:])
	}
	return out
}

func magicHint(magic uint32) string {
	switch magic {
	case IDXMagicImages:
		return " (IDX images: unsigned bytes, 3 dimensions)"
	case IDXMagicLabels:
		return " (IDX labels: unsigned bytes, 1 dimension)"
	}
	return ""
}

// eofToUnexpected turns io.EOF into io.ErrUnexpectedEOF: in the middle of a
// structure, the end of the data is unexpected.
func eofToUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readExactly reads exactly size bytes, growing the buffer as data arrives
// (so that a lying header cannot force a huge allocation). On error it
// returns the bytes read so far.
func readExactly(r io.Reader, size int64) ([]byte, error) {
	const chunk = 64 << 20
	data := make([]byte, 0, min(size, chunk))
	for int64(len(data)) < size {
		if len(data) == cap(data) {
			grown := make([]byte, len(data), min(size, int64(2*cap(data))))
			copy(grown, data)
			data = grown
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err != nil {
			if errors.Is(err, io.EOF) && int64(len(data)) == size {
				break
			}
			return data, err
		}
	}
	return data, nil
}

// ReadIDXFile reads a whole IDX file, gzipped or not (detected from its first
// bytes), checking its magic number (unless magic is 0).
func ReadIDXFile(path string, magic uint32) (*IDX, error) {
	rc, err := openMaybeGzip(path)
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			if errors.Is(err, errEmpty) {
				fe.Msg = fmt.Sprintf("empty file, expected an IDX file with magic number %d", magic)
				fe.Err = nil
			}
			return nil, fe
		}
		return nil, fmt.Errorf("reading IDX file: %w", err)
	}
	defer rc.Close()
	return ParseIDX(rc, path, magic)
}
