package iislog

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/logline"
)

// Options tune one Parse call. The zero value parses every line.
type Options struct {
	// Filter, when set, sees every data line (without its line ending)
	// before any field is split out. Lines it rejects are still counted,
	// and their date and time still feed Stats coverage, but no Record is
	// built. Hunt passes a rule prefilter here.
	Filter func(line []byte) bool
	// MaxLine is the longest accepted line in bytes (default 1 MiB).
	// Longer lines are counted as malformed and skipped without being
	// buffered whole.
	MaxLine int
	// MaxDecompressed bounds the bytes read out of gzip input
	// (default 16 GiB). Passing it fails Parse with ErrTooLarge.
	MaxDecompressed int64
	// DefaultFields, when set, is the #Fields: list assumed for data lines
	// that come before any #Fields: header (an excerpt without its
	// header); see DefaultLayout. Without it such lines are malformed.
	DefaultFields string
	// KeyField and Key, both set, select lines by one field's value
	// instead of Filter: in a log whose #Fields: header names KeyField
	// (exactly, else in any case), a line is split only as far as that
	// field, and its record is built only when Key accepts the field's
	// raw value. A hash lookup in Key keeps the cost of a pass
	// independent of how many values it looks for. A line too short to
	// hold the field is read as without a Key (malformed). Lines governed
	// by a header without that field go to Filter as usual.
	KeyField string
	Key      func(value []byte) bool
}

// Stats describes what one Parse call read.
type Stats struct {
	Lines     int64 // physical lines, headers included
	Records   int64 // records passed to fn
	Malformed int64 // data lines that could not be parsed, or were too long
	// First and Last are the earliest and latest request times seen on any
	// well-formed data line, filtered or not.
	First, Last time.Time
	// Days are the distinct UTC days with at least one request, ascending,
	// each at 00:00 UTC, for coverage-gap detection.
	Days     []time.Time
	Fields   []string // field names of the last #Fields: header (shared between parses: read only)
	Software string   // #Software: value, e.g. "Microsoft Internet Information Services 10.0"
	Host     string   // first s-computername value, if the log has that field
	// DefaultFields is Options.DefaultFields when some lines were read
	// with it (they had no #Fields: header), else "".
	DefaultFields string
}

// LogSource is the Sigma logsource of every IIS record.
var LogSource = evidence.LogSource{Category: "webserver", Product: "windows", Service: "iis"}

// Parse reads one W3C log from r and calls fn for each data line the
// filter accepts. source names the file in records. fn may keep the
// records it gets; an error from fn stops Parse and is returned as is.
// Malformed lines are counted, never fatal; Parse fails only on read
// errors, gzip errors, a cancelled ctx or fn's error.
func Parse(ctx context.Context, r io.Reader, source string, opt Options, fn func(*evidence.Record) error) (Stats, error) {
	var st Stats
	p := parser{opt: opt, src: source, fn: fn, st: &st, key: -1}
	lines, tooLong, err := logline.Read(ctx, r, opt.MaxDecompressed, opt.MaxLine, "iislog", source,
		func(lr *logline.Reader) logline.Handler { p.lr = lr; return &p })
	st.Lines, st.Malformed = lines, st.Malformed+tooLong
	st.First, st.Last, st.Days = p.cov.First, p.cov.Last, p.cov.Days()
	return st, err
}

type parser struct {
	lr   *logline.Reader
	opt  Options
	src  string
	fn   func(*evidence.Record) error
	st   *Stats
	hdr  *header
	key  int     // position of Options.KeyField in hdr, -1 if absent or unused
	offs []int32 // start,end pairs of the current line's fields
	date []byte  // header #Date: day, used when lines carry no date field
	cov  logline.Coverage

	cacheDate [10]byte // last parsed date text and its midnight
	cacheDay  time.Time
}

// Directive implements logline.Handler: #Fields:, #Software:, #Date:.
func (p *parser) Directive(line []byte) {
	name, val, ok := bytes.Cut(line[1:], []byte(":"))
	if !ok {
		return
	}
	val = bytes.TrimSpace(val)
	switch string(name) {
	case "Fields":
		p.setHeader(cachedHeader(val))
	case "Software":
		p.st.Software = string(val)
	case "Date":
		if d, _, ok := bytes.Cut(val, []byte(" ")); ok && len(d) == 10 {
			p.date = append(p.date[:0], d...)
		}
	}
}

// setHeader makes h the header of the lines that follow.
func (p *parser) setHeader(h *header) {
	p.hdr = h
	p.st.Fields = h.names
	p.key = -1
	if p.opt.Key != nil && p.opt.KeyField != "" {
		p.key = h.position(p.opt.KeyField)
	}
}

