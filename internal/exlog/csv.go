package exlog

import "bytes"

// splitCSV decodes the RFC 4180 fields of rec into out, recording each
// field's [start,end) in offs. It stops after limit fields (limit <= 0:
// no limit) and then returns limit+1 if more follow, with rest the index
// in rec where the next field starts. ok is false for an unterminated
// quoted field. Text after a closing quote up to the next comma is kept,
// as Excel does, rather than failing the line.
func splitCSV(rec []byte, limit int, out []byte, offs []int32) (_ []byte, _ []int32, n int, ok bool, rest int) {
	i := 0
	for {
		start := int32(len(out))
		if i < len(rec) && rec[i] == '"' {
			i++
			for {
				j := bytes.IndexByte(rec[i:], '"')
				if j < 0 {
					return out, offs, n, false, len(rec)
				}
				out = append(out, rec[i:i+j]...)
				i += j + 1
				if i < len(rec) && rec[i] == '"' {
					out = append(out, '"')
					i++
					continue
				}
				break
			}
			if i < len(rec) && rec[i] != ',' {
				j := bytes.IndexByte(rec[i:], ',')
				if j < 0 {
					j = len(rec) - i
				}
				out = append(out, rec[i:i+j]...)
				i += j
			}
		} else {
			j := bytes.IndexByte(rec[i:], ',')
			if j < 0 {
				j = len(rec) - i
			}
			out = append(out, rec[i:i+j]...)
			i += j
		}
		offs = append(offs, start, int32(len(out)))
		n++
		if i >= len(rec) {
			return out, offs, n, true, len(rec)
		}
		i++ // the comma
		if n == limit {
			return out, offs, n + 1, true, i
		}
	}
}

// openQuote reports whether rec ends inside a quoted field. Doubled quotes
// come in pairs, so the parity of all quotes decides.
func openQuote(rec []byte) bool {
	return bytes.Count(rec, []byte{'"'})%2 == 1
}
