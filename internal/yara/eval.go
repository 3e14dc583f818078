package yara

type vkind uint8

const (
	vUndef vkind = iota
	vInt
	vFloat
	vStr
	vUnknown // speculative evaluation: depends on a string not matched yet
)

// value is the result of a condition (sub)expression. Booleans are ints.
// Undefined values (out-of-range reads, missing matches) make comparisons
// undefined, and undefined is false in a boolean context, as in YARA.
type value struct {
	k vkind
	i int64
	f float64
	s string
}

var (
	undef   = value{}
	unknown = value{k: vUnknown}
)

func intVal(i int64) value { return value{k: vInt, i: i} }

func boolVal(b bool) value {
	if b {
		return value{k: vInt, i: 1}
	}
	return value{k: vInt}
}

func (v value) truth() bool {
	switch v.k {
	case vInt:
		return v.i != 0
	case vFloat:
		return v.f != 0
	case vStr:
		return v.s != ""
	}
	return false
}

// evalRule evaluates rule ri once per scan (rule references reuse it).
func (s *scanner) evalRule(ri int) bool {
	switch s.result[ri] {
	case 1:
		return true
	case 2, 3:
		return false
	}
	s.resList = append(s.resList, ri)
	s.result[ri] = 3
	ok := s.ruleTrue(ri)
	s.result[ri] = 2
	if ok {
		s.result[ri] = 1
	}
	return ok
}

func (s *scanner) ruleTrue(ri int) bool {
	ru := s.r.rules[ri]
	if ru.needsString && !ru.alwaysEval && !s.ruleSeen[ri] {
		return false
	}
	if !ru.global {
		for _, g := range s.r.globals[ru.ns] {
			if !s.evalRule(g) {
				return false
			}
		}
	}
	// First evaluate speculatively, without running deferred (regex and
	// short) strings: most rules are decided by their literal strings or
	// filesize alone. Only an undecided rule is evaluated for real.
	saved := s.spec
	s.spec = true
	v := s.eval(ri, ru.cond)
	s.spec = false
	if v.k == vUnknown {
		v = s.eval(ri, ru.cond)
	}
	s.spec = saved
	return v.truth()
}

// ruleValue is the value of a rule reference. Outside speculation the
// referenced rule is decided for real. While speculating, it is decided
// from what is already known, and stays unknown otherwise: a reference
// late in a condition ("... and Helper_Rule") must not run the helper's
// regexes while an earlier term may still turn the condition false.
func (s *scanner) ruleValue(ri int) value {
	if !s.spec {
		return boolVal(s.evalRule(ri))
	}
	switch s.result[ri] {
	case 1:
		return boolVal(true)
	case 2, 3:
		return boolVal(false)
	}
	ru := s.r.rules[ri]
	if ru.needsString && !ru.alwaysEval && !s.ruleSeen[ri] || !ru.global && len(s.r.globals[ru.ns]) > 0 {
		return boolVal(s.evalRule(ri))
	}
	s.result[ri] = 3
	v := s.eval(ri, ru.cond)
	s.result[ri] = 0
	if v.k == vUnknown {
		return unknown
	}
	s.resList = append(s.resList, ri)
	s.result[ri] = 2
	if v.truth() {
		s.result[ri] = 1
	}
	return boolVal(v.truth())
}

// pending reports whether pattern pi must be treated as unknown because
// this is a speculative evaluation and the pattern was not matched yet.
func (s *scanner) pending(pi int) bool { return s.spec && !s.known(pi) }

// and3/or3 are Kleene's three-valued and/or over truth and unknown.
func and3(a, b value) value {
	switch {
	case a.k != vUnknown && !a.truth(), b.k != vUnknown && !b.truth():
		return boolVal(false)
	case a.k == vUnknown || b.k == vUnknown:
		return unknown
	}
	return boolVal(true)
}

func or3(a, b value) value {
	switch {
	case a.truth() || b.truth():
		return boolVal(true)
	case a.k == vUnknown || b.k == vUnknown:
		return unknown
	}
	return boolVal(false)
}

// strIndex maps a rule-local string reference to a pattern index.
func (s *scanner) strIndex(ri int, n int64) int {
	if n < 0 {
		return s.forStr[len(s.forStr)-1]
	}
	return s.r.rules[ri].strs[n]
}