// Data implements logline.Handler: one request line.
func (p *parser) Data(line []byte) error {
	h := p.hdr
	if h == nil && p.opt.DefaultFields != "" {
		h = cachedHeader([]byte(p.opt.DefaultFields))
		p.setHeader(h)
		p.st.DefaultFields = p.opt.DefaultFields
	}
	if h == nil {
		p.st.Malformed++
		return nil
	}
	line = bytes.TrimRight(line, " ")
	// need is how many fields a line that is not kept must have: those
	// coverage reads.
	need := h.coverNeed
	if p.st.Host == "" && h.host >= 0 {
		need = max(need, h.host+1)
	}
	var keep bool
	var n int
	if p.key >= 0 {
		// Split as far as the key, then the whole line if it is wanted (or
		// too short to hold the key: malformed, as without a Key).
		n = p.split(line, max(need, p.key+1))
		keep = n <= p.key || p.opt.Key(p.field(line, p.key))
	} else {
		keep = p.opt.Filter == nil || p.opt.Filter(line)
	}
	if keep {
		need = len(h.names)
	}
	if keep || p.key < 0 {
		n = p.split(line, need)
	}
	if keep && n != len(h.names) || !keep && n < need {
		p.st.Malformed++
		return nil
	}
	t, ok := p.when(line)
	if !ok {
		p.st.Malformed++
		return nil
	}
	if !t.IsZero() {
		p.cov.Add(t)
	}
	if p.st.Host == "" && h.host >= 0 {
		if v := p.field(line, h.host); v != nil && string(v) != "-" {
			p.st.Host = string(v)
		}
	}
	if !keep {
		return nil
	}
	f := &Fields{h: h, line: string(line), offs: slices.Clone(p.offs)}
	if h.ua >= 0 {
		if ua := f.raw(h.ua); strings.IndexByte(ua, '+') >= 0 {
			f.ua = strings.ReplaceAll(ua, "+", " ")
			f.uaSet = true
		}
	}
	p.st.Records++
	return p.fn(&evidence.Record{Source: p.src, Line: p.lr.Line(), Time: t, Log: LogSource, Fields: f})
}

// split records the offsets of the line's space-separated fields, stopping
// after limit fields; it returns the field count, or limit+1 when the line
// has more than limit fields.
func (p *parser) split(line []byte, limit int) int {
	p.offs = p.offs[:0]
	if limit <= 0 {
		return 1
	}
	start, n := 0, 0
	for {
		i := bytes.IndexByte(line[start:], ' ')
		if i < 0 {
			p.offs = append(p.offs, int32(start), int32(len(line)))
			return n + 1
		}
		p.offs = append(p.offs, int32(start), int32(start+i))
		n++
		start += i + 1
		if n == limit {
			return n + 1
		}
	}
}

func (p *parser) field(line []byte, i int) []byte {
	if 2*i+1 >= len(p.offs) {
		return nil
	}
	return line[p.offs[2*i]:p.offs[2*i+1]]
}

// when returns the line's UTC time (IIS W3C logs are always UTC), zero if
// the header has no time field.
func (p *parser) when(line []byte) (time.Time, bool) {
	h := p.hdr
	if h.time < 0 {
		return time.Time{}, true
	}
	d := p.date
	if h.date >= 0 {
		d = p.field(line, h.date)
	}
	day, ok := p.day(d)
	if !ok {
		return time.Time{}, false
	}
	secs, ok := clock(p.field(line, h.time))
	if !ok {
		return time.Time{}, false
	}
	return day.Add(secs), true
}

func (p *parser) day(d []byte) (time.Time, bool) {
	if len(d) != 10 {
		return time.Time{}, false
	}
	if string(d) == string(p.cacheDate[:]) {
		return p.cacheDay, true
	}
	y, ok1 := logline.Digits(d[0:4])
	m, ok2 := logline.Digits(d[5:7])
	dd, ok3 := logline.Digits(d[8:10])
	if !ok1 || !ok2 || !ok3 || d[4] != '-' || d[7] != '-' || m < 1 || m > 12 || dd < 1 || dd > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC)
	copy(p.cacheDate[:], d)
	p.cacheDay = t
	return t, true
}

// clock parses "hh:mm:ss" with optional fraction.
func clock(b []byte) (time.Duration, bool) {
	if len(b) < 8 || b[2] != ':' || b[5] != ':' {
		return 0, false
	}
	h, ok1 := logline.Digits(b[0:2])
	m, ok2 := logline.Digits(b[3:5])
	s, ok3 := logline.Digits(b[6:8])
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || s > 60 {
		return 0, false
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second
	if len(b) > 9 && b[8] == '.' {
		frac := b[9:]
		if len(frac) > 9 {
			frac = frac[:9]
		}
		ns, ok := logline.Digits(frac)
		if !ok {
			return 0, false
		}
		for i := len(frac); i < 9; i++ {
			ns *= 10
		}
		d += time.Duration(ns)
	} else if len(b) != 8 {
		return 0, false
	}
	return d, true
}
