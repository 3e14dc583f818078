package yara

import "strings"

type vkind uint8

const (
	vUndef vkind = iota
	vInt
	vFloat
	vStr
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

var undef = value{}

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
			if g < ri && !s.evalRule(g) {
				return false
			}
		}
	}
	return s.eval(ri, ru.cond).truth()
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
		return boolVal(s.evalRule(int(e.n)))
	case opStr:
		return boolVal(len(s.patternMatches(s.strIndex(ri, e.n))) > 0)
	case opStrCount:
		m := s.patternMatches(s.strIndex(ri, e.n))
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
		m := s.patternMatches(s.strIndex(ri, e.n))
		if idx.k != vInt || idx.i < 1 || idx.i > int64(len(m)) {
			return undef
		}
		if e.op == opStrOffset {
			return intVal(m[idx.i-1].off)
		}
		return intVal(int64(m[idx.i-1].n))
	case opStrAt:
		at := s.eval(ri, e.a)
		if at.k != vInt {
			return undef
		}
		for _, sp := range s.patternMatches(s.strIndex(ri, e.n)) {
			if sp.off == at.i {
				return boolVal(true)
			}
		}
		return boolVal(false)
	case opStrIn:
		lo, hi := s.eval(ri, e.lo), s.eval(ri, e.hi)
		if lo.k != vInt || hi.k != vInt {
			return undef
		}
		return boolVal(s.matchIn(s.strIndex(ri, e.n), lo.i, hi.i))
	case opOf:
		return s.evalOf(ri, e)
	case opForOf:
		return s.evalForOf(ri, e)
	case opForIn:
		return s.evalForIn(ri, e)
	case opAnd:
		return boolVal(s.eval(ri, e.a).truth() && s.eval(ri, e.b).truth())
	case opOr:
		return boolVal(s.eval(ri, e.a).truth() || s.eval(ri, e.b).truth())
	case opNot:
		v := s.eval(ri, e.a)
		if v.k == vUndef {
			return undef
		}
		return boolVal(!v.truth())
	case opDefined:
		return boolVal(s.eval(ri, e.a).k != vUndef)
	case opNeg:
		v := s.eval(ri, e.a)
		switch v.k {
		case vInt:
			return intVal(-v.i)
		case vFloat:
			return value{k: vFloat, f: -v.f}
		}
		return undef
	case opBitNot:
		v := s.eval(ri, e.a)
		if v.k != vInt {
			return undef
		}
		return intVal(^v.i)
	case opMatches:
		v := s.eval(ri, e.a)
		if v.k != vStr || e.re == nil {
			return undef
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

// quantOK decides a quantified expression once all n items are counted.
func (s *scanner) quantOK(ri int, e *expr, hits, n int) value {
	switch e.quant {
	case quantAny:
		return boolVal(hits >= 1)
	case quantAll:
		return boolVal(hits == n)
	case quantNone:
		return boolVal(hits == 0)
	}
	q := s.eval(ri, e.a)
	if q.k != vInt {
		return undef
	}
	if e.quant == quantPercent {
		return boolVal(int64(hits)*100 >= q.i*int64(n))
	}
	return boolVal(int64(hits) >= q.i)
}

// evalOf counts the matching strings of an "of" expression. Strings whose
// result is already known are counted first, so deferred regexes run only
// when the answer still depends on them.
func (s *scanner) evalOf(ri int, e *expr) value {
	ru := s.r.rules[ri]
	need := len(e.strs) // strings needed for a true result
	switch e.quant {
	case quantAny:
		need = 1
	case quantExpr, quantPercent:
		q := s.eval(ri, e.a)
		if q.k != vInt {
			return undef
		}
		need = int(min(max(q.i, 0), int64(len(e.strs))+1))
		if e.quant == quantPercent {
			need = int((q.i*int64(len(e.strs)) + 99) / 100)
		}
	}
	var lo, hi value
	if e.lo != nil {
		lo, hi = s.eval(ri, e.lo), s.eval(ri, e.hi)
		if lo.k != vInt || hi.k != vInt {
			return undef
		}
	}
	matched := func(pi int) bool {
		if e.lo != nil {
			return s.matchIn(pi, lo.i, hi.i)
		}
		return len(s.patternMatches(pi)) > 0
	}
	hits := 0
	for pass := 0; pass < 2; pass++ {
		for _, si := range e.strs {
			pi := ru.strs[si]
			if s.known(pi) != (pass == 0) {
				continue
			}
			if matched(pi) {
				hits++
			} else if e.quant == quantAll {
				return boolVal(false)
			}
			if e.quant != quantNone && e.quant != quantAll && hits >= need {
				return boolVal(true)
			}
			if e.quant == quantNone && hits > 0 {
				return boolVal(false)
			}
		}
	}
	return s.quantOK(ri, e, hits, len(e.strs))
}

func (s *scanner) evalForOf(ri int, e *expr) value {
	ru := s.r.rules[ri]
	hits := 0
	for _, si := range e.strs {
		s.forStr = append(s.forStr, ru.strs[si])
		ok := s.eval(ri, e.body).truth()
		s.forStr = s.forStr[:len(s.forStr)-1]
		if ok {
			hits++
		} else if e.quant == quantAll {
			return boolVal(false)
		}
		if e.quant == quantAny && hits > 0 {
			return boolVal(true)
		}
	}
	return s.quantOK(ri, e, hits, len(e.strs))
}

func (s *scanner) evalForIn(ri int, e *expr) value {
	var items []int64
	var lo, hi int64
	if e.lo != nil {
		l, h := s.eval(ri, e.lo), s.eval(ri, e.hi)
		if l.k != vInt || h.k != vInt {
			return undef
		}
		lo, hi = l.i, h.i
	} else {
		for _, a := range e.args {
			v := s.eval(ri, a)
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
	hits := int64(0)
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
		ok := s.eval(ri, e.body).truth()
		if ok {
			hits++
		} else if e.quant == quantAll {
			return boolVal(false)
		}
		if e.quant == quantAny && hits > 0 {
			return boolVal(true)
		}
	}
	return s.quantOK(ri, e, int(min(hits, 1<<31)), int(min(n, 1<<31)))
}

func binaryOp(sym string, a, b value) value {
	if a.k == vUndef || b.k == vUndef {
		return undef
	}
	if a.k == vStr || b.k == vStr {
		if a.k != vStr || b.k != vStr {
			return undef
		}
		return stringOp(sym, a.s, b.s)
	}
	if a.k == vFloat || b.k == vFloat {
		return floatOp(sym, a.float(), b.float())
	}
	x, y := a.i, b.i
	switch sym {
	case "+":
		return intVal(x + y)
	case "-":
		return intVal(x - y)
	case "*":
		return intVal(x * y)
	case "\\", "%":
		if y == 0 || (x == -1<<63 && y == -1) {
			return undef
		}
		if sym == "%" {
			return intVal(x % y)
		}
		return intVal(x / y)
	case "&":
		return intVal(x & y)
	case "|":
		return intVal(x | y)
	case "^":
		return intVal(x ^ y)
	case "<<", ">>":
		if y < 0 {
			return undef
		}
		if y >= 64 {
			return intVal(0)
		}
		if sym == "<<" {
			return intVal(x << y)
		}
		return intVal(x >> y)
	}
	return compare(sym, cmpInt(x, y))
}

func (v value) float() float64 {
	if v.k == vFloat {
		return v.f
	}
	return float64(v.i)
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func compare(sym string, c int) value {
	switch sym {
	case "==":
		return boolVal(c == 0)
	case "!=":
		return boolVal(c != 0)
	case "<":
		return boolVal(c < 0)
	case "<=":
		return boolVal(c <= 0)
	case ">":
		return boolVal(c > 0)
	case ">=":
		return boolVal(c >= 0)
	}
	return undef
}

func floatOp(sym string, x, y float64) value {
	switch sym {
	case "+":
		return value{k: vFloat, f: x + y}
	case "-":
		return value{k: vFloat, f: x - y}
	case "*":
		return value{k: vFloat, f: x * y}
	case "\\":
		if y == 0 {
			return undef
		}
		return value{k: vFloat, f: x / y}
	}
	c := 0
	if x < y {
		c = -1
	} else if x > y {
		c = 1
	}
	return compare(sym, c)
}

func stringOp(sym, a, b string) value {
	switch sym {
	case "contains":
		return boolVal(strings.Contains(a, b))
	case "icontains":
		return boolVal(strings.Contains(strings.ToLower(a), strings.ToLower(b)))
	case "startswith":
		return boolVal(strings.HasPrefix(a, b))
	case "istartswith":
		return boolVal(strings.HasPrefix(strings.ToLower(a), strings.ToLower(b)))
	case "endswith":
		return boolVal(strings.HasSuffix(a, b))
	case "iendswith":
		return boolVal(strings.HasSuffix(strings.ToLower(a), strings.ToLower(b)))
	case "iequals":
		return boolVal(strings.EqualFold(a, b))
	}
	return compare(sym, strings.Compare(a, b))
}
