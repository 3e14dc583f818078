package yara

import (
	"fmt"
	"strconv"
	"strings"
)

// tokKind classifies a token of YARA source text.
type tokKind int

const (
	tEOF    tokKind = iota
	tIdent          // rule, and, filesize, uint16, pe, ...
	tStrID          // $a, $a*, $ (value without the sigil)
	tCount          // #a, #
	tOffset         // @a, @
	tLength         // !a, !
	tInt            // 10, 0x1F, 2KB
	tFloat          // 89.0
	tText           // "..." (value unescaped)
	tRegex          // /.../is (value is the pattern, flags in flags)
	tPunct          // { } ( ) [ ] : , = == != < <= > >= + - * \ % & | ^ ~ << >> .. .
)

type token struct {
	kind  tokKind
	val   string
	num   int64
	float float64
	flags string // regex flags
	line  int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tText:
		return strconv.Quote(t.val)
	case tInt:
		return strconv.FormatInt(t.num, 10)
	case tStrID:
		return "$" + t.val
	case tCount:
		return "#" + t.val
	case tOffset:
		return "@" + t.val
	case tLength:
		return "!" + t.val
	case tRegex:
		return "/" + t.val + "/" + t.flags
	}
	return t.val
}

// lexer splits YARA source into tokens on demand. Hex strings and
// regular expressions are context dependent, so the parser asks for them
// explicitly (hexString, and '/' always starts a regex since YARA divides
// with '\').
type lexer struct {
	src  []byte
	pos  int
	line int
}

type syntaxError struct {
	line int
	msg  string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func (lx *lexer) errorf(format string, args ...any) *syntaxError {
	return &syntaxError{line: lx.line, msg: fmt.Sprintf(format, args...)}
}

// skipSpace skips white space and comments.
func (lx *lexer) skipSpace() error {
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case c == '\n':
			lx.line++
			lx.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			lx.pos++
		case c == '/' && lx.pos+1 < len(lx.src) && lx.src[lx.pos+1] == '/':
			for lx.pos < len(lx.src) && lx.src[lx.pos] != '\n' {
				lx.pos++
			}
		case c == '/' && lx.pos+1 < len(lx.src) && lx.src[lx.pos+1] == '*':
			end := strings.Index(string(lx.src[lx.pos+2:]), "*/")
			if end < 0 {
				return lx.errorf("unterminated comment")
			}
			lx.line += strings.Count(string(lx.src[lx.pos:lx.pos+2+end]), "\n")
			lx.pos += end + 4
		default:
			return nil
		}
	}
	return nil
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

// ident reads [A-Za-z0-9_]* and, for string identifiers, a trailing '*'.
func (lx *lexer) ident(wildcard bool) string {
	start := lx.pos
	for lx.pos < len(lx.src) && isIdentChar(lx.src[lx.pos]) {
		lx.pos++
	}
	if wildcard && lx.pos < len(lx.src) && lx.src[lx.pos] == '*' {
		lx.pos++
	}
	return string(lx.src[start:lx.pos])
}

var twoCharPunct = []string{"==", "!=", "<=", ">=", "<<", ">>", ".."}

func (lx *lexer) next() (token, error) {
	if err := lx.skipSpace(); err != nil {
		return token{}, err
	}
	t := token{line: lx.line}
	if lx.pos >= len(lx.src) {
		return t, nil
	}
	c := lx.src[lx.pos]
	switch {
	case isIdentStart(c):
		t.kind, t.val = tIdent, lx.ident(false)
		return t, nil
	case c >= '0' && c <= '9':
		return lx.number(t)
	case c == '"':
		lx.pos++
		s, err := lx.text()
		t.kind, t.val = tText, s
		return t, err
	case c == '/':
		lx.pos++
		return lx.regex(t)
	case c == '$' || c == '#' || c == '@':
		lx.pos++
		t.kind = map[byte]tokKind{'$': tStrID, '#': tCount, '@': tOffset}[c]
		t.val = lx.ident(c == '$')
		return t, nil
	case c == '!':
		if lx.pos+1 < len(lx.src) && lx.src[lx.pos+1] == '=' {
			lx.pos += 2
			t.kind, t.val = tPunct, "!="
			return t, nil
		}
		lx.pos++
		t.kind, t.val = tLength, lx.ident(false)
		return t, nil
	}
	for _, p := range twoCharPunct {
		if strings.HasPrefix(string(lx.src[lx.pos:min(lx.pos+2, len(lx.src))]), p) {
			lx.pos += 2
			t.kind, t.val = tPunct, p
			return t, nil
		}
	}
	if strings.IndexByte("{}()[]:,=<>+-*\\%&|^~.", c) >= 0 {
		lx.pos++
		t.kind, t.val = tPunct, string(c)
		return t, nil
	}
	return t, lx.errorf("unexpected character %q", c)
}

