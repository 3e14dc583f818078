package yara

import (
	"bytes"
	"slices"
)

// Regex strings run only where a match is possible: around the hits of
// their atoms. A match containing an atom hit at pos starts within
// pos-preHi..pos-preLo. When that range is narrow (the atom is at or
// near the start of the regex, the common case), the regex is run
// anchored at each candidate start and RE2 stops as soon as the match
// fails, usually after a few bytes. Otherwise the regex searches a window
// from the earliest start to the latest start plus the longest match.

const (
	// maxRegexHits caps the atom hits kept per regex and scan; beyond it
	// the regex searches the whole input.
	maxRegexHits = 1024
	// maxAnchorWidth is the widest start range still tried position by
	// position.
	maxAnchorWidth = 16
)

type reHit struct {
	pos  int
	atom int
}

// regexHit records a prefilter hit of a regex atom, if the whole literal
// the atom was taken from is there: every match contains one of the
// pattern's literals, so a hit without it cannot start a match.
func (s *scanner) regexHit(pi, pos, atom int) {
	a := &s.r.patterns[pi].reAtoms[atom]
	start := pos - a.off
	if start < 0 || start+len(a.lit) > len(s.low) || !bytes.Equal(s.low[start:start+len(a.lit)], a.lit) {
		return
	}
	if s.state[pi]&stTouched == 0 {
		s.touch(pi)
	}
	if s.state[pi]&stOverflow != 0 {
		return
	}
	if len(s.hits[pi]) >= maxRegexHits {
		s.state[pi] |= stOverflow
		return
	}
	s.hits[pi] = append(s.hits[pi], reHit{pos, atom})
}

// shortHits finds the 2-3 byte atoms of a pattern that has no 4-byte
// atom; ok is false when there are too many to be worth it.
func (s *scanner) shortHits(p *pattern) (hits []reHit, ok bool) {
	hits = s.scratch[:0]
	defer func() { s.scratch = hits[:0] }()
	for k, a := range p.reAtoms {
		for off := 0; ; {
			i := bytes.Index(s.low[off:], a.atom)
			if i < 0 {
				break
			}
			if len(hits) >= maxRegexHits {
				return nil, false
			}
			hits = append(hits, reHit{off + i, k})
			off += i + 1
		}
	}
	return hits, true
}

func (s *scanner) runRegex(pi int, p *pattern, multi bool) {
	switch {
	case p.hasAtoms && s.state[pi]&stOverflow == 0:
		s.runAround(pi, p, s.hits[pi], multi)
		return
	case !p.hasAtoms && !p.noShort:
		if hits, ok := s.shortHits(p); ok {
			s.runAround(pi, p, hits, multi)
			return
		}
	}
	for _, v := range p.res {
		s.addRegexMatches(pi, p, v, 0, len(s.data), multi)
	}
}

type window struct{ lo, hi int }

func (s *scanner) runAround(pi int, p *pattern, hits []reHit, multi bool) {
	for vi, v := range p.res {
		var starts []window // candidate start ranges
		narrow := true
		for _, h := range hits {
			a := p.reAtoms[h.atom]
			if a.variant != vi {
				continue
			}
			lo, hi := max(h.pos-a.preHi, 0), h.pos-a.preLo
			if hi < 0 {
				continue
			}
			narrow = narrow && hi-lo <= maxAnchorWidth
			starts = append(starts, window{lo, hi})
		}
		if len(starts) == 0 {
			continue
		}
		slices.SortFunc(starts, func(a, b window) int { return a.lo - b.lo })
		if narrow {
			// Anchored runs can each read up to maxLen bytes; when they
			// could read more than a few passes over the input (hostile
			// input with an atom everywhere), one search is cheaper and
			// keeps the work linear in the input size.
			cost := 0
			for _, w := range starts {
				cost += (w.hi - w.lo + 1) * (v.maxLen + 1)
			}
			if cost > 4*len(s.data)+1<<16 {
				s.addRegexMatches(pi, p, v, 0, len(s.data), multi)
				continue
			}
			s.runAnchored(pi, p, v, starts, multi)
			continue
		}
		cur := window{starts[0].lo, starts[0].hi + v.maxLen}
		for _, w := range starts[1:] {
			if w.lo <= cur.hi+64 {
				cur.hi = max(cur.hi, w.hi+v.maxLen)
				continue
			}
			s.addRegexMatches(pi, p, v, max(cur.lo-1, 0), min(cur.hi+1, len(s.data)), multi)
			cur = window{w.lo, w.hi + v.maxLen}
		}
		s.addRegexMatches(pi, p, v, max(cur.lo-1, 0), min(cur.hi+1, len(s.data)), multi)
	}
}

// runAnchored tries every candidate start once, in increasing order.
func (s *scanner) runAnchored(pi int, p *pattern, v reVariant, starts []window, multi bool) {
	next := 0 // first start not tried yet
	anchored := v.anchored()
	for _, w := range starts {
		for st := max(w.lo, next); st <= w.hi && st < len(s.data); st++ {
			end := min(len(s.data), st+v.maxLen+1)
			var mEnd int
			if st == 0 || anchored == nil {
				from := max(st-1, 0)
				loc := v.re.FindIndex(s.data[from:end])
				if loc == nil || from+loc[0] != st {
					continue
				}
				mEnd = from + loc[1]
			} else {
				loc := anchored.FindIndex(s.data[st-1 : end])
				if loc == nil {
					continue
				}
				mEnd = st - 1 + loc[1]
			}
			if p.fullword && !fullwordOK(s.data, st, mEnd-st, v.wide) {
				continue
			}
			s.addMatch(pi, int64(st), mEnd-st, multi)
		}
		next = max(next, w.hi+1)
	}
}

// addRegexMatches records the matches of v in data[ws:we]. Inside a
// window (ws > 0 or we < len(data)) one context byte on each side was
// included for \b, and matches that touch it are dropped: they are
// artifacts of the cut, and any real one is found in its own window.
func (s *scanner) addRegexMatches(pi int, p *pattern, v reVariant, ws, we int, multi bool) {
	for _, loc := range v.re.FindAllIndex(s.data[ws:we], MaxStringMatches) {
		start, end := ws+loc[0], ws+loc[1]
		if ws > 0 && loc[0] == 0 || we < len(s.data) && end == we {
			continue
		}
		if p.fullword && !fullwordOK(s.data, start, end-start, v.wide) {
			continue
		}
		s.addMatch(pi, int64(start), end-start, multi)
	}
}
