package yara

import (
	"fmt"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"

	"github.com/wasilibs/go-re2"
	"github.com/wasilibs/go-re2/experimental"
)

// pattern is one compiled string ($a) of a rule.
//
// Identical strings of different rules share one pattern (signature-base
// repeats the same ASP tag regexes in ~100 rules), so each is matched
// once per scan.
type pattern struct {
	rules    []int // rules using this pattern
	fullword bool
	// lits are the literal forms (ascii and/or wide) of text strings and
	// hex strings without wildcards; each is verified at atom hits.
	lits []litVariant
	// res are the regex forms of regex strings and hex strings with
	// wildcards, jumps or alternatives.
	res []reVariant
	// deferred patterns are matched on demand while a condition is
	// evaluated: regexes, and literals shorter than an atom.
	deferred bool
	// hasAtoms tells whether a deferred pattern is gated by the
	// prefilter; without atoms it is always scanned when needed.
	hasAtoms bool
	// reAtoms are the atoms of res: regexes run only around atom hits.
	// Without hasAtoms they are short (2-3 bytes) and searched at scan
	// time; noShort patterns have no atoms at all and run over the input.
	reAtoms []reAtom
	noShort bool
}

type litVariant struct {
	lit     []byte // lower-cased when nocase
	nocase  bool
	wide    bool
	atomOff int
}

type reVariant struct {
	re       *re2.Regexp
	anchored func() *re2.Regexp // compiled on first use
	wide     bool
	maxLen   int // longest match considered (at most scanLimit)
}

// patternKey identifies strings that match the same bytes.
func patternKey(s stringDef) string {
	m := s.mods
	m.private = false
	return fmt.Sprintf("%d|%s|%s|%v", s.kind, s.flags, s.val, m)
}

func wideBytes(b []byte) []byte {
	w := make([]byte, 0, 2*len(b))
	for _, c := range b {
		w = append(w, c, 0)
	}
	return w
}

// compilePattern turns a string definition into a pattern and its atoms.
func compilePattern(s stringDef) (*pattern, [][]byte, error) {
	p := &pattern{fullword: s.mods.fullword}
	wantWide := s.mods.wide
	wantASCII := s.mods.ascii || !s.mods.wide
	switch s.kind {
	case kindText:
		if s.val == "" {
			return nil, nil, fmt.Errorf("string $%s is empty", s.id)
		}
		raw := []byte(s.val)
		if wantASCII {
			p.lits = append(p.lits, litVariant{lit: raw, nocase: s.mods.nocase})
		}
		if wantWide {
			p.lits = append(p.lits, litVariant{lit: wideBytes(raw), nocase: s.mods.nocase, wide: true})
		}
		return p, p.literalAtoms(), nil
	case kindHex:
		lit, reText, err := parseHex(s.val)
		if err != nil {
			return nil, nil, fmt.Errorf("hex string $%s: %w", s.id, err)
		}
		if lit != nil {
			p.lits = append(p.lits, litVariant{lit: lit})
			return p, p.literalAtoms(), nil
		}
		re, err := syntax.Parse(reText, syntax.Perl)
		if err != nil {
			return nil, nil, fmt.Errorf("hex string $%s: %w", s.id, err)
		}
		re = clipLatin1(re)
		if err := p.addRegex(re, false); err != nil {
			return nil, nil, fmt.Errorf("hex string $%s: %w", s.id, err)
		}
		return p, p.finishRegex(), nil
	default:
		flags := s.flags
		if s.mods.nocase {
			flags += "i"
		}
		re, err := parseRegex(s.val, flags)
		if err != nil {
			return nil, nil, fmt.Errorf("regex $%s: %w", s.id, err)
		}
		for _, wide := range []bool{false, true} {
			if wide && !wantWide || !wide && !wantASCII {
				continue
			}
			form := re
			if wide {
				form = widen(re)
			}
			if err := p.addRegex(form, wide); err != nil {
				return nil, nil, fmt.Errorf("regex $%s: %w", s.id, err)
			}
		}
		return p, p.finishRegex(), nil
	}
}

// literalAtoms picks the atom of each literal variant. Variants shorter
// than an atom make the pattern deferred (scanned directly when needed).
func (p *pattern) literalAtoms() [][]byte {
	var atoms [][]byte
	for i := range p.lits {
		v := &p.lits[i]
		if v.nocase {
			low := make([]byte, len(v.lit))
			lowerBytes(low, v.lit)
			v.lit = low
		}
		if len(v.lit) < atomLen {
			p.deferred = true
			continue
		}
		off, _ := bestWindow(v.lit)
		v.atomOff = off
		atom := make([]byte, atomLen)
		lowerBytes(atom, v.lit[off:off+atomLen])
		atoms = append(atoms, atom)
	}
	if p.deferred {
		return nil
	}
	return atoms
}

// scanLimit is the longest regex match considered, like YARA's
// RE_SCAN_LIMIT: unbounded parts of a regex (.*, +) reach at most this
// far from the atom, which makes every regex with an atom windowable.
const scanLimit = 4096

