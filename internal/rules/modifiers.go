package rules

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"

	"gopkg.in/yaml.v3"
)

// compileField compiles "field|mods: values" into matchers, taking them
// from the rule's budget of values. Modifiers
// that change the value (windash, utf16*, base64, base64offset, contains,
// startswith, endswith) are applied in the order written and may expand
// one value into several plain alternatives, so nothing is expanded per
// record.
func compileField(field string, mods []string, values []*yaml.Node, at *yaml.Node, budget *int) (fieldCond, error) {
	fc := fieldCond{field: field}
	what := fmt.Sprintf("field %q", field)
	if field == "" {
		what = "keywords"
	}
	var (
		special    string // re, cidr, exists, fieldref, gt, gte, lt, lte
		reFlags    string
		cased      bool
		refPos     string
		transforms []string
	)
	for _, raw := range mods {
		m := strings.ToLower(raw)
		switch m {
		case "all":
			fc.all = true
		case "cased":
			cased = true
		case "contains", "startswith", "endswith":
			transforms = append(transforms, m)
			refPos = m
		case "windash", "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide":
			transforms = append(transforms, m)
		case "re", "cidr", "exists", "fieldref", "gt", "gte", "lt", "lte":
			if special != "" {
				return fc, errorf(at, "%s: modifiers %s and %s cannot be combined", what, special, m)
			}
			special = m
		case "i", "m", "s":
			if special != "re" {
				return fc, errorf(at, "%s: modifier %s only applies after re", what, m)
			}
			reFlags += m
		case "expand":
			return fc, errorf(at, "%s: modifier expand needs placeholder values, which exhunt does not define", what)
		default:
			return fc, errorf(at, "%s: unknown modifier %q", what, raw)
		}
	}
	if field == "" && special != "" && special != "re" {
		return fc, errorf(at, "keywords cannot use modifier %s", special)
	}
	if special == "fieldref" && field == "" {
		return fc, errorf(at, "fieldref needs a field")
	}
	for _, v := range values {
		if v.ShortTag() == "!!null" && special != "exists" {
			fc.ms = append(fc.ms, valueMatcher{kind: mNull})
			continue
		}
		switch special {
		case "re":
			if len(v.Value) > maxRegexLen {
				return fc, errorf(v, "%s: regular expression longer than %d bytes", what, maxRegexLen)
			}
			expr := v.Value
			if reFlags != "" {
				expr = "(?" + reFlags + ")" + expr
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return fc, errorf(v, "%s: regular expression does not compile in Go's RE2 syntax: %v", what, err)
			}
			fc.ms = append(fc.ms, valueMatcher{kind: mRegex, re: re})
		case "cidr":
			p, err := netip.ParsePrefix(strings.TrimSpace(v.Value))
			if err != nil {
				return fc, errorf(v, "%s: bad cidr %q: %v", what, v.Value, err)
			}
			fc.ms = append(fc.ms, valueMatcher{kind: mCIDR, prefix: p.Masked()})
		case "exists":
			b, err := strconv.ParseBool(v.Value)
			if err != nil {
				return fc, errorf(v, "%s: exists wants true or false, not %q", what, v.Value)
			}
			fc.ms = append(fc.ms, valueMatcher{kind: mExists, exists: b})
		case "fieldref":
			fc.ms = append(fc.ms, valueMatcher{kind: mFieldRef, ref: v.Value, refPos: refPos, cased: cased})
		case "gt", "gte", "lt", "lte":
			f, err := strconv.ParseFloat(strings.TrimSpace(v.Value), 64)
			if err != nil {
				return fc, errorf(v, "%s: %s wants a number, not %q", what, special, v.Value)
			}
			fc.ms = append(fc.ms, valueMatcher{kind: mNum, op: special, num: f})
		default:
			alts, err := expandValue(v.Value, transforms, field == "")
			if err != nil {
				return fc, errorf(v, "%s: %v", what, err)
			}
			if len(fc.ms)+len(alts) > maxAlternatives {
				return fc, errorf(v, "%s expands to more than %d values", what, maxAlternatives)
			}
			for _, a := range alts {
				vm := valueMatcher{kind: mGlob, cased: cased, glob: compileGlob(a, !cased), atom: longestAtom(a)}
				if lit, ok := vm.plainContains(); ok {
					vm.lit = []byte(lit)
				}
				fc.ms = append(fc.ms, vm)
			}
		}
	}
	*budget -= len(fc.ms)
	if *budget < 0 {
		return fc, errorf(at, "rule has more than %d values after expansion", maxRuleValues)
	}
	// A |all whose values expanded into alternatives (windash,
	// base64offset) would wrongly require every alternative; expansion
	// with all is refused instead.
	if fc.all && len(fc.ms) != len(values) {
		return fc, errorf(at, "%s: all cannot be combined with a modifier that expands values", what)
	}
	return fc, nil
}

