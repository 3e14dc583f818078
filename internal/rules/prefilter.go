package rules

import (
	"bytes"
	"slices"
)

// The prefilter lets text-log readers skip lines no rule can match
// without parsing them. Each rule yields a set of atoms (lower-cased runs
// of ASCII letters, digits, '.', '-', '_' and '~') such that any record it
// matches has one of them in a field value, hence in the raw line. Such
// runs survive the two encodings IIS applies (percent escapes of other
// punctuation, '+' for spaces); lines with escapes that could hide atom
// bytes are always candidates.

// atomSet is the atoms one of which every match contains; ok is false
// when no such set exists (negations, regexes, numeric comparisons...).
type atomSet struct {
	atoms []string
	ok    bool
}

var noAtoms = atomSet{}

// better picks the more selective of two usable sets: the one whose
// weakest atom scores higher, then the one with fewer atoms.
func better(a, b atomSet) atomSet {
	switch {
	case !a.ok:
		return b
	case !b.ok:
		return a
	}
	sa, sb := setScore(a.atoms), setScore(b.atoms)
	if sa != sb {
		if sa > sb {
			return a
		}
		return b
	}
	if len(b.atoms) < len(a.atoms) {
		return b
	}
	return a
}

func setScore(atoms []string) int {
	m := 1 << 30
	for _, a := range atoms {
		m = min(m, atomScore(a))
	}
	return m
}

// commonAtoms occur in most IIS and Exchange log lines, so they select
// nothing; short numbers are status codes and ports.
var commonAtoms = map[string]bool{
	"get": true, "post": true, "head": true, "put": true, "options": true,
	"http": true, "https": true, "www": true, "com": true, "mozilla": true,
	"windows": true, "aspx": true, "owa": true, "ecp": true, "ews": true,
	"auth": true, "mapi": true, "microsoft": true, "exchange": true,
}

func atomScore(a string) int {
	if commonAtoms[a] || (len(a) <= 4 && allDigits(a)) {
		return 1
	}
	return len(a)
}

// union is the OR rule: usable only if every part is.
func union(parts []atomSet) atomSet {
	var out []string
	for _, p := range parts {
		if !p.ok {
			return noAtoms
		}
		out = append(out, p.atoms...)
	}
	slices.Sort(out)
	return atomSet{atoms: slices.Compact(out), ok: len(out) > 0}
}

func condAtoms(d *detection, n *cond) atomSet {
	switch n.op {
	case opSel:
		return selAtoms(&d.sels[n.sel])
	case opAnd:
		best := noAtoms
		for _, k := range n.kids {
			best = better(best, condAtoms(d, k))
		}
		return best
	case opOr:
		parts := make([]atomSet, len(n.kids))
		for i, k := range n.kids {
			parts[i] = condAtoms(d, k)
		}
		return union(parts)
	}
	return noAtoms // not
}

func selAtoms(s *selection) atomSet {
	parts := make([]atomSet, len(s.alts))
	for i, alt := range s.alts {
		best := noAtoms
		for j := range alt {
			best = better(best, fieldAtoms(&alt[j]))
		}
		parts[i] = best
	}
	return union(parts)
}

func fieldAtoms(fc *fieldCond) atomSet {
	parts := make([]atomSet, len(fc.ms))
	for i := range fc.ms {
		m := &fc.ms[i]
		if m.kind == mGlob && m.atom != "" {
			parts[i] = atomSet{atoms: []string{m.atom}, ok: true}
		}
	}
	if fc.all {
		best := noAtoms
		for _, p := range parts {
			best = better(best, p)
		}
		return best
	}
	return union(parts)
}

// prefilter is a case-folding Aho-Corasick automaton over the atoms,
// compiled to a full DFA over a 47-symbol alphabet (other, a-z, 0-9, '.',
// '-', '_', '~', and the bytes of the escapes below), so the scan costs one
// table lookup per byte. The same DFA also finds, in that one pass, what
// could hide an atom from it: a percent escape of an atom byte, of '%'
// (a double escape) or of a UTF-8 lead byte below (%41, %2E, %2561), an
// IIS %u escape, and the two non-ASCII characters that lower-case to
// ASCII letters (U+212A KELVIN SIGN, C4 B0 U+0130): a line with any of
// them is a candidate. (Those were separate passes over every line, a
// tenth of a hunt's time on logs no rule matched.)
type prefilter struct {
	delta []uint32 // state*alphabet + class → next state (building)
	out   []bool   // state completes an atom (building)

	// The scan table: states renumbered so that every state completing
	// an atom is >= hit, entries pre-multiplied by alphabet.
	scan   []uint32
	hit    uint32
	maxLen int // longest atom
}

