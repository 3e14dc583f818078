package yara

import (
	"slices"
	"strings"
)

// Condition grammar, lowest precedence first (as in libyara's grammar.y):
// or; and; not/defined; == != contains ... matches; < <= > >=; |; ^; &;
// << >>; + -; * \ %; unary - ~.

// maxNesting bounds the depth of conditions, so that hostile rule text
// cannot exhaust the stack of the parser or the evaluator.
const maxNesting = 200

func (p *parser) parseExpr() (*expr, error) {
	if p.nest++; p.nest > maxNesting {
		return nil, p.errorf("condition nested too deeply")
	}
	defer func() { p.nest-- }()
	return p.parseOr()
}

func (p *parser) parseOr() (*expr, error) {
	a, err := p.parseAnd()
	for err == nil {
		var ok bool
		if ok, err = p.acceptKeyword("or"); !ok || err != nil {
			break
		}
		var b *expr
		if b, err = p.parseAnd(); err == nil {
			a = &expr{op: opOr, a: a, b: b}
		}
	}
	return a, err
}

func (p *parser) parseAnd() (*expr, error) {
	a, err := p.parseNot()
	for err == nil {
		var ok bool
		if ok, err = p.acceptKeyword("and"); !ok || err != nil {
			break
		}
		var b *expr
		if b, err = p.parseNot(); err == nil {
			a = &expr{op: opAnd, a: a, b: b}
		}
	}
	return a, err
}

func (p *parser) parseNot() (*expr, error) {
	if p.nest++; p.nest > maxNesting {
		return nil, p.errorf("condition nested too deeply")
	}
	defer func() { p.nest-- }()
	for _, kw := range []string{"not", "defined"} {
		if ok, err := p.acceptKeyword(kw); err != nil {
			return nil, err
		} else if ok {
			a, err := p.parseNot()
			if err != nil {
				return nil, err
			}
			if kw == "not" {
				return &expr{op: opNot, a: a}, nil
			}
			return &expr{op: opDefined, a: a}, nil
		}
	}
	return p.parseBinary(0)
}

// binaryLevels lists binary operators from lowest to highest precedence.
var binaryLevels = [][]string{
	{"==", "!=", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "iequals", "matches"},
	{"<", "<=", ">", ">="},
	{"|"}, {"^"}, {"&"}, {"<<", ">>"}, {"+", "-"}, {"*", "\\", "%"},
}

func (p *parser) parseBinary(level int) (*expr, error) {
	if level == len(binaryLevels) {
		return p.parseUnary()
	}
	a, err := p.parseBinary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if (t.kind != tPunct && t.kind != tIdent) || !slices.Contains(binaryLevels[level], t.val) {
			return a, nil
		}
		p.peeked = false
		if t.val == "matches" {
			rt, err := p.next()
			if err != nil {
				return nil, err
			}
			if rt.kind != tRegex {
				return nil, p.errorf("expected regular expression after matches")
			}
			re, ascii, err := compileCondRegex(rt.val, rt.flags)
			if err != nil {
				p.semantic("invalid regular expression /%s/: %v", rt.val, err)
			}
			a = &expr{op: opMatches, a: a, re: re, ascii: ascii}
			continue
		}
		b, err := p.parseBinary(level + 1)
		if err != nil {
			return nil, err
		}
		a = &expr{op: opBinary, sym: t.val, a: a, b: b}
	}
}

