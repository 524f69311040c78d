package datasets

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// FormatError reports a problem in an input file: which file, where in it
// (a 1-based line for text files, a byte offset for binary ones) and what was
// expected instead.
type FormatError struct {
	File   string // file name (or path) as given to the reader
	Line   int    // 1-based line number; 0 when not applicable
	Offset int64  // byte offset (of the uncompressed stream); -1 when not applicable
	Msg    string // what was found and what was expected
	Err    error  // underlying error, if any
}

// Error implements the error interface: "file: line N: msg: err".
func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	switch {
	case e.Line > 0:
		b.WriteString(": line ")
		b.WriteString(strconv.Itoa(e.Line))
	case e.Offset >= 0:
		b.WriteString(": byte offset ")
		b.WriteString(strconv.FormatInt(e.Offset, 10))
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *FormatError) Unwrap() error { return e.Err }

// lineError returns a *FormatError located at a line of a text file.
func lineError(file string, line int, err error, format string, args ...any) *FormatError {
	return &FormatError{File: file, Line: line, Offset: -1, Msg: fmt.Sprintf(format, args...), Err: err}
}

// offsetError returns a *FormatError located at a byte offset of a binary file.
func offsetError(file string, off int64, err error, format string, args ...any) *FormatError {
	return &FormatError{File: file, Offset: off, Msg: fmt.Sprintf(format, args...), Err: err}
}

// fileError returns a *FormatError about a whole file.
func fileError(file string, err error, format string, args ...any) *FormatError {
	return &FormatError{File: file, Offset: -1, Msg: fmt.Sprintf(format, args...), Err: err}
}

// errEmpty is wrapped by the errors returned for empty files.
var errEmpty = errors.New("empty file")

// readCloser pairs a reader with the closers to call when done.
type readCloser struct {
	io.Reader
	closers []io.Closer
}

// Close closes the underlying readers, innermost last.
func (r *readCloser) Close() error {
	var first error
	for i := len(r.closers) - 1; i >= 0; i-- {
		if err := r.closers[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// openMaybeGzip opens path and, if its content starts with the gzip magic
// bytes, decompresses it transparently. A name ending in ".gz" must hold gzip
// data. An empty file is an error wrapping errEmpty.
func openMaybeGzip(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(f, 1<<16)
	r, err := maybeGunzip(br, path, strings.HasSuffix(path, ".gz"))
	if err != nil {
		f.Close()
		return nil, err
	}
	return &readCloser{Reader: r, closers: []io.Closer{f}}, nil
}

// maybeGunzip returns a reader of the decompressed content of br if it
// starts with the gzip magic bytes, else br itself. With mustGzip the magic
// bytes are required.
func maybeGunzip(br *bufio.Reader, name string, mustGzip bool) (io.Reader, error) {
	head, err := br.Peek(2)
	if len(head) == 0 {
		if err == io.EOF {
			return nil, offsetError(name, 0, errEmpty, "no data")
		}
		return nil, fileError(name, err, "reading")
	}
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, offsetError(name, 0, err, "expected a gzip header")
		}
		return zr, nil
	}
	if mustGzip {
		return nil, offsetError(name, 0, nil, "expected gzip data (magic bytes 1f 8b), got %x", head)
	}
	return br, nil
}
