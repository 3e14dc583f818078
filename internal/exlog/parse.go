package exlog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/logline"
)

// LogType is the kind of Exchange log, also used as the records'
// LogSource.Service.
type LogType string

const (
	HttpProxy    LogType = "httpproxy"
	ECP          LogType = "ecp"
	OABGenerator LogType = "oabgenerator"
	Cmdlet       LogType = "cmdlet"
	// RpsHttp is the back-end PowerShell HTTP log
	// (Logging\CmdletInfra\Powershell-Proxy\Http\Rps_Http_*.LOG): the
	// requests that reached Exchange's remote PowerShell.
	RpsHttp LogType = "rpshttp"
	Other   LogType = "other"
)

// Options tune one Parse call. The zero value parses every record.
type Options struct {
	// Filter, when set, sees every data record's raw text (quoted
	// newlines included) before it is CSV-decoded. Rejected records still
	// count and still feed Stats coverage, but no Record is built.
	Filter func(line []byte) bool
	// MaxLine is the longest accepted record in bytes (default 1 MiB).
	// Longer ones are counted as malformed and skipped.
	MaxLine int
	// MaxDecompressed bounds the bytes read out of gzip input
	// (default 16 GiB); passing it fails Parse with ErrTooLarge.
	MaxDecompressed int64
	// KeyField and Key, both set, select records by one column's value
	// instead of Filter: in a log whose header names KeyField (exactly,
	// else in any case, as Fields.Get finds a column), a record is split
	// only as far as that column, and built only when Key accepts the
	// column's decoded value. A hash lookup in Key keeps the cost of a
	// pass independent of how many values it looks for. A record too
	// short to hold the column is read as without a Key. Records of a log
	// without that column go to Filter as usual; derived fields (ECP
	// event data, OAB paths) are never keys.
	KeyField string
	Key      func(value []byte) bool
}

// Stats describes what one Parse call read.
type Stats struct {
	Lines     int64 // physical lines, headers included
	Records   int64 // records passed to fn
	Malformed int64 // data records that could not be parsed, or were too long
	// Ragged counts records passed to fn whose value count differed from
	// the header's columns (see fitColumns).
	Ragged int64
	// First and Last are the earliest and latest record times, filtered
	// records included.
	First, Last time.Time
	// Days are the distinct UTC days with at least one record, ascending.
	Days     []time.Time
	Fields   []string // column names of the last header, as spelled there (shared between parses: read only)
	Software string   // #Software:
	Version  string   // #Version:, the Exchange build, e.g. 15.01.2176.002
	// VersionLine is the line of the first #Version: header, 0 if none.
	VersionLine int64
	LogType     LogType
	Host        string // first ServerHostName (or ServerName) value
	// Protocol is the HttpProxy category of the first record passed to
	// fn ("ecp", "owa"...), from the record, see Parse.
	Protocol string
}

// Parse reads one Exchange log from r and calls fn for each data record
// the filter accepts. source is the evidence path with '/' separators;
// its folders are the last resort for the log type and the HttpProxy
// protocol, after the #Log-type: header, the columns and the record's
// own Protocol and UrlStem values. fn may keep records; its error stops Parse and is returned as
// is. Malformed records are counted, never fatal.
func Parse(ctx context.Context, r io.Reader, source string, opt Options, fn func(*evidence.Record) error) (Stats, error) {
	var st Stats
	p := parser{opt: opt, src: source, fn: fn, st: &st, key: -1}
	lines, tooLong, err := logline.Read(ctx, r, opt.MaxDecompressed, opt.MaxLine, "exlog", source,
		func(lr *logline.Reader) logline.Handler { p.lr = lr; return &p })
	st.Lines, st.Malformed = lines, st.Malformed+tooLong
	if st.LogType == "" {
		st.LogType = p.logType()
	}
	st.First, st.Last, st.Days = p.cov.First, p.cov.Last, p.cov.Days()
	return st, err
}

type parser struct {
	lr  *logline.Reader
	opt Options
	src string
	fn  func(*evidence.Record) error
	st  *Stats

	hdr      *header
	key      int     // column of Options.KeyField in hdr, -1 if absent or unused
	declared LogType // from #Log-type:
	dataSeen bool

	rec  []byte // assembled multi-line record
	vals []byte // decoded values of the current record
	offs []int32
	cov  logline.Coverage

	protoRaw, protoLower string // cache for the HttpProxy category
}

// Data implements logline.Handler: one record, with the lines that follow
// it while it ends inside quotes.
func (p *parser) Data(line []byte) error {
	start := p.lr.Line()
	if openQuote(line) {
		var ok bool
		var err error
		if line, ok, err = p.join(line); err != nil {
			return err
		}
		if !ok {
			p.st.Malformed++
			return nil
		}
	}
	return p.data(line, start)
}

