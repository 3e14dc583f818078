// Package logline reads text logs line by line for the log parsers: plain
// or gzip-compressed input (recognised by magic bytes, bounded against
// decompression bombs), lines returned without copying, over-long lines
// skipped without being buffered whole.
//
// It does not know any log format.
package logline

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/exhunt/exhunt/internal/evidence"
)

// BufSize is the read buffer. Lines up to this size are returned without
// copying; longer ones are assembled in a reused buffer up to MaxLine.
const BufSize = 256 << 10

// ErrTooLarge reports gzip input whose decompressed size passes the
// caller's limit; it guards against decompression bombs.
var ErrTooLarge = errors.New("logline: decompressed input exceeds the size limit")

// Input wraps r so that gzip data, recognised by its magic bytes and not by
// a file name, is decompressed with at most limit output bytes.
func Input(r io.Reader, limit int64) (*bufio.Reader, error) {
	br := bufio.NewReaderSize(r, BufSize)
	magic, err := br.Peek(2)
	if err != nil || magic[0] != 0x1f || magic[1] != 0x8b {
		return br, nil // short or plain input: let the line reader see it
	}
	gz, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("logline: gzip header: %w", err)
	}
	// Past limit the input fails with ErrTooLarge, rather than a silent
	// EOF, so a truncated parse is never mistaken for a complete one.
	return bufio.NewReaderSize(evidence.LimitReader(gz, limit, ErrTooLarge), BufSize), nil
}

// Reader splits input into lines without allocating per line.
type Reader struct {
	br   *bufio.Reader
	long []byte // reused for lines longer than the bufio buffer
	max  int
}

// NewReader reads lines of at most max bytes from br.
func NewReader(br *bufio.Reader, max int) Reader { return Reader{br: br, max: max} }

// Next returns the next line without its line ending. A line longer than
// max is consumed without being buffered whole and reported as tooLong.
// At the end of input it returns io.EOF; the returned slice is valid until
// the next call.
func (lr *Reader) Next() (line []byte, tooLong bool, err error) {
	b, err := lr.br.ReadSlice('\n')
	if err == nil {
		if b = trimEOL(b); len(b) > lr.max {
			return nil, true, nil
		}
		return b, false, nil
	}
	if errors.Is(err, io.EOF) {
		if len(b) == 0 {
			return nil, false, io.EOF
		}
		if b = trimEOL(b); len(b) > lr.max {
			return nil, true, nil
		}
		return b, false, nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return nil, false, err
	}
	lr.long = append(lr.long[:0], b...)
	for {
		b, err = lr.br.ReadSlice('\n')
		if !tooLong && len(lr.long)+len(b) > lr.max+2 {
			tooLong = true
			lr.long = lr.long[:0]
		}
		if !tooLong {
			lr.long = append(lr.long, b...)
		}
		switch {
		case err == nil, errors.Is(err, io.EOF):
			if tooLong {
				return nil, true, nil
			}
			l := trimEOL(lr.long)
			if len(l) > lr.max {
				return nil, true, nil
			}
			return l, false, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return nil, false, err
		}
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}
