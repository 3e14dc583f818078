package rules

import (
	"bytes"
	"strings"
	"sync"

	"github.com/exhunt/exhunt/internal/evidence"
)

// evalCtx evaluates one rule's detection against one record.
type evalCtx struct {
	f      evidence.Fields
	alias  map[string][]string // Sigma field → record fields to try
	alias2 map[string][]string
	// lowered caches lower-cased field values for this record.
	lowered [8]struct{ name, orig, v string }
	nLow    int
	// For keywords, filled once per record: every non-empty field value,
	// and all of them lower-cased and joined with NUL (value j ends at
	// ends[j]).
	all     []string
	joined  []byte
	ends    []int
	haveAll bool
}

// ctxPool recycles evalCtx buffers between records.
var ctxPool = sync.Pool{New: func() any { return new(evalCtx) }}

func newEvalCtx(f evidence.Fields) *evalCtx {
	c := ctxPool.Get().(*evalCtx)
	c.f = f
	return c
}

// release clears c and returns it to the pool, keeping small buffers.
func (c *evalCtx) release() {
	if cap(c.joined) > 1<<20 {
		c.joined = nil
	}
	clear(c.all)
	*c = evalCtx{all: c.all[:0], joined: c.joined[:0], ends: c.ends[:0]}
	ctxPool.Put(c)
}

// get looks a Sigma field up: the name itself, then its aliases.
func (c *evalCtx) get(name string) (string, bool) {
	if v, ok := c.f.Get(name); ok {
		return v, true
	}
	for _, m := range [2]map[string][]string{c.alias, c.alias2} {
		for _, a := range m[name] {
			if v, ok := c.f.Get(a); ok {
				return v, true
			}
		}
	}
	return "", false
}

func (c *evalCtx) lower(name, v string) string {
	for i := 0; i < c.nLow; i++ {
		if e := &c.lowered[i]; e.name == name && e.orig == v {
			return e.v
		}
	}
	l := toLower(v)
	if c.nLow < len(c.lowered) {
		c.lowered[c.nLow] = struct{ name, orig, v string }{name, v, l}
		c.nLow++
	}
	return l
}

// values fills all, joined and ends on first use.
func (c *evalCtx) values() {
	if c.haveAll {
		return
	}
	c.haveAll = true
	c.f.Range(func(_, v string) bool {
		if v == "" {
			return true
		}
		c.all = append(c.all, v)
		c.joined = appendLower(c.joined, v)
		c.ends = append(c.ends, len(c.joined))
		c.joined = append(c.joined, 0)
		return true
	})
}

// lowerValue returns value j of all, lower-cased.
func (c *evalCtx) lowerValue(j int) string {
	start := 0
	if j > 0 {
		start = c.ends[j-1] + 1
	}
	return string(c.joined[start:c.ends[j]])
}

// appendLower appends s lower-cased as strings.ToLower would.
func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return append(b, strings.ToLower(s)...)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// toLower avoids the allocation when s has no upper-case ASCII and is
// plain ASCII.
func toLower(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || (c >= 'A' && c <= 'Z') {
			return strings.ToLower(s)
		}
	}
	return s
}

func (c *evalCtx) eval(d *detection, n *cond) bool {
	switch n.op {
	case opSel:
		return c.selection(&d.sels[n.sel])
	case opAnd:
		for _, k := range n.kids {
			if !c.eval(d, k) {
				return false
			}
		}
		return true
	case opOr:
		for _, k := range n.kids {
			if c.eval(d, k) {
				return true
			}
		}
		return false
	case opNot:
		return !c.eval(d, n.kids[0])
	}
	return false
}

func (c *evalCtx) selection(s *selection) bool {
	for _, alt := range s.alts {
		ok := true
		for i := range alt {
			if !c.field(&alt[i]) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (c *evalCtx) field(fc *fieldCond) bool {
	if fc.field == "" {
		return c.keywords(fc)
	}
	v, present := c.get(fc.field)
	lower := func() string { return c.lower(fc.field, v) }
	for i := range fc.ms {
		hit := fc.ms[i].match(v, present, lower, c.get)
		if fc.all && !hit {
			return false
		}
		if !fc.all && hit {
			return true
		}
	}
	return fc.all
}

// keywords searches every field value of the record.
func (c *evalCtx) keywords(fc *fieldCond) bool {
	c.values()
	for i := range fc.ms {
		m := &fc.ms[i]
		hit := false
		if m.lit != nil {
			// A literal without NUL cannot span two values.
			hit = bytes.Contains(c.joined, m.lit)
		} else {
			for j, v := range c.all {
				if m.match(v, true, func() string { return c.lowerValue(j) }, c.get) {
					hit = true
					break
				}
			}
		}
		if fc.all && !hit {
			return false
		}
		if !fc.all && hit {
			return true
		}
	}
	return fc.all
}

// plainContains returns the literal of a case-insensitive *literal*
// matcher without NUL bytes.
func (m *valueMatcher) plainContains() (string, bool) {
	g := &m.glob
	if m.kind != mGlob || m.cased || g.anyOne || !g.starStart || !g.starEnd || len(g.parts) != 1 || strings.IndexByte(g.parts[0], 0) >= 0 {
		return "", false
	}
	return g.parts[0], true
}