// addRegex compiles one regex variant and collects its atoms. A variant
// without atoms leaves the whole pattern without prefilter gating.
func (p *pattern) addRegex(re *syntax.Regexp, wide bool) error {
	c, err := compileRE2(re)
	if err != nil {
		return err
	}
	vi := len(p.res)
	_, hi := lenRange(re)
	if hi == unbounded || hi > scanLimit {
		hi = scanLimit
	}
	text := re2Text(re)
	p.deferred = true
	p.res = append(p.res, reVariant{re: c, wide: wide, maxLen: hi, anchored: sync.OnceValue(func() *re2.Regexp {
		// The leading (?s:.) consumes one byte of context before the
		// candidate start, so \b sees the real preceding byte.
		a, err := experimental.CompileLatin1(`\A(?s:.)(?:` + text + `)`)
		if err != nil {
			return nil
		}
		return a
	})})
	atoms, short := regexAtoms(re, vi)
	if vi == 0 {
		p.hasAtoms = true
	}
	if atoms == nil || short {
		p.hasAtoms = false
	}
	if atoms == nil {
		p.noShort = true
	}
	p.reAtoms = append(p.reAtoms, atoms...)
	return nil
}

// finishRegex returns the atoms of a regex pattern for the table; a
// pattern with only short atoms keeps them to search at scan time.
func (p *pattern) finishRegex() [][]byte {
	if !p.hasAtoms {
		if p.noShort {
			p.reAtoms = nil
		}
		return nil
	}
	atoms := make([][]byte, len(p.reAtoms))
	for i, a := range p.reAtoms {
		atoms[i] = a.atom
	}
	return atoms
}

// parseHex translates a hex string body into plain bytes (when it has no
// wildcards, jumps or alternatives) or into RE2 Latin-1 regex text.
func parseHex(body string) ([]byte, string, error) {
	var b strings.Builder
	var lit []byte
	plain := true
	tokens, depth := 0, 0
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '[':
			end := strings.IndexByte(body[i:], ']')
			if end < 0 {
				return nil, "", fmt.Errorf("unterminated jump")
			}
			j, err := hexJump(body[i+1 : i+end])
			if err != nil {
				return nil, "", err
			}
			if tokens == 0 {
				return nil, "", fmt.Errorf("a hex string cannot start with a jump")
			}
			b.WriteString("(?s:.)" + j)
			plain = false
			i += end + 1
			continue
		case c == '(' || c == '|' || c == ')':
			if c == '(' {
				depth++
			} else if c == ')' {
				depth--
			}
			if depth < 0 {
				return nil, "", fmt.Errorf("unbalanced parenthesis")
			}
			b.WriteByte(c)
			plain = false
			i++
			continue
		case c == '~':
			if i+3 > len(body) {
				return nil, "", fmt.Errorf("invalid negation")
			}
			cls, err := hexByteClass(body[i+1:i+3], true)
			if err != nil {
				return nil, "", err
			}
			b.WriteString(cls)
			plain = false
			tokens++
			i += 3
			continue
		}
		if i+2 > len(body) {
			return nil, "", fmt.Errorf("odd number of hex digits")
		}
		pair := body[i : i+2]
		if strings.Contains(pair, "?") {
			cls, err := hexByteClass(pair, false)
			if err != nil {
				return nil, "", err
			}
			b.WriteString(cls)
			plain = false
		} else {
			v, err := strconv.ParseUint(pair, 16, 8)
			if err != nil {
				return nil, "", fmt.Errorf("invalid hex byte %q", pair)
			}
			fmt.Fprintf(&b, `\x{%02x}`, v)
			lit = append(lit, byte(v))
		}
		tokens++
		i += 2
	}
	if depth != 0 {
		return nil, "", fmt.Errorf("unbalanced parenthesis")
	}
	if tokens == 0 {
		return nil, "", fmt.Errorf("empty hex string")
	}
	if plain {
		return lit, "", nil
	}
	return nil, b.String(), nil
}

func hexJump(s string) (string, error) {
	s = strings.TrimSpace(s)
	lo, hi, isRange := strings.Cut(s, "-")
	lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
	parse := func(x string) (int, error) {
		n, err := strconv.Atoi(x)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid jump [%s]", s)
		}
		return n, nil
	}
	if !isRange {
		n, err := parse(lo)
		return fmt.Sprintf("{%d}", n), err
	}
	l := 0
	if lo != "" {
		var err error
		if l, err = parse(lo); err != nil {
			return "", err
		}
	}
	if hi == "" {
		return fmt.Sprintf("{%d,}", l), nil
	}
	h, err := parse(hi)
	if err != nil {
		return "", err
	}
	if h < l {
		return "", fmt.Errorf("invalid jump [%s]", s)
	}
	return fmt.Sprintf("{%d,%d}", l, h), nil
}

// hexByteClass renders "??", "A?", "?A" or a negated byte as a class.
func hexByteClass(pair string, negate bool) (string, error) {
	if pair == "??" {
		if negate {
			return "", fmt.Errorf("cannot negate ??")
		}
		return "(?s:.)", nil
	}
	var b strings.Builder
	b.WriteString("[")
	if negate {
		b.WriteString("^")
	}
	for v := range 256 {
		hexv := fmt.Sprintf("%02X", v)
		if (pair[0] == '?' || hexv[0] == upper(pair[0])) && (pair[1] == '?' || hexv[1] == upper(pair[1])) {
			fmt.Fprintf(&b, `\x{%02x}`, v)
		}
	}
	if b.Len() <= 2 {
		return "", fmt.Errorf("invalid hex byte %q", pair)
	}
	b.WriteString("]")
	return b.String(), nil
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}