// Byte classes beyond the atom bytes (1-40): '%' and the bytes of the
// two non-ASCII characters that hide atoms. ('~' is an atom byte since
// HttpProxy values such as BackEndCookie Server~... start with a word
// that benign lines hold too: "server" made every ActiveSync line a
// candidate, "server~" makes none.)
const (
	clsPercent = 41 + iota
	clsC4
	clsE2
	clsB0
	cls84
	clsAA
	alphabet
)

var byteClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = uint8(c-'a') + 1
		t[c-'a'+'A'] = uint8(c-'a') + 1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = uint8(c-'0') + 27
	}
	t['.'], t['-'], t['_'], t['~'] = 37, 38, 39, 40
	t['%'], t[0xC4], t[0xE2], t[0xB0], t[0x84], t[0xAA] = clsPercent, clsC4, clsE2, clsB0, cls84, clsAA
	return t
}()

// hidesAtomByte says whether a percent escape of v could hide an atom: an
// atom byte, '%' (a double escape) or the lead byte of a hiding character.
func hidesAtomByte(v byte) bool { return isAtomByte(v) || v == '%' || v == 0xC4 || v == 0xE2 }

// addEscapes adds the states that find escapes and hiding characters to
// the complete Aho-Corasick DFA in delta: each of '%', C4 and E2 ends any
// atom, so from every state it leads to a state that behaves as the root
// (atoms may start right after it) and also watches for the rest of the
// sequence; a complete one leads to a hit state.
func (p *prefilter) addEscapes() {
	n := len(p.out)
	row := func(s uint32) []uint32 { return p.delta[int(s)*alphabet : int(s+1)*alphabet] }
	add := func(out bool) uint32 {
		p.delta = append(p.delta, make([]uint32, alphabet)...)
		p.out = append(p.out, out)
		return uint32(len(p.out) - 1)
	}
	hit := add(true)
	for c := range alphabet {
		row(hit)[c] = hit
	}
	pct, c4, e2, e284 := add(false), add(false), add(false), add(false)
	for s := range n {
		r := row(uint32(s))
		r[clsPercent], r[clsC4], r[clsE2] = pct, c4, e2
	}
	for _, s := range []uint32{pct, c4, e2, e284} {
		copy(row(s), row(0))
	}
	row(c4)[clsB0] = hit   // C4 B0: U+0130
	row(e2)[cls84] = e284  // E2 84 AA: U+212A
	row(e284)[clsAA] = hit //
	row(pct)[byteClass['u']] = hit
	// After '%' and a hex digit x, the atom part is where x leads from
	// the root; the next hex digit y completes a hiding escape or not.
	const hex = "0123456789abcdef"
	for i := range len(hex) {
		x := hex[i]
		at := row(0)[byteClass[x]]
		after := add(p.out[at]) // x may complete a one-byte atom
		copy(row(after), row(at))
		for j := range len(hex) {
			if hidesAtomByte(byte(i<<4 | j)) {
				row(after)[byteClass[hex[j]]] = hit
			}
		}
		row(pct)[byteClass[x]] = after
	}
	p.maxLen = max(p.maxLen, 3) // the longest escape: %XY, E2 84 AA
}

// entryAtoms returns the atoms of each entry, nil when some rule can
// match without any atom (then every line is a candidate).
func entryAtoms(entries []entry) [][]string {
	out := make([][]string, len(entries))
	for i := range entries {
		d := entries[i].rule.det
		as := condAtoms(d, d.cond)
		if !as.ok {
			return nil
		}
		out[i] = as.atoms
	}
	return out
}