func (p *parser) parseUnary() (*expr, error) {
	if p.nest++; p.nest > maxNesting {
		return nil, p.errorf("condition nested too deeply")
	}
	defer func() { p.nest-- }()
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if isPunct(t, "-") || isPunct(t, "~") {
		p.peeked = false
		a, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		if t.val == "-" {
			if a.op == opInt {
				return &expr{op: opInt, n: -a.n}, nil
			}
			return &expr{op: opNeg, a: a}, nil
		}
		return &expr{op: opBitNot, a: a}, nil
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() (*expr, error) {
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case tInt:
		return p.maybeOf(&expr{op: opInt, n: t.num})
	case tFloat:
		return &expr{op: opFloat, f: t.float}, nil
	case tText:
		return &expr{op: opText, s: t.val}, nil
	case tStrID:
		return p.parseStrRef(t)
	case tCount, tOffset, tLength:
		return p.parseStrAttr(t)
	case tIdent:
		return p.parseIdent(t)
	case tPunct:
		if t.val == "(" {
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if err := p.expectPunct(")"); err != nil {
				return nil, err
			}
			return p.maybeOf(e)
		}
	}
	return nil, p.errorf("unexpected %s in condition", t)
}

// maybeOf turns "N of (...)" and "N% of (...)" into an of-expression.
func (p *parser) maybeOf(n *expr) (*expr, error) {
	quant := quantExpr
	if ok, err := p.acceptPunct("%"); err != nil {
		return nil, err
	} else if ok {
		quant = quantPercent
	}
	ok, err := p.acceptKeyword("of")
	if err != nil {
		return nil, err
	}
	if !ok {
		if quant == quantPercent {
			// "a % b": modulo after all.
			b, err := p.parseUnary()
			if err != nil {
				return nil, err
			}
			return &expr{op: opBinary, sym: "%", a: n, b: b}, nil
		}
		return n, nil
	}
	return p.parseOf(quant, n)
}

func (p *parser) parseOf(quant int, n *expr) (*expr, error) {
	strs, err := p.parseStringSet()
	if err != nil {
		return nil, err
	}
	e := &expr{op: opOf, quant: quant, a: n, strs: strs}
	if ok, err := p.acceptKeyword("in"); err != nil {
		return nil, err
	} else if ok {
		if e.lo, e.hi, err = p.parseRange(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// parseStringSet parses "them" or "($a, $b*, ...)" into string indices.
func (p *parser) parseStringSet() ([]int, error) {
	r := p.rule
	if ok, err := p.acceptKeyword("them"); err != nil {
		return nil, err
	} else if ok {
		if len(r.strings) == 0 {
			p.semantic("\"them\" used in a rule without strings")
		}
		all := make([]int, len(r.strings))
		for i := range all {
			all[i] = i
			p.refd[i] = true
		}
		return all, nil
	}
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	var set []int
	for {
		t, err := p.next()
		if err != nil {
			return nil, err
		}
		if t.kind != tStrID {
			return nil, p.errorf("expected string identifier in set, got %s", t)
		}
		found := false
		for i, s := range r.strings {
			if t.val == s.id || strings.HasSuffix(t.val, "*") && strings.HasPrefix(s.id, strings.TrimSuffix(t.val, "*")) {
				if !slices.Contains(set, i) {
					set = append(set, i)
				}
				p.refd[i] = true
				found = true
			}
		}
		if !found {
			p.semantic("undefined string identifier $%s", t.val)
		}
		if ok, err := p.acceptPunct(","); err != nil {
			return nil, err
		} else if !ok {
			break
		}
	}
	return set, p.expectPunct(")")
}

// parseRange parses "(lo..hi)".
func (p *parser) parseRange() (lo, hi *expr, err error) {
	if err = p.expectPunct("("); err != nil {
		return
	}
	if lo, err = p.parseBinary(2); err != nil {
		return
	}
	if err = p.expectPunct(".."); err != nil {
		return
	}
	if hi, err = p.parseBinary(2); err != nil {
		return
	}
	err = p.expectPunct(")")
	return
}

// stringIndex resolves "$a" (or "$" inside for..of) to an index; -1 means
// the for..of loop's current string.
func (p *parser) stringIndex(id string) int {
	if id == "" {
		if p.inForOf == 0 {
			p.semantic("anonymous string reference outside of a for..of loop")
		}
		return -1
	}
	for i, s := range p.rule.strings {
		if s.id == id {
			p.refd[i] = true
			return i
		}
	}
	p.semantic("undefined string identifier $%s", id)
	return 0
}

func (p *parser) parseStrRef(t token) (*expr, error) {
	e := &expr{op: opStr, n: int64(p.stringIndex(t.val))}
	if ok, err := p.acceptKeyword("at"); err != nil {
		return nil, err
	} else if ok {
		at, err := p.parseBinary(2)
		if err != nil {
			return nil, err
		}
		e.op, e.a = opStrAt, at
		return e, nil
	}
	if ok, err := p.acceptKeyword("in"); err != nil {
		return nil, err
	} else if ok {
		lo, hi, err := p.parseRange()
		if err != nil {
			return nil, err
		}
		e.op, e.lo, e.hi = opStrIn, lo, hi
	}
	return e, nil
}

func (p *parser) parseStrAttr(t token) (*expr, error) {
	e := &expr{n: int64(p.stringIndex(t.val))}
	switch t.kind {
	case tCount:
		e.op = opStrCount
		if ok, err := p.acceptKeyword("in"); err != nil {
			return nil, err
		} else if ok {
			var err error
			if e.lo, e.hi, err = p.parseRange(); err != nil {
				return nil, err
			}
		}
		return e, nil
	case tOffset:
		e.op = opStrOffset
	default:
		e.op = opStrLength
	}
	if ok, err := p.acceptPunct("["); err != nil {
		return nil, err
	} else if ok {
		idx, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		e.a = idx
		return e, p.expectPunct("]")
	}
	e.a = &expr{op: opInt, n: 1}
	return e, nil
}
