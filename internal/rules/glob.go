package rules

import (
	"strings"
	"unicode/utf8"
)

// piece is one part of a Sigma string value: literal text, or a wildcard
// ('*' any run, '?' one character).
type piece struct {
	lit  string
	wild byte // 0 for literal text
}

// sstr is a Sigma string value split into literal text and wildcards.
type sstr []piece

// parseSigmaString applies Sigma's escaping: \* \? and \\ stand for the
// literal character, any other backslash is literal itself, and unescaped
// * and ? are wildcards.
func parseSigmaString(s string) sstr {
	var out sstr
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, piece{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\'):
			lit.WriteByte(s[i+1])
			i++
		case c == '*' || c == '?':
			flush()
			out = append(out, piece{wild: c})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return out
}

func literal(s string) sstr {
	if s == "" {
		return nil
	}
	return sstr{{lit: s}}
}

// plain returns the value's text if it has no wildcards.
func (s sstr) plain() (string, bool) {
	var b strings.Builder
	for _, p := range s {
		if p.wild != 0 {
			return "", false
		}
		b.WriteString(p.lit)
	}
	return b.String(), true
}

func (s sstr) startsWild() bool { return len(s) > 0 && s[0].wild == '*' }
func (s sstr) endsWild() bool   { return len(s) > 0 && s[len(s)-1].wild == '*' }

// glob is a compiled wildcard pattern. Matching is on whole values.
type glob struct {
	exact     bool     // no wildcards: parts[0] must equal the value
	anyOne    bool     // has '?': match with the general matcher on pat
	starStart bool     // pattern begins with *
	starEnd   bool     // pattern ends with *
	parts     []string // literal runs between stars (when !anyOne)
	pat       sstr     // original pieces, for the general matcher
}

func compileGlob(s sstr, lower bool) glob {
	var g glob
	norm := make(sstr, 0, len(s))
	for _, p := range s {
		if p.wild == 0 && lower {
			p.lit = strings.ToLower(p.lit)
		}
		// Merge runs of * and adjacent literals.
		if n := len(norm); n > 0 {
			last := &norm[n-1]
			if p.wild == '*' && last.wild == '*' {
				continue
			}
			if p.wild == 0 && last.wild == 0 {
				last.lit += p.lit
				continue
			}
		}
		norm = append(norm, p)
	}
	g.pat = norm
	for _, p := range norm {
		if p.wild == '?' {
			g.anyOne = true
		}
	}
	if g.anyOne {
		return g
	}
	g.starStart, g.starEnd = norm.startsWild(), norm.endsWild()
	for _, p := range norm {
		if p.wild == 0 {
			g.parts = append(g.parts, p.lit)
		}
	}
	if !g.starStart && !g.starEnd && len(norm) <= 1 {
		g.exact = true
		if len(g.parts) == 0 {
			g.parts = []string{""}
		}
	}
	return g
}

func (g *glob) match(v string) bool {
	switch {
	case g.exact:
		return v == g.parts[0]
	case g.anyOne:
		return matchPieces(g.pat, v)
	}
	parts := g.parts
	if len(parts) == 0 { // only stars
		return true
	}
	if !g.starStart {
		if !strings.HasPrefix(v, parts[0]) {
			return false
		}
		v = v[len(parts[0]):]
		parts = parts[1:]
	}
	var last string
	if !g.starEnd {
		if len(parts) == 0 {
			return v == ""
		}
		last = parts[len(parts)-1]
		parts = parts[:len(parts)-1]
		if len(v) < len(last) || !strings.HasSuffix(v, last) {
			return false
		}
		v = v[:len(v)-len(last)]
	}
	for _, p := range parts {
		i := strings.Index(v, p)
		if i < 0 {
			return false
		}
		v = v[i+len(p):]
	}
	return true
}

// matchPieces is the general wildcard matcher for patterns with '?',
// with single-star backtracking: O(len(pat)*len(v)) at worst.
func matchPieces(pat sstr, v string) bool {
	// Flatten into runes: -1 is '*', -2 is '?'.
	var p []rune
	for _, pc := range pat {
		switch pc.wild {
		case '*':
			p = append(p, -1)
		case '?':
			p = append(p, -2)
		default:
			p = append(p, []rune(pc.lit)...)
		}
	}
	pi, vi := 0, 0
	starP, starV := -1, 0
	for vi < len(v) {
		r, size := utf8.DecodeRuneInString(v[vi:])
		if pi < len(p) && (p[pi] == -2 || p[pi] == r) {
			pi++
			vi += size
			continue
		}
		if pi < len(p) && p[pi] == -1 {
			starP, starV = pi, vi
			pi++
			continue
		}
		if starP >= 0 {
			_, size := utf8.DecodeRuneInString(v[starV:])
			starV += size
			pi, vi = starP+1, starV
			continue
		}
		return false
	}
	for pi < len(p) && p[pi] == -1 {
		pi++
	}
	return pi == len(p)
}
