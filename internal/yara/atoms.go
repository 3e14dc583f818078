package yara

import "regexp/syntax"

// Atoms are the 4-byte keys of the prefilter. All atoms are lower-cased
// (ASCII only, as YARA's nocase): the prefilter runs over a lower-cased
// copy of the input, so one pass serves case-sensitive and nocase strings
// alike, and case-sensitive strings are verified against the raw input.
const atomLen = 4

// maxAtomSet caps the alternatives tracked while extracting atoms.
const maxAtomSet = 16

// lowerTable maps A-Z to a-z and every other byte to itself.
var lowerTable = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()

func lowerBytes(dst, src []byte) {
	_ = dst[len(src)-1:]
	for i, c := range src {
		dst[i] = lowerTable[c]
	}
}

// atomQuality scores a 4-byte window: distinct bytes count, bytes that
// are frequent in any input (NUL, space, 0xFF) count less, and windows
// common in web application files (commonGrams) lose commonGramPenalty.
func atomQuality(w []byte) int {
	q := 0
	if len(w) == atomLen {
		var k [atomLen]byte
		for i, c := range w {
			k[i] = lowerTable[c]
		}
		if commonGramSet[k] {
			q -= commonGramPenalty
		}
	}
	for i, c := range w {
		dup := false
		for _, d := range w[:i] {
			dup = dup || d == c
		}
		switch {
		case dup:
		case c == 0 || c == ' ' || c == 0xFF || c == '\t' || c == '\n':
			q += 1
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			q += 2
		default:
			q += 4
		}
	}
	return q
}

// commonGramPenalty makes a common window of letters (quality 8) score
// below a rare window with one repeated letter (6), but above windows of
// spaces and NULs.
const commonGramPenalty = 3

// bestWindow returns the offset of the best atom window of lit
// (len(lit) >= atomLen) and its quality.
func bestWindow(lit []byte) (int, int) {
	best, bestQ := 0, -1
	for i := 0; i+atomLen <= len(lit); i++ {
		if q := atomQuality(lit[i : i+atomLen]); q > bestQ {
			best, bestQ = i, q
		}
	}
	return best, bestQ
}

// unbounded marks an unbounded length; lengths are capped at maxLen.
const (
	unbounded = -1
	maxLen    = 1 << 24
)

// lenRange returns the minimum and maximum match length of re in bytes
// (Latin-1: one byte per character); max is unbounded when unknown.
func lenRange(re *syntax.Regexp) (int, int) {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune), len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1, 1
	case syntax.OpCapture:
		return lenRange(re.Sub[0])
	case syntax.OpStar:
		return 0, unbounded
	case syntax.OpPlus:
		lo, _ := lenRange(re.Sub[0])
		return lo, unbounded
	case syntax.OpQuest:
		_, hi := lenRange(re.Sub[0])
		return 0, hi
	case syntax.OpRepeat:
		lo, hi := lenRange(re.Sub[0])
		lo = min(lo*re.Min, maxLen)
		switch {
		case re.Max == 0:
			return lo, 0
		case re.Max < 0 || hi == unbounded:
			return lo, unbounded
		}
		return lo, capLen(hi * re.Max)
	case syntax.OpConcat:
		lo, hi := 0, 0
		for _, sub := range re.Sub {
			l, h := lenRange(sub)
			lo, hi = min(lo+l, maxLen), addLen(hi, h)
		}
		return lo, hi
	case syntax.OpAlternate:
		lo, hi := maxLen, 0
		for _, sub := range re.Sub {
			l, h := lenRange(sub)
			lo = min(lo, l)
			if hi != unbounded {
				hi = maxOrUnbounded(hi, h)
			}
		}
		return lo, hi
	}
	return 0, 0 // empty matches and assertions
}

func capLen(n int) int {
	if n > maxLen {
		return unbounded
	}
	return n
}

func addLen(a, b int) int {
	if a == unbounded || b == unbounded {
		return unbounded
	}
	return capLen(a + b)
}

func maxOrUnbounded(a, b int) int {
	if a == unbounded || b == unbounded {
		return unbounded
	}
	return max(a, b)
}

// reInfo describes what a regex node matches, for atom extraction.
// exact: the node matches exactly one of these (lower-cased) strings;
// req: every match contains at least one of these strings, starting
// preLo..preHi bytes after the start of the node's match.
type reInfo struct {
	exact        []string
	req          []string
	preLo, preHi int
}

// setQuality is the quality of the worst string of an atom set. Sets
// with strings shorter than an atom score below zero, by their shortest
// string, so that a 3-byte literal still beats a 2-byte one.
func setQuality(set []string) int {
	if len(set) == 0 {
		return -100
	}
	q := 1 << 30
	for _, s := range set {
		if len(s) < atomLen {
			short := 0
			for _, s := range set {
				short = min(short, len(s)-atomLen)
			}
			return short - 10
		}
		_, sq := bestWindow([]byte(s))
		q = min(q, sq)
	}
	return q
}

// better returns the candidate with the better atom set; ties keep a.
func better(a, b reInfo) reInfo {
	if setQuality(b.req) > setQuality(a.req) {
		return b
	}
	return a
}