// expandValue turns one raw value into the Sigma strings it stands for.
func expandValue(raw string, transforms []string, keyword bool) ([]sstr, error) {
	alts := []sstr{parseSigmaString(raw)}
	for _, t := range transforms {
		var next []sstr
		for _, a := range alts {
			out, err := applyTransform(t, a)
			if err != nil {
				return nil, err
			}
			next = append(next, out...)
			if len(next) > maxAlternatives {
				return nil, errorf(nil, "expands to more than %d values", maxAlternatives)
			}
		}
		alts = next
	}
	if keyword { // keywords are a search in the whole value
		for i, a := range alts {
			alts[i] = wrapStars(a, true, true)
		}
	}
	return alts, nil
}

func wrapStars(s sstr, front, back bool) sstr {
	out := make(sstr, 0, len(s)+2)
	if front && !s.startsWild() {
		out = append(out, piece{wild: '*'})
	}
	out = append(out, s...)
	if back && !out.endsWild() {
		out = append(out, piece{wild: '*'})
	}
	return out
}

func applyTransform(t string, s sstr) ([]sstr, error) {
	switch t {
	case "contains":
		return []sstr{wrapStars(s, true, true)}, nil
	case "startswith":
		return []sstr{wrapStars(s, false, true)}, nil
	case "endswith":
		return []sstr{wrapStars(s, true, false)}, nil
	case "windash":
		return windash(s)
	}
	// Encodings work on plain text; leading and trailing stars (from an
	// earlier contains) are kept around the encoded text.
	front, back := s.startsWild(), s.endsWild()
	inner := s
	if front {
		inner = inner[1:]
	}
	if back && len(inner) > 0 {
		inner = inner[:len(inner)-1]
	}
	text, ok := inner.plain()
	if !ok {
		return nil, errorf(nil, "%s cannot encode a value with wildcards inside", t)
	}
	var outs []string
	switch t {
	case "utf16le", "wide":
		outs = []string{utf16Bytes(text, false, false)}
	case "utf16be":
		outs = []string{utf16Bytes(text, true, false)}
	case "utf16":
		outs = []string{utf16Bytes(text, false, true)}
	case "base64":
		outs = []string{base64.StdEncoding.EncodeToString([]byte(text))}
	case "base64offset":
		outs = base64Offsets(text)
	}
	var res []sstr
	for _, o := range outs {
		res = append(res, wrapStars(literal(o), front, back))
	}
	return res, nil
}

// base64Offsets returns the three encodings of s at byte offsets 0, 1 and
// 2 of a base64 stream, trimmed to the characters that do not depend on
// the surrounding bytes (as pySigma's base64offset does).
func base64Offsets(s string) []string {
	start := [3]int{0, 2, 3}
	end := [3]int{0, 3, 2}
	var out []string
	for i := 0; i < 3; i++ {
		enc := base64.StdEncoding.EncodeToString(append([]byte(strings.Repeat(" ", i)), s...))
		lo, hi := start[i], len(enc)-end[(len(s)+i)%3]
		if lo > hi {
			continue
		}
		out = append(out, enc[lo:hi])
	}
	return out
}

func utf16Bytes(s string, bigEndian, bom bool) string {
	units := utf16.Encode([]rune(s))
	var b strings.Builder
	put := func(u uint16) {
		if bigEndian {
			b.WriteByte(byte(u >> 8))
			b.WriteByte(byte(u))
		} else {
			b.WriteByte(byte(u))
			b.WriteByte(byte(u >> 8))
		}
	}
	if bom {
		put(0xFEFF)
	}
	for _, u := range units {
		put(u)
	}
	return b.String()
}

// windashChars are the characters Windows command lines accept where a
// dash starts an option (pySigma's windash modifier).
var windashChars = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// windash expands every '-' or '/' that starts a word (at the start or
// after a non-word character, followed by a word character) into each of
// windashChars.
func windash(s sstr) ([]sstr, error) {
	alts := []sstr{nil}
	for _, p := range s {
		if p.wild != 0 {
			for i := range alts {
				alts[i] = append(alts[i], p)
			}
			continue
		}
		// Split the literal into segments around option dashes.
		segs := []string{""}
		for i := 0; i < len(p.lit); i++ {
			c := p.lit[i]
			prevWord := i > 0 && isWordByte(p.lit[i-1])
			nextWord := i+1 < len(p.lit) && isWordByte(p.lit[i+1])
			if (c == '-' || c == '/') && !prevWord && nextWord {
				segs = append(segs, "")
				continue
			}
			segs[len(segs)-1] += string(c)
		}
		for si, seg := range segs {
			if si > 0 {
				var next []sstr
				for _, a := range alts {
					for _, d := range windashChars {
						next = append(next, appendLit(a, d))
					}
				}
				if len(next) > maxAlternatives {
					return nil, errorf(nil, "windash expands to more than %d values", maxAlternatives)
				}
				alts = next
			}
			for i := range alts {
				alts[i] = appendLit(alts[i], seg)
			}
		}
	}
	return alts, nil
}

func appendLit(s sstr, lit string) sstr {
	out := make(sstr, len(s), len(s)+1)
	copy(out, s)
	if lit == "" {
		return out
	}
	if n := len(out); n > 0 && out[n-1].wild == 0 {
		out[n-1].lit += lit
		return out
	}
	return append(out, piece{lit: lit})
}

func isWordByte(c byte) bool { return isAlnum(c) || c == '_' }
