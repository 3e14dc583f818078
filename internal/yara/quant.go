package yara

// quantOK decides a quantified expression from the number of items that
// are true (hits) and still unknown (unk) in a speculative evaluation.
func (s *scanner) quantOK(ri int, e *expr, hits, unk, n int) value {
	var q value
	if e.quant == quantExpr || e.quant == quantPercent {
		if q = s.eval(ri, e.a); q.k == vUnknown {
			return unknown
		}
		if q.k != vInt {
			return undef
		}
	}
	holds := func(h int) bool {
		switch e.quant {
		case quantAny:
			return h >= 1
		case quantAll:
			return h == n
		case quantNone:
			return h == 0
		case quantPercent:
			return int64(h)*100 >= q.i*int64(n)
		}
		return int64(h) >= q.i
	}
	lo, hi := holds(hits), holds(hits+unk)
	if lo == hi {
		return boolVal(lo)
	}
	return unknown
}

// evalOf counts the matching strings of an "of" expression. Strings whose
// result is already known are counted first, so deferred regexes run only
// when the answer still depends on them.
func (s *scanner) evalOf(ri int, e *expr) value {
	ru := s.r.rules[ri]
	var lo, hi value
	if e.lo != nil {
		lo, hi = s.eval(ri, e.lo), s.eval(ri, e.hi)
		if lo.k == vUnknown || hi.k == vUnknown {
			return unknown
		}
		if lo.k != vInt || hi.k != vInt {
			return undef
		}
	}
	matched := func(pi int) bool {
		if e.lo != nil {
			return s.matchIn(pi, lo.i, hi.i)
		}
		return s.exists(pi)
	}
	hits, unk, n := 0, 0, len(e.strs)
	for pass := 0; pass < 2; pass++ {
		for _, si := range e.strs {
			pi := ru.strs[si]
			if s.known(pi) != (pass == 0) {
				continue
			}
			if pass == 1 && s.spec {
				unk++
				continue
			}
			// Stop as soon as the answer cannot change any more.
			if matched(pi) {
				hits++
				if e.quant == quantNone {
					return boolVal(false)
				}
				if e.quant != quantAll {
					if v := s.quantOK(ri, e, hits, 0, n); v.truth() {
						return v
					}
				}
			} else if e.quant == quantAll {
				return boolVal(false)
			}
		}
	}
	return s.quantOK(ri, e, hits, unk, n)
}

func (s *scanner) evalForOf(ri int, e *expr) value {
	ru := s.r.rules[ri]
	hits, unk := 0, 0
	for _, si := range e.strs {
		s.forStr = append(s.forStr, ru.strs[si])
		v := s.eval(ri, e.body)
		s.forStr = s.forStr[:len(s.forStr)-1]
		switch {
		case v.k == vUnknown:
			unk++
		case v.truth():
			hits++
		}
	}
	return s.quantOK(ri, e, hits, unk, len(e.strs))
}

func (s *scanner) evalForIn(ri int, e *expr) value {
	var items []int64
	var lo, hi int64
	if e.lo != nil {
		l, h := s.eval(ri, e.lo), s.eval(ri, e.hi)
		if l.k == vUnknown || h.k == vUnknown {
			return unknown
		}
		if l.k != vInt || h.k != vInt {
			return undef
		}
		lo, hi = l.i, h.i
	} else {
		for _, a := range e.args {
			v := s.eval(ri, a)
			if v.k == vUnknown {
				return unknown
			}
			if v.k != vInt {
				return undef
			}
			items = append(items, v.i)
		}
	}
	n := int64(len(items))
	if e.lo != nil {
		n = max(hi-lo+1, 0)
	}
	hits, unk := int64(0), int64(0)
	s.loopVars = append(s.loopVars[:e.n], undef)
	defer func() { s.loopVars = s.loopVars[:e.n] }()
	for k := int64(0); k < n; k++ {
		if s.budget--; s.budget < 0 {
			return undef
		}
		if e.lo != nil {
			s.loopVars[e.n] = intVal(lo + k)
		} else {
			s.loopVars[e.n] = intVal(items[k])
		}
		v := s.eval(ri, e.body)
		switch {
		case v.k == vUnknown:
			unk++
		case v.truth():
			hits++
		case e.quant == quantAll:
			return boolVal(false)
		}
		if e.quant == quantAny && hits > 0 {
			return boolVal(true)
		}
	}
	return s.quantOK(ri, e, int(min(hits, 1<<31)), int(min(unk, 1<<31)), int(min(n, 1<<31)))
}
