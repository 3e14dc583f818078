// Package logline reads text logs line by line for the log parsers: plain
// or gzip-compressed input (recognised by magic bytes, bounded against
// decompression bombs), lines returned without copying, over-long lines
// skipped without being buffered whole.
//
// Its read buffers are pooled: a hunt of 26 000 small hourly logs used to
// allocate (and zero) a fresh 256 KiB buffer for each, which cost more
// than reading the file.
//
// Scan (and Read, which opens, scans and closes) is the one line loop of
// the W3C-style text-log parsers, iislog and exlog: end of input, context
// checks, over-long lines, the byte order mark, '#' directives. Coverage
// gathers the days their records span.
//
// It does not know any log format beyond that: fields and records are the
// parsers'.
package logline

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/exhunt/exhunt/internal/evidence"
)

// BufSize is the read buffer. Lines up to this size are returned without
// copying; longer ones are assembled in a reused buffer up to MaxLine.
const BufSize = 256 << 10

// ErrTooLarge reports gzip input whose decompressed size passes the
// caller's limit; it guards against decompression bombs.
var ErrTooLarge = errors.New("logline: decompressed input exceeds the size limit")

var (
	buffers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, BufSize) }}
	gzips   sync.Pool // *gzip.Reader
)

// maxKeptLong is the largest long-line buffer a pooled Reader keeps.
const maxKeptLong = 4 << 20

// NewBuffer returns a read buffer of BufSize over r, from a pool: give
// it back with Release. A caller that looks at a file's head before
// handing it to a parser reads it through one (Peek), and passes it on as
// the parser's reader: the parser goes on from the same buffer, so the
// head costs no second read.
func NewBuffer(r io.Reader) *bufio.Reader {
	br := buffers.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

// Release returns a buffer from NewBuffer to the pool.
func Release(br *bufio.Reader) {
	br.Reset(nil)
	buffers.Put(br)
}

// Reader splits input into lines without allocating per line.
type Reader struct {
	br     *bufio.Reader
	plain  *bufio.Reader // the buffer under a gzip stream, nil for plain input
	gz     *gzip.Reader
	shared bool   // plain (or br) belongs to the caller
	long   []byte // reused for lines longer than the bufio buffer
	max    int
	n      int64  // lines returned by Next
	back   []byte // a line given back by Unread
	isBack bool
}

// Defaults of Open's limits, for a limit of 0 (or a line limit over
// 1 GiB): the log parsers' defaults.
const (
	DefaultMaxLine         = 1 << 20
	DefaultMaxDecompressed = 16 << 30
)

// Open reads lines of at most max bytes from r. Gzip data, recognised by
// its magic bytes and not by a file name, is decompressed with at most
// limit output bytes. Close returns the Reader's buffers for reuse; a
// *bufio.Reader of at least BufSize given as r (from NewBuffer) is read
// directly, and stays the caller's.
func Open(r io.Reader, limit int64, max int) (*Reader, error) {
	if max <= 0 || max > 1<<30 {
		max = DefaultMaxLine
	}
	if limit <= 0 {
		limit = DefaultMaxDecompressed
	}
	br, shared := r.(*bufio.Reader)
	if !shared || br.Size() < BufSize {
		br, shared = NewBuffer(r), false
	}
	lr := &Reader{br: br, max: max, shared: shared}
	magic, err := br.Peek(2)
	if err != nil || !IsGzip(magic) {
		return lr, nil // short or plain input: let the line reader see it
	}
	var gz *gzip.Reader
	if g, ok := gzips.Get().(*gzip.Reader); ok {
		gz, err = g, g.Reset(br)
	} else {
		gz, err = gzip.NewReader(br)
	}
	if err != nil {
		lr.Close()
		return nil, fmt.Errorf("logline: gzip header: %w", err)
	}
	// Past limit the input fails with ErrTooLarge, rather than a silent
	// EOF, so a truncated parse is never mistaken for a complete one.
	lr.plain, lr.gz = br, gz
	lr.br = buffers.Get().(*bufio.Reader)
	lr.br.Reset(evidence.LimitReader(gz, limit, ErrTooLarge))
	return lr, nil
}

// Close returns the buffers to the pool; lines returned earlier are no
// longer valid. It does not close the underlying reader.
func (lr *Reader) Close() {
	outer, under := lr.br, lr.plain
	if lr.gz == nil {
		outer, under = nil, lr.br // no gzip: br is the input's own buffer
	}
	if outer != nil {
		Release(outer)
	}
	if under != nil && !lr.shared {
		Release(under)
	}
	if lr.gz != nil {
		gzips.Put(lr.gz)
	}
	lr.br, lr.plain, lr.gz = nil, nil, nil
	if cap(lr.long) > maxKeptLong {
		lr.long = nil
	}
}

// Max is the longest line Next returns whole.
func (lr *Reader) Max() int { return lr.max }

// Line is the number of lines Next has returned (over-long ones
// included, given back ones not): the 1-based number of the last line.
func (lr *Reader) Line() int64 { return lr.n }

// Unread gives back the line the last Next returned (a parser that read
// one line too far): the next call of Next returns a copy of it again,
// and Line counts it once.
func (lr *Reader) Unread(line []byte) {
	lr.back = append(lr.back[:0], line...)
	lr.isBack = true
	lr.n--
}

// Next returns the next line without its line ending. A line longer than
// max is consumed without being buffered whole and reported as tooLong.
// At the end of input it returns io.EOF; the returned slice is valid until
// the next call.
func (lr *Reader) Next() (line []byte, tooLong bool, err error) {
	if lr.isBack {
		lr.isBack = false
		lr.n++
		return lr.back, false, nil
	}
	b, err := lr.br.ReadSlice('\n')
	if err == nil {
		lr.n++
		if b = trimEOL(b); len(b) > lr.max {
			return nil, true, nil
		}
		return b, false, nil
	}
	line, tooLong, err = lr.slow(b, err)
	if err == nil {
		lr.n++
	}
	return line, tooLong, err
}

// slow is Next past a plain full line: the last line, an over-long one,
// or an error.
func (lr *Reader) slow(b []byte, err error) (line []byte, tooLong bool, _ error) {
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

// Cache keeps values built from a header line, by the line's text: every
// file of a server repeats the same header, and parsing it again for each
// of 26 000 small hourly logs was a measurable part of reading them. The
// values must never change once built: parsers share them. The zero value
// is ready; past its bound (256 headers) it starts over.
type Cache[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

const maxCached = 256

// Get returns the value for the header text key, built by build on a miss.
func (c *Cache[T]) Get(key []byte, build func() T) T {
	c.mu.Lock()
	v, ok := c.m[string(key)]
	c.mu.Unlock()
	if ok {
		return v
	}
	v = build()
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = map[string]T{}
	}
	c.m[string(key)] = v
	c.mu.Unlock()
	return v
}

// IsGzip says whether b starts with gzip's magic bytes.
func IsGzip(b []byte) bool { return len(b) > 1 && b[0] == 0x1f && b[1] == 0x8b }

// GunzipHead decompresses what head, the first bytes of a gzip file,
// holds, up to max bytes: the head of its content, for sniffing. That
// head ending mid-stream is no error; an error comes only when nothing
// could be decompressed.
func GunzipHead(head []byte, max int) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(head))
	if err != nil {
		return nil, err
	}
	buf := make([]byte, max)
	n, err := io.ReadFull(zr, buf)
	if n > 0 || err == io.EOF || err == io.ErrUnexpectedEOF {
		return buf[:n], nil
	}
	return nil, err
}
