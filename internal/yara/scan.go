package yara

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
)

// Vars are the external variables of a scan (as "yara -d").
type Vars struct {
	Filename  string
	Filepath  string
	Extension string
	Filetype  string
}

// Match is one matching (non-private) rule.
type Match struct {
	Rule      string
	Namespace string // source file name
	Tags      []string
	Meta      map[string]string
	Strings   []StringMatch // matches of non-private strings, by string then offset
}

// StringMatch is one match of a string.
type StringMatch struct {
	ID     string // "$a"
	Offset int64
	Data   []byte // matched bytes, truncated to MaxMatchData
}

const (
	// MaxMatchData is the most bytes of matched data kept per match.
	MaxMatchData = 64
	// MaxStringMatches caps the matches recorded per string and file;
	// YARA's "too many matches" limit plays the same role.
	MaxStringMatches = 10000
	// evalBudget caps loop iterations of one scan's conditions.
	evalBudget = 10_000_000
)

// ErrEvalBudget is returned (with the matches found so far) when a
// condition needed more loop iterations than a scan allows.
var ErrEvalBudget = errors.New("yara: condition evaluation budget exceeded")

type span struct {
	off int64
	n   int32
}

// Pattern states during one scan.
const (
	stTouched = 1 << iota // seen by the prefilter (a match or a candidate)
	stDone                // matches are complete
	stUnsorted
	stOverflow // too many regex atom hits: search the whole input
	stExists   // a deferred literal is known to occur (matches not listed yet)
)

// scanner holds the per-scan state; scanners are pooled per Rules and
// reset through the touched lists, so a reset costs O(hits), not
// O(patterns).
type scanner struct {
	r         *Rules
	data, low []byte
	lowBuf    []byte
	vars      Vars

	matches  [][]span
	hits     [][]reHit // regex atom hits per pattern
	scratch  []reHit
	state    []uint8
	touched  []int // patterns with state != 0
	ruleSeen []bool
	seenList []int
	result   []int8 // per rule: 0 unknown, 1 true, 2 false, 3 in progress
	resList  []int

	spec       bool // speculative evaluation (see ruleTrue)
	maxStrings int  // ScanLimited's bound on string matches run for a Match
	mathCache  map[mathKey]value
	loopVars   []value
	forStr     []int // pattern index bound to "$" in for..of bodies
	budget     int
}

func newScanner(r *Rules) any {
	return &scanner{
		r:        r,
		matches:  make([][]span, len(r.patterns)),
		hits:     make([][]reHit, len(r.patterns)),
		state:    make([]uint8, len(r.patterns)),
		ruleSeen: make([]bool, len(r.rules)),
		result:   make([]int8, len(r.rules)),
	}
}

func (s *scanner) reset() {
	for _, pi := range s.touched {
		s.matches[pi] = s.matches[pi][:0]
		s.hits[pi] = s.hits[pi][:0]
		s.state[pi] = 0
	}
	for _, ri := range s.seenList {
		s.ruleSeen[ri] = false
	}
	for _, ri := range s.resList {
		s.result[ri] = 0
	}

	s.touched, s.seenList, s.resList = s.touched[:0], s.seenList[:0], s.resList[:0]
	s.loopVars, s.forStr = s.loopVars[:0], s.forStr[:0]
	s.data, s.low = nil, nil
	clear(s.mathCache)
	if cap(s.lowBuf) > 64<<20 {
		s.lowBuf = nil // do not pin huge buffers in the pool
	}
}

