package yara

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wasilibs/go-re2"
	"github.com/wasilibs/go-re2/experimental"
)

// YARA regular expressions work on bytes. They are translated into RE2
// syntax and compiled in RE2's Latin-1 mode, where every byte is one
// character (measured: RE2 via wasilibs/go-re2 is ~20x faster than the
// standard library's regexp on web-shell rules, and the standard library
// cannot match raw bytes >= 0x80 such as [\x80-\xff]).
//
// The translation goes through regexp/syntax: first the YARA text is
// made acceptable to the Go parser (bytes >= 0x80 become \x{..}, "{,n}"
// becomes "{0,n}", unknown escapes of letters become the letter), then
// the tree is optionally widened (every character followed by \x00) and
// printed back with all non-ASCII characters escaped.

// maxRepeat is the largest repeat count regexp/syntax and RE2 accept.
const maxRepeat = 1000

// prepareRegex rewrites YARA regex text into text regexp/syntax parses
// with the same meaning. It tracks where the last atom (character,
// escape, class or group) starts, so that repeats above maxRepeat (YARA
// allows up to 32767) can be split into nested repeats.
func prepareRegex(src string) string {
	var out []byte
	atom := -1       // start of the last atom in out
	var groups []int // starts of open groups in out
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c >= 0x80:
			atom = len(out)
			out = fmt.Appendf(out, `\x{%x}`, c)
		case c == '\\' && i+1 < len(src):
			atom = len(out)
			e := src[i+1]
			i++
			switch {
			case e >= 0x80:
				out = fmt.Appendf(out, `\x{%x}`, e)
			case e == 'x' && i+2 < len(src):
				out = append(out, '\\', 'x', src[i+1], src[i+2])
				i += 2
			case strings.IndexByte("wWsSdDbBtnrfav", e) >= 0, e >= '0' && e <= '9':
				// Back references stay escaped: the parser rejects them.
				out = append(out, '\\', e)
			case isIdentChar(e):
				out = append(out, e)
			default:
				out = append(out, '\\', e)
			}
		case c == '[':
			atom = len(out)
			end := classEnd(src, i)
			for _, b := range []byte(src[i:end]) {
				if b >= 0x80 {
					out = fmt.Appendf(out, `\x{%x}`, b)
				} else {
					out = append(out, b)
				}
			}
			i = end - 1
		case c == '(':
			groups = append(groups, len(out))
			out = append(out, c)
		case c == ')':
			if len(groups) > 0 {
				atom = groups[len(groups)-1]
				groups = groups[:len(groups)-1]
			}
			out = append(out, c)
		case c == '{':
			end := strings.IndexByte(src[i:], '}')
			if end < 0 || atom < 0 {
				out = append(out, c)
				continue
			}
			lo, hi, ok := parseRepeat(src[i+1 : i+end])
			if !ok {
				out = append(out, c)
				continue
			}
			x := string(out[atom:])
			out = append(out[:atom], expandRepeat(x, lo, hi)...)
			i += end
		default:
			if c != '|' && c != '*' && c != '+' && c != '?' {
				atom = len(out)
			}
			out = append(out, c)
		}
	}
	return string(out)
}

// classEnd returns the index after the ']' closing the class at src[i].
func classEnd(src string, i int) int {
	j := i + 1
	if j < len(src) && src[j] == '^' {
		j++
	}
	if j < len(src) && src[j] == ']' {
		j++
	}
	for j < len(src) {
		switch src[j] {
		case '\\':
			j += 2
			continue
		case ']':
			return j + 1
		}
		j++
	}
	return len(src)
}

// maxYaraRepeat is the largest repeat count YARA accepts (RE_MAX_RANGE).
const maxYaraRepeat = 32767

// parseRepeat parses the inside of {n}, {n,}, {,m}, {n,m}; hi < 0 means
// unbounded. Counts above maxYaraRepeat are left to the parser to reject.
func parseRepeat(s string) (lo, hi int, ok bool) {
	lo, hi, ok = parseRepeatCounts(s)
	if lo > maxYaraRepeat || hi > maxYaraRepeat {
		return 0, 0, false
	}
	return lo, hi, ok
}

func parseRepeatCounts(s string) (lo, hi int, ok bool) {
	a, b, isRange := strings.Cut(s, ",")
	if a == "" && !isRange {
		return 0, 0, false
	}
	var err error
	if a != "" {
		if lo, err = strconv.Atoi(a); err != nil || lo < 0 {
			return 0, 0, false
		}
	}
	if !isRange {
		return lo, lo, true
	}
	if b == "" {
		return lo, -1, true
	}
	if hi, err = strconv.Atoi(b); err != nil || hi < lo {
		return 0, 0, false
	}
	return lo, hi, true
}