// join appends physical lines to a record that ends inside quotes, until
// the quotes balance. A record longer than MaxLine is skipped without being
// buffered. A line that starts with a timestamp begins a new record, so a
// stray quote costs one malformed record, not the rest of the file; that
// line is given back to the reader, for the next call of Data.
func (p *parser) join(first []byte) ([]byte, bool, error) {
	p.rec = append(p.rec[:0], first...)
	skipping := false
	for {
		line, tooLong, err := p.lr.Next()
		if err == io.EOF {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("exlog: read %s: %w", p.src, err)
		}
		if !tooLong && recordStart(line) {
			p.lr.Unread(line)
			return nil, false, nil
		}
		if tooLong || len(p.rec)+1+len(line) > p.lr.Max() {
			skipping = true
			p.rec = p.rec[:0]
		}
		odd := openQuote(line)
		if !skipping {
			p.rec = append(p.rec, '\n')
			p.rec = append(p.rec, line...)
		}
		if odd { // this line closes the quote (it may open another)
			if skipping {
				return nil, false, nil
			}
			if !openQuote(p.rec) {
				return p.rec, true, nil
			}
		}
	}
}

// recordStart reports whether line begins with an ISO date and time, as
// every Exchange CSV record does.
func recordStart(line []byte) bool {
	return len(line) >= 19 && line[4] == '-' && line[7] == '-' && (line[10] == 'T' || line[10] == ' ') && line[13] == ':' &&
		line[0] >= '0' && line[0] <= '9' && line[5] >= '0' && line[5] <= '9'
}

// Directive implements logline.Handler: #Fields:, #Software:, #Version:,
// #Log-type:.
func (p *parser) Directive(line []byte) {
	name, val, ok := bytes.Cut(line[1:], []byte(":"))
	if !ok {
		return
	}
	val = bytes.TrimSpace(val)
	switch strings.ToLower(string(name)) {
	case "fields":
		p.setHeader(val)
	case "software":
		p.st.Software = string(val)
	case "version":
		p.st.Version = string(val)
		if p.st.VersionLine == 0 {
			p.st.VersionLine = p.lr.Line()
		}
	case "log-type":
		p.declared = declaredType(string(val))
	}
}

func (p *parser) setHeader(list []byte) {
	p.hdr = cachedHeader(list)
	p.st.Fields = p.hdr.names
	p.st.LogType = p.logType()
	p.key = -1
	if p.opt.Key != nil && p.opt.KeyField != "" {
		p.key = p.hdr.position(p.opt.KeyField)
	}
}

// data handles one logical record that started on physical line start.
func (p *parser) data(line []byte, start int64) error {
	if p.hdr == nil && !p.dataSeen {
		p.dataSeen = true
		if looksLikeHeader(line) {
			p.setHeader(line)
			return nil
		}
	}
	p.dataSeen = true
	if p.hdr == nil {
		if p.logType() == OABGenerator {
			return p.text(line, start)
		}
		p.st.Malformed++
		return nil
	}
	h := p.hdr
	if len(h.names) == 0 { // a header that names no column ("#Fields:" and a lone quote)
		p.st.Malformed++
		return nil
	}
	// limit is how many columns a record that is not kept must have:
	// those coverage reads.
	limit := h.coverNeed
	if p.st.Host == "" && h.host >= 0 {
		limit = max(limit, h.host+1)
	}
	var keep, ok bool
	var n int
	if p.key >= 0 {
		// Split as far as the key, then the whole record if it is wanted
		// (or too short to hold the key: read as without a Key, a row
		// with missing values).
		p.vals, p.offs, n, ok, _ = splitCSV(line, max(limit, p.key+1), p.vals[:0], p.offs[:0])
		keep = ok && (n <= p.key || p.opt.Key(p.value(p.key)))
	} else {
		keep = p.opt.Filter == nil || p.opt.Filter(line)
	}
	if keep {
		limit = len(h.names)
	}
	if keep || p.key < 0 {
		p.vals, p.offs, n, ok, _ = splitCSV(line, limit, p.vals[:0], p.offs[:0])
	}
	if !ok || !keep && n <= h.time {
		p.st.Malformed++
		return nil
	}
	ragged := keep && n != len(h.names)
	if ragged {
		p.fitColumns(line, n)
		n = len(h.names)
	}
	var t time.Time
	if h.time >= 0 {
		if t, ok = parseTime(p.value(h.time)); !ok {
			p.st.Malformed++
			return nil
		}
		p.cov.Add(t)
	}
	if p.st.Host == "" && h.host >= 0 {
		p.st.Host = string(p.value(h.host))
	}
	if !keep {
		return nil
	}
	if ragged {
		p.st.Ragged++
	}
	f := &Fields{h: h, vals: string(p.vals), offs: slices.Clone(p.offs[:2*n])}
	f.derive(p.st.LogType, line)
	p.st.Records++
	return p.fn(&evidence.Record{Source: p.src, Line: start, Time: t, Log: p.logSource(f), Fields: f})
}