func (lx *lexer) number(t token) (token, error) {
	start := lx.pos
	if strings.HasPrefix(string(lx.src[lx.pos:min(lx.pos+2, len(lx.src))]), "0x") {
		lx.pos += 2
		for lx.pos < len(lx.src) && strings.IndexByte("0123456789abcdefABCDEF", lx.src[lx.pos]) >= 0 {
			lx.pos++
		}
		n, err := strconv.ParseUint(string(lx.src[start+2:lx.pos]), 16, 64)
		if err != nil {
			return t, lx.errorf("invalid number %q", lx.src[start:lx.pos])
		}
		t.kind, t.num = tInt, int64(n)
		return t, nil
	}
	for lx.pos < len(lx.src) && lx.src[lx.pos] >= '0' && lx.src[lx.pos] <= '9' {
		lx.pos++
	}
	// A float needs a digit after the dot; "1..5" is a range.
	if lx.pos+1 < len(lx.src) && lx.src[lx.pos] == '.' && lx.src[lx.pos+1] >= '0' && lx.src[lx.pos+1] <= '9' {
		lx.pos++
		for lx.pos < len(lx.src) && lx.src[lx.pos] >= '0' && lx.src[lx.pos] <= '9' {
			lx.pos++
		}
		f, err := strconv.ParseFloat(string(lx.src[start:lx.pos]), 64)
		t.kind, t.float = tFloat, f
		if err != nil {
			return t, lx.errorf("invalid number %q", lx.src[start:lx.pos])
		}
		return t, nil
	}
	n, err := strconv.ParseInt(string(lx.src[start:lx.pos]), 10, 64)
	if err != nil {
		return t, lx.errorf("invalid number %q", lx.src[start:lx.pos])
	}
	mult := int64(1)
	if rest := string(lx.src[lx.pos:min(lx.pos+2, len(lx.src))]); rest == "KB" || rest == "MB" {
		mult = 1024
		if rest == "MB" {
			mult = 1024 * 1024
		}
		lx.pos += 2
	}
	if n > (1<<62)/mult {
		return t, lx.errorf("number out of range")
	}
	t.kind, t.num = tInt, n*mult
	return t, nil
}

// text reads a double-quoted string body after the opening quote.
func (lx *lexer) text() (string, error) {
	var b []byte
	for {
		if lx.pos >= len(lx.src) || lx.src[lx.pos] == '\n' {
			return "", lx.errorf("unterminated string")
		}
		c := lx.src[lx.pos]
		lx.pos++
		switch c {
		case '"':
			return string(b), nil
		case '\\':
			if lx.pos >= len(lx.src) {
				return "", lx.errorf("unterminated string")
			}
			e := lx.src[lx.pos]
			lx.pos++
			switch e {
			case 'n':
				b = append(b, '\n')
			case 't':
				b = append(b, '\t')
			case 'r':
				b = append(b, '\r')
			case '"', '\\':
				b = append(b, e)
			case 'x':
				if lx.pos+2 > len(lx.src) {
					return "", lx.errorf("invalid \\x escape")
				}
				v, err := strconv.ParseUint(string(lx.src[lx.pos:lx.pos+2]), 16, 8)
				if err != nil {
					return "", lx.errorf("invalid \\x escape")
				}
				lx.pos += 2
				b = append(b, byte(v))
			default:
				return "", lx.errorf("invalid escape \\%c", e)
			}
		default:
			b = append(b, c)
		}
	}
}

// regex reads a /.../flags literal after the opening slash. The body is
// kept verbatim (escapes included) except that "\/" becomes "/".
func (lx *lexer) regex(t token) (token, error) {
	var b []byte
	for {
		if lx.pos >= len(lx.src) || lx.src[lx.pos] == '\n' {
			return t, lx.errorf("unterminated regular expression")
		}
		c := lx.src[lx.pos]
		lx.pos++
		if c == '/' {
			break
		}
		if c == '\\' && lx.pos < len(lx.src) {
			if lx.src[lx.pos] == '/' {
				b = append(b, '/')
				lx.pos++
				continue
			}
			b = append(b, c, lx.src[lx.pos])
			lx.pos++
			continue
		}
		b = append(b, c)
	}
	start := lx.pos
	for lx.pos < len(lx.src) && (lx.src[lx.pos] == 'i' || lx.src[lx.pos] == 's') {
		lx.pos++
	}
	t.kind, t.val, t.flags = tRegex, string(b), string(lx.src[start:lx.pos])
	if len(b) == 0 {
		return t, lx.errorf("empty regular expression")
	}
	return t, nil
}

// hexString reads the body of a hex string; the caller has consumed
// nothing after '='. The returned text excludes the braces and comments.
func (lx *lexer) hexString() (string, error) {
	if err := lx.skipSpace(); err != nil {
		return "", err
	}
	if lx.pos >= len(lx.src) || lx.src[lx.pos] != '{' {
		return "", lx.errorf("expected hex string")
	}
	lx.pos++
	var b []byte
	for {
		if err := lx.skipSpace(); err != nil {
			return "", err
		}
		if lx.pos >= len(lx.src) {
			return "", lx.errorf("unterminated hex string")
		}
		c := lx.src[lx.pos]
		lx.pos++
		if c == '}' {
			return string(b), nil
		}
		b = append(b, c)
	}
}

// peekByte returns the next non-space byte without consuming it.
func (lx *lexer) peekByte() (byte, error) {
	if err := lx.skipSpace(); err != nil {
		return 0, err
	}
	if lx.pos >= len(lx.src) {
		return 0, nil
	}
	return lx.src[lx.pos], nil
}