// automaton builds the complete Aho-Corasick DFA of atoms (sorted,
// distinct) over the alphabet: delta maps state*alphabet+class to the
// next state, and ends lists, for each state, the atoms (indices) that
// end there, through failure links included.
func automaton(atoms []string) (delta []uint32, ends [][]int32) {
	delta = make([]uint32, alphabet)
	ends = [][]int32{nil}
	for k, a := range atoms {
		s := uint32(0)
		for i := 0; i < len(a); i++ {
			c := byteClass[a[i]]
			next := delta[int(s)*alphabet+int(c)]
			if next == 0 {
				next = uint32(len(ends))
				delta[int(s)*alphabet+int(c)] = next
				delta = append(delta, make([]uint32, alphabet)...)
				ends = append(ends, nil)
			}
			s = next
		}
		ends[s] = append(ends[s], int32(k))
	}
	// Breadth-first: fill missing transitions from the failure state.
	fail := make([]uint32, len(ends))
	queue := make([]uint32, 0, len(ends))
	for c := 1; c < alphabet; c++ {
		if s := delta[c]; s != 0 {
			queue = append(queue, s)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if f := fail[s]; len(ends[f]) > 0 {
			ends[s] = append(slices.Clip(ends[s]), ends[f]...)
		}
		for c := 0; c < alphabet; c++ {
			i := int(s)*alphabet + c
			if t := delta[i]; t != 0 && c != 0 {
				fail[t] = delta[int(fail[s])*alphabet+c]
				queue = append(queue, t)
			} else {
				delta[i] = delta[int(fail[s])*alphabet+c]
			}
		}
	}
	return delta, ends
}

// buildPrefilter returns nil when some rule can match without any atom,
// so every line is a candidate.
func buildPrefilter(entries []entry) *prefilter {
	per := entryAtoms(entries)
	if per == nil {
		return nil
	}
	atoms := slices.Compact(slices.Sorted(slices.Values(slices.Concat(per...))))
	delta, ends := automaton(atoms)
	p := &prefilter{delta: delta, out: make([]bool, len(ends))}
	for s := range ends {
		p.out[s] = len(ends[s]) > 0
	}
	for _, a := range atoms {
		p.maxLen = max(p.maxLen, len(a))
	}
	p.addEscapes()
	p.finish()
	return p
}

// selector tells which of a Matcher's rules a line may match: those with
// one of their atoms in it. Matching a candidate line's record then skips
// the rules that cannot match it, most of them (a line is a candidate
// because of one rule's atom, not fifty).
type selector struct {
	// scan maps state*alphabet + class to the next state*alphabet; states
	// are numbered so that those where atoms end come last, from first.
	scan    []uint32
	first   uint32
	sets    [][]uint64 // per state from first on: the rules whose atoms end there
	covered []uint64   // the rules the selector knows the atoms of
	words   int
}

// buildSelector builds the selector of entries, nil when some rule has no
// atoms. Rules are numbered by entry.id.
func buildSelector(entries []entry) *selector {
	per := entryAtoms(entries)
	if per == nil {
		return nil
	}
	words := 0
	for _, e := range entries {
		words = max(words, e.id/64+1)
	}
	atoms := slices.Compact(slices.Sorted(slices.Values(slices.Concat(per...))))
	rulesOf := make([][]uint64, len(atoms)) // atom → rules it selects
	sl := &selector{covered: make([]uint64, words), words: words}
	for i, as := range per {
		id := entries[i].id
		sl.covered[id/64] |= 1 << (id % 64)
		for _, a := range as {
			k, _ := slices.BinarySearch(atoms, a)
			if rulesOf[k] == nil {
				rulesOf[k] = make([]uint64, words)
			}
			rulesOf[k][id/64] |= 1 << (id % 64)
		}
	}
	delta, ends := automaton(atoms)
	// Renumber: states without atoms first, then those with.
	order := make([]uint32, len(ends))
	next := uint32(0)
	for pass := range 2 {
		for s, es := range ends {
			if (len(es) > 0) == (pass == 1) {
				order[s] = next
				next++
			}
		}
		if pass == 0 {
			sl.first = next * alphabet
		}
	}
	sl.scan = make([]uint32, len(delta))
	sl.sets = make([][]uint64, len(ends)-int(sl.first/alphabet))
	for s, es := range ends {
		for c := range alphabet {
			sl.scan[int(order[s])*alphabet+c] = order[delta[s*alphabet+c]] * alphabet
		}
		if len(es) == 0 {
			continue
		}
		set := make([]uint64, words)
		for _, k := range es {
			for w := range set {
				set[w] |= rulesOf[k][w]
			}
		}
		sl.sets[order[s]-sl.first/alphabet] = set
	}
	return sl
}

// Selection is the set of a Matcher's rules that a line's record may
// match, from Select; the zero value selects all. Reuse one per reader.
type Selection struct {
	some bool     // only the rules in bits (and those the selector does not cover)
	bits []uint64 // by rule number in the Set
	sel  *selector
}

// Select records in s which rules a record parsed from line may match:
// those with one of their atoms in it, or all of them when the line holds
// an escape that could hide an atom (see Candidate). Pass s to
// MatchSelected with this Matcher, or with another Matcher of the same
// Set for a narrower LogSource (an HttpProxy record's protocol).
func (m *Matcher) Select(line []byte, s *Selection) {
	sl := m.sel
	if sl == nil || hidesAtoms(line) {
		s.some, s.sel = false, nil
		return
	}
	s.some, s.sel = true, sl
	s.bits = append(s.bits[:0], make([]uint64, sl.words)...)
	scan, first, st := sl.scan, sl.first, uint32(0)
	for _, c := range line {
		st = scan[st+uint32(byteClass[c])]
		if st >= first {
			for w, x := range sl.sets[(st-first)/alphabet] {
				s.bits[w] |= x
			}
		}
	}
}

// selected says whether s lets the rule numbered id through.
func (s *Selection) selected(id int) bool {
	if !s.some {
		return true
	}
	w, b := id/64, uint64(1)<<(id%64)
	if w >= len(s.bits) || s.sel.covered[w]&b == 0 {
		return true // a rule the selector knows nothing of
	}
	return s.bits[w]&b != 0
}

// hidesAtoms says whether line holds a percent escape, an IIS %u escape
// or a character that could hide an atom from a byte scan (the checks the
// prefilter DFA makes as it scans; here for the few candidate lines).
func hidesAtoms(line []byte) bool {
	for i := bytes.IndexByte(line, '%'); i >= 0 && i+1 < len(line); {
		if a := line[i+1]; a == 'u' || a == 'U' {
			return true
		}
		if i+2 < len(line) {
			if h, ok1 := unhex(line[i+1]); ok1 {
				if l, ok2 := unhex(line[i+2]); ok2 && hidesAtomByte(h<<4|l) {
					return true
				}
			}
		}
		j := bytes.IndexByte(line[i+1:], '%')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return bytes.Contains(line, kelvin) || bytes.Contains(line, dotI)
}

var (
	kelvin = []byte("\u212a") // lower-cases to 'k'
	dotI   = []byte("\u0130") // lower-cases to "i̇"
)

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// finish builds the scan table and drops the building tables.
func (p *prefilter) finish() {
	n := len(p.out)
	order := make([]uint32, n) // old state → new state
	next := uint32(0)
	for s := 0; s < n; s++ {
		if !p.out[s] {
			order[s] = next
			next++
		}
	}
	p.hit = next * alphabet
	for s := 0; s < n; s++ {
		if p.out[s] {
			order[s] = next
			next++
		}
	}
	p.scan = make([]uint32, n*alphabet)
	for s := 0; s < n; s++ {
		for c := 0; c < alphabet; c++ {
			p.scan[int(order[s])*alphabet+c] = order[p.delta[s*alphabet+c]] * alphabet
		}
	}
	p.delta, p.out = nil, nil
}

// contains scans long lines as two or four overlapping parts in one
// loop: the automaton walks are independent, so the CPU overlaps their
// table loads (two parts measured 1.6x on IIS lines over a single walk).
func (p *prefilter) contains(line []byte) bool {
	scan, hit := p.scan, p.hit
	if p.maxLen == 0 || len(line) < 4*p.maxLen {
		return scanFrom(scan, hit, line)
	}
	if len(line) >= 8*p.maxLen {
		return p.contains4(line)
	}
	// a ends maxLen-1 bytes into b's part, so an atom crossing the middle
	// is seen whole by a; mid is chosen so that len(a) <= len(b).
	mid := (len(line) - p.maxLen + 1) / 2
	a, b := line[:mid+p.maxLen-1], line[mid:]
	sa, sb := uint32(0), uint32(0)
	for i := range a {
		sa = scan[sa+uint32(byteClass[a[i]])]
		sb = scan[sb+uint32(byteClass[b[i]])]
		if sa >= hit || sb >= hit {
			return true
		}
	}
	for _, c := range b[len(a):] {
		sb = scan[sb+uint32(byteClass[c])]
		if sb >= hit {
			return true
		}
	}
	return false
}

// contains4 scans line as four parts, each maxLen-1 bytes longer than a
// quarter so that a part holds whole every atom that starts in it.
func (p *prefilter) contains4(line []byte) bool {
	scan, hit := p.scan, p.hit
	ov := p.maxLen - 1
	q := (len(line) - ov) / 4
	n := q + ov
	a, b, c, d := line[:n], line[q:q+n], line[2*q:2*q+n], line[3*q:]
	sa, sb, sc, sd := uint32(0), uint32(0), uint32(0), uint32(0)
	for i := range a {
		sa = scan[sa+uint32(byteClass[a[i]])]
		sb = scan[sb+uint32(byteClass[b[i]])]
		sc = scan[sc+uint32(byteClass[c[i]])]
		sd = scan[sd+uint32(byteClass[d[i]])]
		if sa >= hit || sb >= hit || sc >= hit || sd >= hit {
			return true
		}
	}
	for _, x := range d[n:] {
		sd = scan[sd+uint32(byteClass[x])]
		if sd >= hit {
			return true
		}
	}
	return false
}

func scanFrom(scan []uint32, hit uint32, line []byte) bool {
	s := uint32(0) // the root is never a hit state: atoms are not empty
	for _, c := range line {
		s = scan[s+uint32(byteClass[c])]
		if s >= hit {
			return true
		}
	}
	return false
}

// Candidate reports whether any rule of the Matcher could match a record
// parsed from the raw text-log line. It returns false only when none can,
// so readers may skip such lines without parsing them. Lines with percent
// escapes of atom bytes (%41, %2E, %25 double escapes, %u0041) or with
// the two non-ASCII characters that lower-case to ASCII letters are always
// candidates, since a parser that decodes them could reveal an atom.
func (m *Matcher) Candidate(line []byte) bool {
	if len(m.entries) == 0 {
		return false
	}
	return m.pre == nil || m.pre.contains(line)
}
