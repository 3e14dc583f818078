package yara

import "slices"

// intFuncs are the integer readers uint8(offset) ... int32be(offset).
var intFuncs = map[string]bool{
	"uint8": true, "uint16": true, "uint32": true, "uint16be": true, "uint32be": true,
	"int8": true, "int16": true, "int32": true, "int16be": true, "int32be": true,
}

// mathFuncs are the supported functions of the "math" module with their
// argument counts.
var mathFuncs = map[string]int{"entropy": 2, "mean": 2, "deviation": 3, "count": 3}

func (p *parser) parseIdent(t token) (*expr, error) {
	switch t.val {
	case "true":
		return &expr{op: opBool, n: 1}, nil
	case "false":
		return &expr{op: opBool, n: 0}, nil
	case "filesize":
		return &expr{op: opFilesize}, nil
	case "entrypoint":
		p.semantic("entrypoint is not supported")
		return &expr{op: opInt}, nil
	case "any", "all", "none":
		if err := p.expectKeyword("of"); err != nil {
			return nil, err
		}
		return p.parseOf(map[string]int{"any": quantAny, "all": quantAll, "none": quantNone}[t.val], nil)
	case "for":
		return p.parseFor()
	}
	if intFuncs[t.val] {
		args, err := p.parseArgs()
		if err != nil {
			return nil, err
		}
		if len(args) != 1 {
			p.semantic("%s takes one argument", t.val)
		}
		return &expr{op: opCall, sym: t.val, args: args}, nil
	}
	if i := slices.Index(p.vars, t.val); i >= 0 {
		return &expr{op: opVar, n: int64(i)}, nil
	}
	if ok, err := p.acceptPunct("."); err != nil {
		return nil, err
	} else if ok {
		return p.parseModuleMember(t.val)
	}
	if n, ok := extNames[t.val]; ok {
		return &expr{op: opExt, n: n}, nil
	}
	idx, err := p.lookupRule(t.val)
	if err != nil {
		p.semantic("%v", err)
	}
	return &expr{op: opRule, n: int64(idx)}, nil
}

func (p *parser) expectKeyword(v string) error {
	t, err := p.next()
	if err != nil {
		return err
	}
	if !isKeyword(t, v) {
		return p.errorf("expected %q, got %s", v, t)
	}
	return nil
}

func (p *parser) parseArgs() ([]*expr, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	var args []*expr
	if ok, err := p.acceptPunct(")"); err != nil || ok {
		return args, err
	}
	for {
		a, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		if ok, err := p.acceptPunct(","); err != nil {
			return nil, err
		} else if !ok {
			return args, p.expectPunct(")")
		}
	}
}

// parseModuleMember parses module.member[(args)]. Only a few math
// functions are implemented; anything else makes the rule uncompilable.
func (p *parser) parseModuleMember(module string) (*expr, error) {
	m, err := p.next()
	if err != nil {
		return nil, err
	}
	if m.kind != tIdent {
		return nil, p.errorf("expected identifier after %s.", module)
	}
	var args []*expr
	if t, err := p.peek(); err != nil {
		return nil, err
	} else if isPunct(t, "(") {
		if args, err = p.parseArgs(); err != nil {
			return nil, err
		}
	} else if isPunct(t, "[") {
		// Array/dictionary access such as pe.sections[0].name.
		p.semantic("module %q is not supported (%s.%s[...])", module, module, m.val)
		return &expr{op: opInt}, p.skipBalanced()
	}
	if !p.imports[module] {
		p.semantic("undefined identifier %q (module not imported)", module)
		return &expr{op: opInt}, nil
	}
	if module != "math" {
		p.semantic("module %q is not supported (%s.%s)", module, module, m.val)
		return &expr{op: opInt}, nil
	}
	n, ok := mathFuncs[m.val]
	if !ok || len(args) != n {
		p.semantic("math.%s with %d arguments is not supported", m.val, len(args))
		return &expr{op: opInt}, nil
	}
	return &expr{op: opCall, sym: "math." + m.val, args: args}, nil
}

// skipBalanced skips a suffix such as [0].name after an unsupported
// module member, so parsing can go on with the rest of the condition.
func (p *parser) skipBalanced() error {
	depth, prevDot := 0, false
	for {
		t, err := p.peek()
		if err != nil {
			return err
		}
		switch {
		case t.kind == tEOF:
			return nil
		case isPunct(t, "[") || isPunct(t, "("):
			depth++
		case isPunct(t, "]") || isPunct(t, ")"):
			if depth == 0 {
				return nil
			}
			depth--
		case depth == 0 && !isPunct(t, ".") && !(t.kind == tIdent && prevDot):
			return nil
		}
		prevDot = isPunct(t, ".")
		p.peeked = false
	}
}

// parseFor parses "for Q of SET : (BODY)" and "for Q VAR in RANGE : (BODY)".
func (p *parser) parseFor() (*expr, error) {
	e := &expr{}
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	switch {
	case isKeyword(t, "any"), isKeyword(t, "all"), isKeyword(t, "none"):
		p.peeked = false
		e.quant = map[string]int{"any": quantAny, "all": quantAll, "none": quantNone}[t.val]
	default:
		q, err := p.parseBinary(2)
		if err != nil {
			return nil, err
		}
		e.quant, e.a = quantExpr, q
		if ok, err := p.acceptPunct("%"); err != nil {
			return nil, err
		} else if ok {
			e.quant = quantPercent
		}
	}
	if ok, err := p.acceptKeyword("of"); err != nil {
		return nil, err
	} else if ok {
		e.op = opForOf
		if e.strs, err = p.parseStringSet(); err != nil {
			return nil, err
		}
		p.inForOf++
		defer func() { p.inForOf-- }()
		return e, p.parseForBody(e)
	}
	v, err := p.next()
	if err != nil {
		return nil, err
	}
	if v.kind != tIdent {
		return nil, p.errorf("expected loop variable, got %s", v)
	}
	if err := p.expectKeyword("in"); err != nil {
		return nil, err
	}
	e.op = opForIn
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	first, err := p.parseBinary(2)
	if err != nil {
		return nil, err
	}
	if ok, err := p.acceptPunct(".."); err != nil {
		return nil, err
	} else if ok {
		e.lo = first
		if e.hi, err = p.parseBinary(2); err != nil {
			return nil, err
		}
	} else {
		e.args = []*expr{first}
		for {
			ok, err := p.acceptPunct(",")
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			a, err := p.parseBinary(2)
			if err != nil {
				return nil, err
			}
			e.args = append(e.args, a)
		}
	}
	if err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	e.n = int64(len(p.vars))
	p.vars = append(p.vars, v.val)
	defer func() { p.vars = p.vars[:len(p.vars)-1] }()
	return e, p.parseForBody(e)
}

func (p *parser) parseForBody(e *expr) error {
	if err := p.expectPunct(":"); err != nil {
		return err
	}
	if err := p.expectPunct("("); err != nil {
		return err
	}
	body, err := p.parseExpr()
	if err != nil {
		return err
	}
	e.body = body
	return p.expectPunct(")")
}