// expandRepeat renders x{lo,hi} with counts of at most maxRepeat each.
func expandRepeat(x string, lo, hi int) string {
	rep := func(n int, opt bool) string {
		var b strings.Builder
		for n > 0 {
			k := min(n, maxRepeat)
			if opt {
				fmt.Fprintf(&b, "(?:%s){0,%d}", x, k)
			} else {
				fmt.Fprintf(&b, "(?:%s){%d}", x, k)
			}
			n -= k
		}
		return b.String()
	}
	if lo <= maxRepeat && hi <= maxRepeat {
		if hi < 0 {
			return fmt.Sprintf("(?:%s){%d,}", x, lo)
		}
		return fmt.Sprintf("(?:%s){%d,%d}", x, lo, hi)
	}
	s := rep(lo, false)
	if hi < 0 {
		return s + fmt.Sprintf("(?:%s)*", x)
	}
	return s + rep(hi-lo, true)
}

// parseRegex parses YARA regex text with the i/s flags.
func parseRegex(src, flags string) (*syntax.Regexp, error) {
	f := syntax.Perl
	if strings.Contains(flags, "i") {
		f |= syntax.FoldCase
	}
	if strings.Contains(flags, "s") {
		f |= syntax.DotNL
	}
	re, err := syntax.Parse(prepareRegex(src), f)
	if err != nil {
		return nil, err
	}
	return clipLatin1(re), nil
}

// clipLatin1 removes characters above 0xFF from classes (case folding
// adds e.g. U+212A KELVIN SIGN for k), which cannot occur in Latin-1.
func clipLatin1(re *syntax.Regexp) *syntax.Regexp {
	for i, s := range re.Sub {
		re.Sub[i] = clipLatin1(s)
	}
	switch re.Op {
	case syntax.OpCharClass:
		var rs []rune
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if lo > 0xFF {
				continue
			}
			rs = append(rs, lo, min(hi, 0xFF))
		}
		if len(rs) == 0 {
			return &syntax.Regexp{Op: syntax.OpNoMatch}
		}
		re.Rune = rs
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r > 0xFF {
				return &syntax.Regexp{Op: syntax.OpNoMatch}
			}
		}
	}
	return re
}

// widen returns re with every matched character followed by a NUL byte,
// the YARA "wide" form.
func widen(re *syntax.Regexp) *syntax.Regexp {
	nul := func() *syntax.Regexp { return &syntax.Regexp{Op: syntax.OpLiteral, Rune: []rune{0}} }
	pair := func(x *syntax.Regexp) *syntax.Regexp {
		return &syntax.Regexp{Op: syntax.OpConcat, Sub: []*syntax.Regexp{x, nul()}}
	}
	switch re.Op {
	case syntax.OpLiteral:
		c := &syntax.Regexp{Op: syntax.OpConcat}
		for _, r := range re.Rune {
			c.Sub = append(c.Sub, &syntax.Regexp{Op: syntax.OpLiteral, Rune: []rune{r}, Flags: re.Flags}, nul())
		}
		return c
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return pair(re)
	}
	out := *re
	out.Sub = make([]*syntax.Regexp, len(re.Sub))
	for i, s := range re.Sub {
		out.Sub[i] = widen(s)
	}
	return &out
}

// re2Text prints a parsed regex as RE2 Latin-1 pattern text.
func re2Text(re *syntax.Regexp) string {
	s := re.String()
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, `\x{%x}`, r)
		}
	}
	return b.String()
}

// maxRegexMemory bounds what RE2 may allocate for one expression.
const maxRegexMemory = 8 << 20

func compileRE2(re *syntax.Regexp) (*re2.Regexp, error) {
	text := re2Text(re)
	if len(text) > 64<<10 {
		return nil, fmt.Errorf("regular expression too large")
	}
	r, err := experimental.CompileLatin1(text)
	if err != nil {
		return nil, fmt.Errorf("regular expression: %w", err)
	}
	return r, nil
}

// compileCondRegex compiles the regex of a "matches" operator. "matches"
// mostly tests short values (the filename and filepath externals) once
// per file, where a call into the WebAssembly RE2 costs far more than the
// match: when the pattern is plain ASCII it is also compiled with the
// standard library, which gives the same answer as Latin-1 RE2 on ASCII
// values and is used for them.
func compileCondRegex(src, flags string) (*re2.Regexp, *regexp.Regexp, error) {
	re, err := parseRegex(src, flags)
	if err != nil {
		return nil, nil, err
	}
	r, err := compileRE2(re)
	if err != nil {
		return nil, nil, err
	}
	text := re2Text(re)
	if !isASCII(text) || strings.Contains(text, `\x`) {
		return r, nil, nil
	}
	std, err := regexp.Compile(text)
	if err != nil {
		return r, nil, nil
	}
	return r, std, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