func (s *scanner) touch(pi int) {
	if s.state[pi] == 0 {
		s.touched = append(s.touched, pi)
	}
	s.state[pi] |= stTouched
	for _, ri := range s.r.patterns[pi].rules {
		if !s.ruleSeen[ri] {
			s.ruleSeen[ri] = true
			s.seenList = append(s.seenList, ri)
		}
	}
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// fullwordOK applies YARA's fullword rule: the match must not be preceded
// or followed by an alphanumeric character (for wide strings, by an
// alphanumeric character followed by NUL).
func fullwordOK(data []byte, off, n int, wide bool) bool {
	if wide {
		if off >= 2 && data[off-1] == 0 && isAlnum(data[off-2]) {
			return false
		}
		end := off + n
		return !(end+1 < len(data) && data[end+1] == 0 && isAlnum(data[end]))
	}
	if off >= 1 && isAlnum(data[off-1]) {
		return false
	}
	return !(off+n < len(data) && isAlnum(data[off+n]))
}

func (s *scanner) verifyLiteral(pi, li, start int) {
	if len(s.matches[pi]) >= MaxStringMatches {
		return
	}
	p := s.r.patterns[pi]
	v := &p.lits[li]
	end := start + len(v.lit)
	if start < 0 || end > len(s.data) {
		return
	}
	hay := s.data
	if v.nocase {
		hay = s.low
	}
	if !bytes.Equal(hay[start:end], v.lit) {
		return
	}
	if p.fullword && !fullwordOK(s.data, start, len(v.lit), v.wide) {
		return
	}
	s.addMatch(pi, int64(start), len(v.lit), len(p.lits) > 1)
}

func (s *scanner) addMatch(pi int, off int64, n int, mayUnsort bool) {
	s.touch(pi)
	m := s.matches[pi]
	if len(m) >= MaxStringMatches {
		return
	}
	if k := len(m); k > 0 {
		if m[k-1].off == off {
			return
		}
		if mayUnsort && m[k-1].off > off {
			s.state[pi] |= stUnsorted
		}
	}
	s.matches[pi] = append(m, span{off: off, n: int32(n)})
}

// patternMatches returns the sorted matches of pattern pi, running
// deferred (regex and short) patterns on first use.
func (s *scanner) patternMatches(pi int) []span {
	p := s.r.patterns[pi]
	st := s.state[pi]
	if p.deferred && st&stDone == 0 {
		if !p.hasAtoms || st&stTouched != 0 {
			s.runDeferred(pi, p)
		}
		if s.state[pi] == 0 {
			s.touched = append(s.touched, pi)
		}
		s.state[pi] |= stDone
	}
	if s.state[pi]&stUnsorted != 0 {
		m := s.matches[pi]
		sort.Slice(m, func(i, j int) bool { return m[i].off < m[j].off })
		m = slices.CompactFunc(m, func(a, b span) bool { return a.off == b.off })
		s.matches[pi] = m
		s.state[pi] &^= stUnsorted
	}
	return s.matches[pi]
}

// exists reports whether pattern pi matches at all. For a deferred
// literal (shorter than an atom) it stops at the first occurrence instead
// of listing every match; the full list is still built when a count, an
// offset or a Match needs it.
func (s *scanner) exists(pi int) bool {
	p := s.r.patterns[pi]
	st := s.state[pi]
	if !p.deferred || st&stDone != 0 || len(p.res) > 0 || p.hasAtoms && st&stTouched == 0 {
		return len(s.patternMatches(pi)) > 0
	}
	if st&stExists != 0 {
		return true
	}
	found := false
	for _, v := range p.lits {
		s.eachLiteral(p, v, func(int) bool {
			found = true
			return false
		})
		if found {
			if s.state[pi] == 0 {
				s.touched = append(s.touched, pi)
			}
			s.state[pi] |= stExists
			return true
		}
	}
	return len(s.patternMatches(pi)) > 0 // none: record the empty result
}

// eachLiteral calls fn with the offset of each occurrence of the literal
// variant v (fullword rules applied) until fn returns false.
func (s *scanner) eachLiteral(p *pattern, v litVariant, fn func(start int) bool) {
	hay := s.data
	if v.nocase {
		hay = s.low
	}
	for off := 0; off <= len(hay)-len(v.lit); {
		i := bytes.Index(hay[off:], v.lit)
		if i < 0 {
			return
		}
		start := off + i
		if (!p.fullword || fullwordOK(s.data, start, len(v.lit), v.wide)) && !fn(start) {
			return
		}
		off = start + 1
	}
}

// known reports whether the matches of pattern pi are final without
// running anything: literals, finished deferred patterns, and regexes
// whose atoms never occurred.
func (s *scanner) known(pi int) bool {
	p := s.r.patterns[pi]
	return !p.deferred || s.state[pi]&stDone != 0 || (p.hasAtoms && s.state[pi]&stTouched == 0)
}

func (s *scanner) runDeferred(pi int, p *pattern) {
	multi := len(p.lits)+len(p.res) > 1
	for _, v := range p.lits {
		s.eachLiteral(p, v, func(start int) bool {
			s.addMatch(pi, int64(start), len(v.lit), multi)
			return len(s.matches[pi]) < MaxStringMatches
		})
	}
	if len(p.res) > 0 {
		s.runRegex(pi, p, multi)
	}
}

// Scan matches data against the rules and returns the matching public
// rules in compilation order. Scan is safe for concurrent use.
func (r *Rules) Scan(data []byte, vars Vars) ([]Match, error) {
	return r.ScanLimited(data, vars, 0)
}

// ScanLimited is Scan for callers that quote only the first few string
// matches of a rule: once a Match lists maxStrings string matches, the
// strings still unevaluated (regexes the condition did not need) are left
// out instead of being run; matches already known are all listed. The
// matching rules are the same as Scan's. maxStrings <= 0 lists all.
func (r *Rules) ScanLimited(data []byte, vars Vars, maxStrings int) ([]Match, error) {
	s := r.pool.Get().(*scanner)
	defer func() {
		s.reset()
		r.pool.Put(s)
	}()
	s.maxStrings = maxStrings
	return s.scan(data, vars)
}

// ScanReader reads size bytes from ra and scans them. The whole input is
// held in memory (in a buffer reused across calls); callers bound size.
func (r *Rules) ScanReader(ra io.ReaderAt, size int64, vars Vars) ([]Match, error) {
	if size < 0 {
		return nil, fmt.Errorf("yara: negative size %d", size)
	}
	bp, _ := r.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	if int64(cap(*bp)) < size {
		*bp = make([]byte, size)
	}
	data := (*bp)[:size]
	defer func() {
		// Matches hold copies of the matched bytes, so the buffer can be
		// reused; very large ones are left to the garbage collector.
		if cap(*bp) <= 64<<20 {
			r.bufs.Put(bp)
		}
	}()
	n, err := ra.ReadAt(data, 0)
	if int64(n) < size {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("yara: read input: %w", err)
	}
	return r.Scan(data, vars)
}

func (s *scanner) scan(data []byte, vars Vars) ([]Match, error) {
	s.data, s.vars, s.budget = data, vars, evalBudget
	if cap(s.lowBuf) < len(data) {
		s.lowBuf = make([]byte, len(data))
	}
	s.low = s.lowBuf[:len(data)]
	if len(data) > 0 {
		lowerBytes(s.low, data)
	}
	s.prefilter()
	var out []Match
	for ri, ru := range s.r.rules {
		// A private rule is decided only when a condition refers to it
		// (global ones by every rule of their namespace).
		if ru.private || !s.evalRule(ri) {
			continue
		}
		out = append(out, s.buildMatch(ru))
	}
	if s.budget < 0 {
		return out, ErrEvalBudget
	}
	return out, nil
}

func (s *scanner) buildMatch(ru *rule) Match {
	m := Match{Rule: ru.name, Namespace: ru.ns, Tags: slices.Clone(ru.tags), Meta: map[string]string{}}
	for _, e := range ru.meta {
		if _, dup := m.Meta[e.key]; !dup {
			m.Meta[e.key] = e.val
		}
	}
	for i, pi := range ru.strs {
		if ru.strPrivate[i] || s.maxStrings > 0 && len(m.Strings) >= s.maxStrings && !s.known(pi) {
			continue
		}
		for _, sp := range s.patternMatches(pi) {
			end := min(sp.off+int64(sp.n), sp.off+MaxMatchData)
			m.Strings = append(m.Strings, StringMatch{ID: "$" + ru.strIDs[i], Offset: sp.off, Data: bytes.Clone(s.data[sp.off:end])})
		}
	}
	return m
}
