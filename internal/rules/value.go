package rules

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

type matchKind uint8

const (
	mGlob     matchKind = iota
	mRegex              // |re
	mCIDR               // |cidr
	mNum                // |gt |gte |lt |lte
	mExists             // |exists
	mNull               // null value: field absent or empty
	mFieldRef           // |fieldref
)

// valueMatcher tests one field value against one compiled rule value.
type valueMatcher struct {
	kind   matchKind
	cased  bool
	glob   glob
	re     *regexp.Regexp
	prefix netip.Prefix
	op     string // gt, gte, lt, lte
	num    float64
	exists bool   // wanted presence for mExists
	ref    string // other field for mFieldRef
	refPos string // "", contains, startswith, endswith
	atom   string // longest atom run every match contains, "" if none
	lit    []byte // for case-insensitive *literal*: the lower-cased literal
}

// match reports whether the field value v (present says whether the
// field exists at all) satisfies the matcher. lower is v lower-cased,
// computed lazily by the caller.
func (m *valueMatcher) match(v string, present bool, lower func() string, get func(string) (string, bool)) bool {
	switch m.kind {
	case mExists:
		return present == m.exists
	case mNull:
		return !present || v == ""
	}
	if !present {
		return false
	}
	switch m.kind {
	case mGlob:
		if m.cased {
			return m.glob.match(v)
		}
		return m.glob.match(lower())
	case mRegex:
		return m.re.MatchString(v)
	case mCIDR:
		a, err := netip.ParseAddr(strings.TrimSpace(v))
		return err == nil && m.prefix.Contains(a.Unmap())
	case mNum:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return false
		}
		switch m.op {
		case "gt":
			return f > m.num
		case "gte":
			return f >= m.num
		case "lt":
			return f < m.num
		default:
			return f <= m.num
		}
	case mFieldRef:
		o, ok := get(m.ref)
		if !ok {
			return false
		}
		if !m.cased {
			v, o = strings.ToLower(v), strings.ToLower(o)
		}
		switch m.refPos {
		case "contains":
			return strings.Contains(v, o)
		case "startswith":
			return strings.HasPrefix(v, o)
		case "endswith":
			return strings.HasSuffix(v, o)
		}
		return v == o
	}
	return false
}

// longestAtom returns the longest run of atom bytes (ASCII letters,
// digits, '.', '-', '_', '~'), of at least three bytes with a letter or digit,
// lower-cased, in any literal part of s. The runs stop at wildcards, so
// every value matching s contains the atom. Dots and dashes are included
// so that IP addresses such as 5.2.69.14 still give an atom.
func longestAtom(s sstr) string {
	best := ""
	for _, p := range s {
		if p.wild != 0 {
			continue
		}
		start := -1
		for i := 0; i <= len(p.lit); i++ {
			if i < len(p.lit) && isAtomByte(p.lit[i]) {
				if start < 0 {
					start = i
				}
				continue
			}
			if start >= 0 && i-start > len(best) && hasAlnum(p.lit[start:i]) {
				best = p.lit[start:i]
			}
			start = -1
		}
	}
	if len(best) < 3 {
		return ""
	}
	return strings.ToLower(best)
}

func isAtomByte(c byte) bool { return isAlnum(c) || c == '.' || c == '-' || c == '_' || c == '~' }

func hasAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if isAlnum(s[i]) {
			return true
		}
	}
	return false
}

func isAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
