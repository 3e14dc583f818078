// Package safetext neutralises attacker-controlled text before it reaches a
// terminal or a spreadsheet: file names, zip entry names, host names, user
// agents and URLs from evidence or from the network.
//
// Line escapes every byte or rune that a terminal would act on or that
// would break the one-line shape of a report line, visibly and
// unambiguously enough to read: ESC becomes \x1b, a newline \n, a carriage
// return \r, an invalid UTF-8 byte \xff, a C1 control or a bidirectional
// override \u009b or \u202e. Printable text (backslashes included, so that
// Windows paths stay readable) is unchanged. Cell does the same for a CSV
// cell and also defuses spreadsheet formulas.
//
// This is the one home of that rule: text outputs and CSV writers call it
// instead of filtering on their own. HTML and JSON have their own escaping.
// Truncate bounds such text where findings and reports quote it.
package safetext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns s with control characters, invalid UTF-8 and invisible
// direction or line-separator runes escaped, so that s prints on one line
// and cannot move the cursor, retitle the terminal, ring the bell or
// reorder what follows it. Plain printable text is returned as is, without
// allocating.
func Line(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			writeHex(&b, s[i])
		case unsafeRune(r):
			writeEscape(&b, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Text is Line for a multi-line document that is escaped for its own
// format already (HTML): newlines and tabs, which the document's layout
// uses and which are inert there, are kept; everything else Line escapes
// is escaped, so that printing the document to a terminal is safe too.
func Text(s string) string {
	if !strings.ContainsAny(s, "\n\t") {
		return Line(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		i := strings.IndexAny(s, "\n\t")
		if i < 0 {
			b.WriteString(Line(s))
			break
		}
		b.WriteString(Line(s[:i]))
		b.WriteByte(s[i])
		s = s[i+1:]
	}
	return b.String()
}

// Cell returns s made safe for a CSV cell that a spreadsheet will open:
// Line's escaping, and a leading quote when the cell would otherwise be
// run as a formula (it starts with = + - @, a tab or a carriage return;
// OWASP "CSV Injection"). The check is on the original first byte, so an
// escaped "\t..." cell is quoted too.
func Cell(s string) string {
	if s == "" {
		return s
	}
	first := s[0]
	s = Line(s)
	if strings.IndexByte("=+-@\t\r", first) >= 0 {
		return "'" + s
	}
	return s
}

// firstUnsafe returns the index of the first byte of s that Line must
// escape, or -1.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// unsafeRune reports whether r is a control (C0, DEL, C1: U+009B is a CSI
// to some terminals), an invisible format character (bidirectional
// overrides and isolates, zero-width and byte-order marks: "Trojan Source"
// reordering) or a line or paragraph separator.
func unsafeRune(r rune) bool {
	if r < 0x20 || r == 0x7f {
		return true
	}
	if r < 0x80 {
		return false
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

const hexDigits = "0123456789abcdef"

func writeHex(b *strings.Builder, c byte) {
	b.WriteString(`\x`)
	b.WriteByte(hexDigits[c>>4])
	b.WriteByte(hexDigits[c&0xf])
}

func writeEscape(b *strings.Builder, r rune) {
	switch r {
	case '\a':
		b.WriteString(`\a`)
	case '\b':
		b.WriteString(`\b`)
	case '\f':
		b.WriteString(`\f`)
	case '\n':
		b.WriteString(`\n`)
	case '\r':
		b.WriteString(`\r`)
	case '\t':
		b.WriteString(`\t`)
	case '\v':
		b.WriteString(`\v`)
	default:
		if r < 0x80 {
			writeHex(b, byte(r))
			return
		}
		shift := 12
		if r > 0xffff {
			shift = 28
			b.WriteString(`\U`)
		} else {
			b.WriteString(`\u`)
		}
		for ; shift >= 0; shift -= 4 {
			b.WriteByte(hexDigits[(r>>shift)&0xf])
		}
	}
}

// Truncate returns s cut to at most n bytes, and "…" after the cut. It
// cuts between runes, never inside one, so a quoted excerpt stays valid
// UTF-8 where s was; other bytes are kept as they are (the escaping
// above, or JSON's, shows them).
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := max(n, 0)
	for j := i; j >= 0 && j > i-utf8.UTFMax; j-- {
		if utf8.RuneStart(s[j]) {
			i = j
			break
		}
	}
	return s[:i] + "…"
}
