package hunt

import "slices"

// substrings finds which of many needles (file names, evidence paths)
// occur in a text (a log line's evidence, a command line) as a word: at
// the start of the text or right after a byte that is not a letter or a
// digit, so that x.aspx is found in "...\aspnet_client\x.aspx" and in
// "'x.aspx'" but not in "errorx.aspx", which names another file. At each
// such position there is one hash lookup per distinct needle length: a
// search costs the text's word starts times the number of distinct
// lengths, not times the number of needles, so a correlation pass stays
// linear however many files or events it ties together.
type substrings struct {
	ids     map[string][]int // needle → the ids added with it
	lengths []int            // distinct needle lengths, ascending
}

func newSubstrings() *substrings { return &substrings{ids: map[string][]int{}} }

// add registers needle under id; an empty needle is ignored.
func (s *substrings) add(needle string, id int) {
	if needle == "" {
		return
	}
	if i, found := slices.BinarySearch(s.lengths, len(needle)); !found {
		s.lengths = slices.Insert(s.lengths, i, len(needle))
	}
	s.ids[needle] = append(s.ids[needle], id)
}

// find returns the ids of the needles found in text, ascending and each
// once, and the number of lookups it took.
func (s *substrings) find(text string) ([]int, int64) {
	var out []int
	var ops int64
	if len(s.lengths) == 0 {
		return nil, 0
	}
	for i := 0; i < len(text); i++ {
		if i > 0 && wordByte(text[i-1]) {
			continue
		}
		for _, n := range s.lengths {
			if i+n > len(text) {
				break
			}
			ops++
			if ids, ok := s.ids[text[i:i+n]]; ok {
				out = append(out, ids...)
			}
		}
	}
	if len(out) > 1 {
		slices.Sort(out)
		out = slices.Compact(out)
	}
	return out, ops
}

// wordByte says whether c continues a word: an ASCII letter or digit, or
// a byte of a multi-byte UTF-8 character.
func wordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
