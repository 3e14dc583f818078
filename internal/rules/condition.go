package rules

import (
	"fmt"
	"path"
	"strings"
)

// Limits that keep a hostile rule file from exhausting the stack or memory.
const (
	maxConditionDepth = 64       // nested parentheses and nots
	maxConditionLen   = 64 << 10 // bytes of one condition
	maxFileSize       = 1 << 20  // bytes of one rule file
	maxDocuments      = 1000     // YAML documents in one file
	maxAlternatives   = 4096     // values one field expands to (windash, base64offset)
	maxRegexLen       = 16 << 10 // bytes of one |re pattern
	maxSelections     = 10000    // detection identifiers in one rule
	maxQuantifierWork = 1 << 20  // identifier pattern tests in one condition
	maxRuleValues     = 1 << 16  // compiled values in one rule
)

type opKind uint8

const (
	opSel opKind = iota // one selection
	opAnd
	opOr
	opNot
)

// cond is a node of a compiled condition. Quantifiers (1 of x*, all of
// them) are expanded into opOr/opAnd over the selections they name.
type cond struct {
	op   opKind
	sel  int // index into detection.sels for opSel
	kids []*cond
}

// condParser is a recursive-descent parser for Sigma conditions, with the
// precedence not > and > or, parentheses, and the quantifiers
// "1 of", "any of", "all of" over an identifier pattern or "them".
type condParser struct {
	toks   []string
	pos    int
	depth  int
	names  []string // detection identifiers, in the order they were written
	index  map[string]int
	budget int // identifier tests left for quantifiers
}

// parseCondition compiles one condition over the given identifiers.
func parseCondition(s string, names []string) (*cond, error) {
	if len(s) > maxConditionLen {
		return nil, fmt.Errorf("condition is %d bytes, more than the limit of %d", len(s), maxConditionLen)
	}
	toks, err := lexCondition(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("empty condition")
	}
	p := &condParser{toks: toks, names: names, index: make(map[string]int, len(names)), budget: maxQuantifierWork}
	for i, n := range names {
		if _, dup := p.index[n]; !dup {
			p.index[n] = i
		}
	}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("condition %q: unexpected %q", s, p.toks[p.pos])
	}
	return c, nil
}

func lexCondition(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, s[i:i+1])
			i++
		case c == '|':
			return nil, fmt.Errorf("aggregation expressions (%q) are not supported; Sigma v1 count()/near need a correlation engine", strings.TrimSpace(s[i:]))
		case isIdentByte(c):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			return nil, fmt.Errorf("condition: unexpected character %q at offset %d", c, i)
		}
	}
	return toks, nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c == '*' || c == '?' ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *condParser) isKeyword(word string) bool {
	return strings.EqualFold(p.peek(), word)
}

func (p *condParser) enter() error {
	p.depth++
	if p.depth > maxConditionDepth {
		return fmt.Errorf("condition nests deeper than %d levels", maxConditionDepth)
	}
	return nil
}

func (p *condParser) or() (*cond, error) {
	return p.chain("or", opOr, p.and)
}

func (p *condParser) and() (*cond, error) {
	return p.chain("and", opAnd, p.not)
}

// chain parses next (word next)* iteratively, so long flat chains use no
// stack.
func (p *condParser) chain(word string, op opKind, next func() (*cond, error)) (*cond, error) {
	first, err := next()
	if err != nil {
		return nil, err
	}
	kids := []*cond{first}
	for p.isKeyword(word) {
		p.pos++
		k, err := next()
		if err != nil {
			return nil, err
		}
		kids = append(kids, k)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return &cond{op: op, kids: kids}, nil
}

func (p *condParser) not() (*cond, error) {
	if !p.isKeyword("not") {
		return p.primary()
	}
	p.pos++
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	k, err := p.not()
	if err != nil {
		return nil, err
	}
	return &cond{op: opNot, kids: []*cond{k}}, nil
}

func (p *condParser) primary() (*cond, error) {
	tok := p.peek()
	switch {
	case tok == "":
		return nil, fmt.Errorf("condition ends early")
	case tok == "(":
		p.pos++
		if err := p.enter(); err != nil {
			return nil, err
		}
		c, err := p.or()
		p.depth--
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("condition: missing )")
		}
		p.pos++
		return c, nil
	case tok == ")":
		return nil, fmt.Errorf("condition: unexpected )")
	case p.pos+1 < len(p.toks) && strings.EqualFold(p.toks[p.pos+1], "of"):
		return p.quantifier()
	case isReserved(tok):
		return nil, fmt.Errorf("condition: unexpected %q", tok)
	}
	p.pos++
	i, ok := p.index[tok]
	if !ok {
		return nil, fmt.Errorf("condition names %q, which is not a detection identifier", tok)
	}
	return &cond{op: opSel, sel: i}, nil
}

func isReserved(tok string) bool {
	switch strings.ToLower(tok) {
	case "and", "or", "not", "of", "them":
		return true
	}
	return false
}

// quantifier parses "1 of X", "any of X", "all of X" where X is an
// identifier, an identifier pattern with * or ?, or "them" (every
// identifier not starting with an underscore).
func (p *condParser) quantifier() (*cond, error) {
	q := strings.ToLower(p.toks[p.pos])
	var op opKind
	switch q {
	case "1", "any":
		op = opOr
	case "all":
		op = opAnd
	default:
		return nil, fmt.Errorf("condition: quantifier %q is not supported (want 1, any or all)", p.toks[p.pos])
	}
	p.pos += 2
	target := p.peek()
	if target == "" || target == "(" || target == ")" {
		return nil, fmt.Errorf("condition: %s of needs an identifier pattern or them", q)
	}
	p.pos++
	p.budget -= len(p.names)
	if p.budget < 0 {
		return nil, fmt.Errorf("condition: too many quantifiers over too many identifiers")
	}
	var kids []*cond
	for i, name := range p.names {
		if strings.EqualFold(target, "them") {
			if strings.HasPrefix(name, "_") {
				continue
			}
		} else if ok, _ := path.Match(target, name); !ok {
			continue
		}
		kids = append(kids, &cond{op: opSel, sel: i})
	}
	if len(kids) == 0 {
		return nil, fmt.Errorf("condition: %s of %s matches no detection identifier", q, target)
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return &cond{op: op, kids: kids}, nil
}
