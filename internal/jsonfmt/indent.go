// Package jsonfmt indents JSON that encoding/json produced, fast.
//
// json.Indent checks every byte with the decoder's state machine, which
// made indenting a 70 MB hunt result slower than hunting 69 000 files for
// it on one core. Output of json.Marshal is known to be valid and compact,
// so Indent only tracks strings and nesting; its output is byte-for-byte
// what json.Indent gives for the same input (tested, and fuzzed). NonNil
// keeps empty lists [] rather than null.
package jsonfmt

// Indent appends to dst an indented form of src, which must be compact
// JSON as json.Marshal writes it (no whitespace outside strings), with the
// same prefix and indent semantics as json.Indent. Like json.Indent's, the
// output grows with nesting depth: at most one line per input byte, each
// no longer than prefix plus depth indents. Invalid input gives
// unspecified output within that bound, never a panic.
func Indent(dst, src []byte, prefix, indent string) []byte {
	depth := 0
	newline := func() {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range depth {
			dst = append(dst, indent...)
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '"':
			// Copy the whole string, escapes included, in one append.
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			end := min(j+1, len(src))
			dst = append(dst, src[i:end]...)
			i = end - 1
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, src[i+1])
				i++
				continue
			}
			depth++
			newline()
		case '}', ']':
			if depth > 0 {
				depth--
			}
			newline()
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, ':', ' ')
		default:
			// Numbers and literals: copy the run up to the next delimiter.
			j := i + 1
			for j < len(src) {
				switch src[j] {
				case '"', '{', '[', '}', ']', ',', ':':
					goto done
				}
				j++
			}
		done:
			dst = append(dst, src[i:j]...)
			i = j - 1
		}
	}
	return dst
}
