package logline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"time"
)

// Handler takes the lines of a W3C-style text log (IIS, Exchange) from
// Scan.
type Handler interface {
	// Directive gets a line that starts with '#' (#Fields:, #Software:).
	Directive(line []byte)
	// Data gets every other non-empty line; its error stops Scan.
	Data(line []byte) error
}

// CheckEvery is how many lines Scan reads between checks of its context.
const CheckEvery = 1 << 14

var bom = []byte("\xef\xbb\xbf")

// Scan is the line loop of the text-log parsers. It reads lr to its end:
// it drops a UTF-8 byte order mark before the first line and skips empty
// lines, hands lines that start with '#' to Directive and the others to
// Data, and checks ctx every 16 384 lines. Lines over the limit are
// skipped and counted in tooLong (the parsers count them malformed). A
// read error comes back as "<pkg>: read <source>: error"; ctx's error and
// Data's come back as they are. Handlers read the line number from
// lr.Line.
func Scan(ctx context.Context, lr *Reader, pkg, source string, h Handler) (tooLong int64, _ error) {
	for n := 1; ; n++ {
		line, long, err := lr.Next()
		if err == io.EOF {
			return tooLong, nil
		}
		if err != nil {
			return tooLong, fmt.Errorf("%s: read %s: %w", pkg, source, err)
		}
		if n%CheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return tooLong, err
			}
		}
		if long {
			tooLong++
			continue
		}
		if lr.n == 1 {
			line = bytes.TrimPrefix(line, bom)
		}
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' {
			h.Directive(line)
			continue
		}
		if err := h.Data(line); err != nil {
			return tooLong, err
		}
	}
}

// Read is a text log parser's whole pass over r: it opens r as Open does
// (limit and max, 0 for the defaults), runs Scan with the Handler that
// start returns for the Reader, and closes the Reader. It returns the
// number of lines read and of lines over max.
func Read(ctx context.Context, r io.Reader, limit int64, max int, pkg, source string, start func(*Reader) Handler) (lines, tooLong int64, err error) {
	lr, err := Open(r, limit, max)
	if err != nil {
		return 0, 0, err
	}
	defer lr.Close()
	tooLong, err = Scan(ctx, lr, pkg, source, start(lr))
	return lr.Line(), tooLong, err
}

// Coverage gathers the time span of a log's records and the UTC days
// they fall on, for coverage-gap detection. The zero value is empty.
type Coverage struct {
	First, Last time.Time
	days        map[int64]struct{}
	last        int64 // the day last added, to skip the map for a run of one day
}

// Add counts a record's time.
func (c *Coverage) Add(t time.Time) {
	if c.First.IsZero() || t.Before(c.First) {
		c.First = t
	}
	if t.After(c.Last) {
		c.Last = t
	}
	if d := t.Unix() / 86400; d != c.last || c.days == nil {
		if c.days == nil {
			c.days = map[int64]struct{}{}
		}
		c.last = d
		c.days[d] = struct{}{}
	}
}

// Days are the distinct UTC days added, ascending, each at 00:00 UTC;
// never nil.
func (c *Coverage) Days() []time.Time {
	days := make([]time.Time, 0, len(c.days))
	for d := range c.days {
		days = append(days, time.Unix(d*86400, 0).UTC())
	}
	slices.SortFunc(days, func(a, b time.Time) int { return a.Compare(b) })
	return days
}

// Digits is the value of b, one or more ASCII digits (ok false
// otherwise): the parsers' dates and times.
func Digits(b []byte) (n int, ok bool) {
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}