func product(a, b []string) []string {
	if len(a)*len(b) > maxAtomSet {
		return nil
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return out
}

// exactInfo is the info of a node matching exactly one of set.
func exactInfo(set []string) reInfo { return reInfo{exact: set, req: set} }

func analyze(re *syntax.Regexp) reInfo {
	switch re.Op {
	case syntax.OpLiteral:
		b := make([]byte, len(re.Rune))
		for i, r := range re.Rune {
			b[i] = lowerTable[byte(r)]
		}
		return exactInfo([]string{string(b)})
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return reInfo{exact: []string{""}}
	case syntax.OpCharClass:
		seen := map[byte]bool{}
		var set []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] > maxAtomSet {
				return reInfo{}
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				c := lowerTable[byte(r)]
				if !seen[c] {
					seen[c] = true
					set = append(set, string(c))
				}
			}
		}
		if len(set) > 4 {
			return reInfo{}
		}
		return reInfo{exact: set}
	case syntax.OpCapture:
		return analyze(re.Sub[0])
	case syntax.OpPlus:
		in := analyze(re.Sub[0])
		return reInfo{req: in.req, preLo: in.preLo, preHi: in.preHi}
	case syntax.OpRepeat:
		if re.Min < 1 {
			return reInfo{}
		}
		in := analyze(re.Sub[0])
		if re.Min == re.Max && in.exact != nil {
			cur := []string{""}
			for range re.Min {
				if cur = product(cur, in.exact); cur == nil {
					break
				}
			}
			if cur != nil {
				return exactInfo(cur)
			}
		}
		return reInfo{req: in.req, preLo: in.preLo, preHi: in.preHi}
	case syntax.OpAlternate:
		var exact, req []string
		allExact, allReq := true, true
		preLo, preHi := maxLen, 0
		for _, s := range re.Sub {
			in := analyze(s)
			allExact = allExact && in.exact != nil
			allReq = allReq && in.req != nil
			exact = append(exact, in.exact...)
			req = append(req, in.req...)
			preLo, preHi = min(preLo, in.preLo), maxOrUnbounded(preHi, in.preHi)
		}
		out := reInfo{preLo: preLo, preHi: preHi}
		if allExact && len(exact) <= maxAtomSet {
			out.exact = exact
		}
		if allReq && len(req) <= maxAtomSet {
			out.req = req
		}
		if out.exact != nil && setQuality(out.exact) > setQuality(out.req) {
			out = exactInfo(out.exact)
		}
		return out
	case syntax.OpConcat:
		// cur is the exact run being built, starting curLo..curHi bytes
		// into the concatenation; accLo..accHi is the length so far.
		cur := []string{""}
		curLo, curHi, accLo, accHi := 0, 0, 0, 0
		allExact := true
		var best reInfo
		flush := func() {
			best = better(best, reInfo{req: cur, preLo: curLo, preHi: curHi})
		}
		for _, s := range re.Sub {
			in := analyze(s)
			l, h := lenRange(s)
			if in.exact != nil {
				if p := product(cur, in.exact); p != nil {
					cur = p
				} else {
					flush()
					allExact = false
					cur, curLo, curHi = in.exact, accLo, accHi
				}
			} else {
				allExact = false
				flush()
				best = better(best, reInfo{req: in.req, preLo: min(accLo+in.preLo, maxLen), preHi: addLen(accHi, in.preHi)})
				cur = []string{""}
				curLo, curHi = min(accLo+l, maxLen), addLen(accHi, h)
			}
			accLo, accHi = min(accLo+l, maxLen), addLen(accHi, h)
		}
		flush()
		if allExact {
			return reInfo{exact: cur, req: cur}
		}
		return best
	}
	return reInfo{}
}

// reAtom is one prefilter atom of a regex variant: a match starts
// preLo..preHi bytes before the atom (preHi may be unbounded).
type reAtom struct {
	atom         []byte
	lit          []byte // the whole required literal, atom at lit[off:]
	off          int
	variant      int
	preLo, preHi int
}

// regexAtoms returns 4-byte atoms, one of which occurs in every match of
// re. Failing that it returns short (2-3 byte) atoms with short set, or
// nil when re has no usable literal at all.
func regexAtoms(re *syntax.Regexp, variant int) (atoms []reAtom, short bool) {
	in := analyze(re)
	if setQuality(in.exact) > setQuality(in.req) {
		in = exactInfo(in.exact)
	}
	preHi := in.preHi
	if preHi == unbounded || preHi > scanLimit {
		preHi = scanLimit
	}
	if q := setQuality(in.req); q < 0 {
		if q < -10-(atomLen-2) || len(in.req) > 4 {
			return nil, false
		}
		for _, s := range in.req {
			if len(s) < 2 {
				return nil, false
			}
			atoms = append(atoms, reAtom{atom: []byte(s), variant: variant, preLo: in.preLo, preHi: preHi})
		}
		return atoms, true
	}
	for _, s := range in.req {
		off, _ := bestWindow([]byte(s))
		a := reAtom{atom: []byte(s[off : off+atomLen]), lit: []byte(s), off: off, variant: variant, preLo: in.preLo + off, preHi: preHi + off}
		atoms = append(atoms, a)
	}
	return atoms, false
}
