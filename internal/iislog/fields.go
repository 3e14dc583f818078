package iislog

import (
	"strings"

	"github.com/exhunt/exhunt/internal/logline"
)

// header is one #Fields: directive, shared by all records it governs.
type header struct {
	names []string
	index map[string]int
	fold  map[string]int // ASCII lower-case name → first position
	ascii bool           // every name is ASCII: fold finds what strings.EqualFold would
	date  int            // field positions, -1 when absent
	time  int
	ua    int
	host  int
	// coverNeed is how many leading fields a filtered-out line must have
	// for its date and time to be read.
	coverNeed int
}

// headers caches parsed #Fields: lines (see logline.Cache).
var headers logline.Cache[*header]

// cachedHeader returns the header for a #Fields: list.
func cachedHeader(list []byte) *header {
	return headers.Get(list, func() *header { return newHeader(string(list)) })
}

// position returns the position of the field name (exactly, else in any
// case, as Fields.Get finds it), or -1. Rules and the hunt ask for many
// names a log does not have (Exchange's, Windows'): a miss costs two map
// lookups, not a comparison with every field.
func (h *header) position(name string) int {
	if i, ok := h.index[name]; ok {
		return i
	}
	var buf [64]byte
	if h.ascii && len(name) <= len(buf) && isASCII(name) {
		l := buf[:len(name)]
		for i := range len(name) {
			c := name[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			l[i] = c
		}
		if i, ok := h.fold[string(l)]; ok {
			return i
		}
		return -1
	}
	for j, n := range h.names {
		if strings.EqualFold(n, name) {
			return j
		}
	}
	return -1
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func newHeader(list string) *header {
	h := &header{names: strings.Fields(list), index: map[string]int{}, fold: map[string]int{}, ascii: isASCII(list), date: -1, time: -1, ua: -1, host: -1}
	for i, n := range h.names {
		if _, dup := h.index[n]; !dup {
			h.index[n] = i
		}
		if l := asciiLower(n); h.ascii {
			if _, dup := h.fold[l]; !dup {
				h.fold[l] = i
			}
		}
		switch strings.ToLower(n) {
		case "date":
			h.date = i
		case "time":
			h.time = i
		case "cs(user-agent)":
			h.ua = i
		case "s-computername":
			h.host = i
		}
	}
	if h.time >= 0 {
		h.coverNeed = max(h.date, h.time) + 1
	}
	return h
}

// Fields holds one request line's values. It implements evidence.Fields
// with the W3C names of its header as keys; "-" reads as an empty value
// that is present. cs(User-Agent) reads with '+' turned back into spaces.
// A Fields owns its data and may be kept after Parse returns.
type Fields struct {
	h     *header
	line  string
	offs  []int32
	ua    string // decoded user agent, when it had '+'
	uaSet bool
}

// Get implements evidence.Fields. Names match exactly first, then
// case-insensitively.
func (f *Fields) Get(name string) (string, bool) {
	i := f.h.position(name)
	if i < 0 {
		return "", false
	}
	return f.value(i), true
}

// Range implements evidence.Fields, in header order.
func (f *Fields) Range(fn func(name, value string) bool) {
	for i, n := range f.h.names {
		if !fn(n, f.value(i)) {
			return
		}
	}
}

func (f *Fields) value(i int) string {
	if i == f.h.ua && f.uaSet {
		return f.ua
	}
	v := f.raw(i)
	if v == "-" {
		return ""
	}
	return v
}

func (f *Fields) raw(i int) string {
	if 2*i+1 >= len(f.offs) {
		return ""
	}
	return f.line[f.offs[2*i]:f.offs[2*i+1]]
}

// Line returns the request line as it appears in the log.
func (f *Fields) Line() string { return f.line }

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