func (s *scanner) eval(ri int, e *expr) value {
	switch e.op {
	case opBool, opInt:
		return intVal(e.n)
	case opFloat:
		return value{k: vFloat, f: e.f}
	case opText:
		return value{k: vStr, s: e.s}
	case opFilesize:
		return intVal(int64(len(s.data)))
	case opVar:
		return s.loopVars[e.n]
	case opExt:
		return value{k: vStr, s: [...]string{s.vars.Filename, s.vars.Filepath, s.vars.Extension, s.vars.Filetype}[e.n]}
	case opRule:
		return s.ruleValue(int(e.n))
	case opStr:
		pi := s.strIndex(ri, e.n)
		if s.pending(pi) {
			return unknown
		}
		return boolVal(s.exists(pi))
	case opStrCount:
		pi := s.strIndex(ri, e.n)
		if s.pending(pi) {
			return unknown
		}
		m := s.patternMatches(pi)
		if e.lo == nil {
			return intVal(int64(len(m)))
		}
		lo, hi := s.eval(ri, e.lo), s.eval(ri, e.hi)
		if lo.k != vInt || hi.k != vInt {
			return undef
		}
		c := 0
		for _, sp := range m {
			if sp.off >= lo.i && sp.off <= hi.i {
				c++
			}
		}
		return intVal(int64(c))
	case opStrOffset, opStrLength:
		idx := s.eval(ri, e.a)
		pi := s.strIndex(ri, e.n)
		if idx.k == vUnknown || s.pending(pi) {
			return unknown
		}
		m := s.patternMatches(pi)
		if idx.k != vInt || idx.i < 1 || idx.i > int64(len(m)) {
			return undef
		}
		if e.op == opStrOffset {
			return intVal(m[idx.i-1].off)
		}
		return intVal(int64(m[idx.i-1].n))
	case opStrAt:
		at := s.eval(ri, e.a)
		pi := s.strIndex(ri, e.n)
		if at.k == vUnknown || s.pending(pi) {
			return unknown
		}
		if at.k != vInt {
			return undef
		}
		for _, sp := range s.patternMatches(pi) {
			if sp.off == at.i {
				return boolVal(true)
			}
		}
		return boolVal(false)
	case opStrIn:
		lo, hi := s.eval(ri, e.lo), s.eval(ri, e.hi)
		pi := s.strIndex(ri, e.n)
		if lo.k == vUnknown || hi.k == vUnknown || s.pending(pi) {
			return unknown
		}
		if lo.k != vInt || hi.k != vInt {
			return undef
		}
		return boolVal(s.matchIn(pi, lo.i, hi.i))
	case opOf:
		return s.evalOf(ri, e)
	case opForOf:
		return s.evalForOf(ri, e)
	case opForIn:
		return s.evalForIn(ri, e)
	case opAnd:
		a := s.eval(ri, e.a)
		if a.k != vUnknown && !a.truth() {
			return boolVal(false)
		}
		return and3(a, s.eval(ri, e.b))
	case opOr:
		a := s.eval(ri, e.a)
		if a.truth() {
			return boolVal(true)
		}
		return or3(a, s.eval(ri, e.b))
	case opNot:
		v := s.eval(ri, e.a)
		if v.k == vUndef || v.k == vUnknown {
			return v
		}
		return boolVal(!v.truth())
	case opDefined:
		v := s.eval(ri, e.a)
		if v.k == vUnknown {
			return v
		}
		return boolVal(v.k != vUndef)
	case opNeg:
		v := s.eval(ri, e.a)
		switch v.k {
		case vUnknown:
			return v
		case vInt:
			return intVal(-v.i)
		case vFloat:
			return value{k: vFloat, f: -v.f}
		}
		return undef
	case opBitNot:
		v := s.eval(ri, e.a)
		if v.k == vUnknown {
			return v
		}
		if v.k != vInt {
			return undef
		}
		return intVal(^v.i)
	case opMatches:
		v := s.eval(ri, e.a)
		if v.k == vUnknown {
			return v
		}
		if v.k != vStr || e.re == nil {
			return undef
		}
		if e.ascii != nil && isASCII(v.s) {
			return boolVal(e.ascii.MatchString(v.s))
		}
		return boolVal(e.re.MatchString(v.s))
	case opCall:
		return s.call(ri, e)
	case opBinary:
		return binaryOp(e.sym, s.eval(ri, e.a), s.eval(ri, e.b))
	}
	return undef
}

func (s *scanner) matchIn(pi int, lo, hi int64) bool {
	for _, sp := range s.patternMatches(pi) {
		if sp.off >= lo && sp.off <= hi {
			return true
		}
		if sp.off > hi {
			break
		}
	}
	return false
}