// fitColumns makes a record with n values fit the header's columns, as a
// reader of the file would: missing trailing values are empty, and when
// there are more values than columns the last column keeps the rest of
// the record as written, commas included. Exchange writes exactly the
// header's columns; other counts come from excerpts whose header was
// written by hand (the real incident excerpts name fewer columns than
// their rows carry) or from columns that hold unquoted commas.
func (p *parser) fitColumns(line []byte, n int) {
	cols := len(p.hdr.names)
	if n < cols {
		for ; n < cols; n++ {
			end := int32(len(p.vals))
			p.offs = append(p.offs, end, end)
		}
		return
	}
	if cols == 1 {
		p.vals = append(p.vals[:0], line...)
		p.offs = append(p.offs[:0], 0, int32(len(line)))
		return
	}
	var rest int
	p.vals, p.offs, _, _, rest = splitCSV(line, cols-1, p.vals[:0], p.offs[:0])
	start := int32(len(p.vals))
	p.vals = append(p.vals, line[rest:]...)
	p.offs = append(p.offs[:2*(cols-1)], start, int32(len(p.vals)))
}

// text handles an OAB generator line in a log without a header: the line
// is the Message, and a leading ISO time, if any, is its time.
func (p *parser) text(line []byte, start int64) error {
	var t time.Time
	if i := bytes.IndexAny(line, ", "); i >= 19 {
		if tt, ok := parseTime(line[:i]); ok {
			t = tt
			p.cov.Add(t)
		}
	}
	if p.opt.Filter != nil && !p.opt.Filter(line) {
		return nil
	}
	f := &Fields{h: emptyHeader}
	f.derive(OABGenerator, line)
	f.extra = append(f.extra, kv{"Message", string(line)})
	p.st.Records++
	return p.fn(&evidence.Record{Source: p.src, Line: start, Time: t, Log: evidence.LogSource{Product: "exchange", Service: string(OABGenerator)}, Fields: f})
}

func (p *parser) value(i int) []byte {
	if 2*i+1 >= len(p.offs) {
		return nil
	}
	return p.vals[p.offs[2*i]:p.offs[2*i+1]]
}

// logSource says what produced a record. For HttpProxy logs the category
// is the protocol, taken from the record itself: its Protocol column, else
// the first segment of its UrlStem (/ecp/y.js is ECP), and only then the
// folder the file sits in, which a flattened triage copy loses.
func (p *parser) logSource(f *Fields) evidence.LogSource {
	ls := evidence.LogSource{Product: "exchange", Service: string(p.st.LogType)}
	if p.st.LogType != HttpProxy {
		return ls
	}
	proto := ""
	if p.hdr.proto >= 0 {
		proto = f.value(p.hdr.proto)
	}
	if proto == "" && p.hdr.stem >= 0 {
		proto = stemProtocol(f.value(p.hdr.stem))
	}
	if proto == "" {
		proto = folderProtocol(p.src)
	}
	if proto != p.protoRaw {
		p.protoRaw, p.protoLower = proto, strings.ToLower(proto)
	}
	ls.Category = p.protoLower
	if p.st.Protocol == "" {
		p.st.Protocol = ls.Category
	}
	return ls
}

// stemProtocols maps the first URL segment of an Exchange request to the
// protocol name HttpProxy logs use (their Protocol column and folder).
var stemProtocols = map[string]string{
	"owa": "owa", "ecp": "ecp", "ews": "ews", "autodiscover": "autodiscover", "mapi": "mapi",
	"oab": "oab", "powershell": "powershell", "rpc": "rpchttp", "microsoft-server-activesync": "eas",
	"api": "rest", "pushnotifications": "pushnotifications",
}

// stemProtocol returns the protocol of a URL path ("/ECP/y.js" → "ecp"),
// or "" when its first segment is not an Exchange virtual directory.
func stemProtocol(stem string) string {
	stem = strings.TrimPrefix(stem, "/")
	seg, _, _ := strings.Cut(stem, "/")
	if len(seg) > 32 {
		return ""
	}
	return stemProtocols[strings.ToLower(seg)]
}
