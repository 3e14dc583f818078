package yara

import (
	"fmt"
	"regexp"
	"strings"
)

// stringKind is the syntax of a string definition.
type stringKind uint8

const (
	kindText stringKind = iota
	kindHex
	kindRegex
)

// modifiers of a string definition.
type modifiers struct {
	nocase, wide, ascii, fullword, private bool
}

type stringDef struct {
	id    string // without '$'; "" for anonymous strings
	kind  stringKind
	val   string // unescaped text, hex body, or regex body
	flags string // regex flags (i, s)
	mods  modifiers
	line  int
}

type ruleDef struct {
	name    string
	ns      string
	tags    []string
	meta    []metaEntry
	private bool
	global  bool
	line    int
	strings []stringDef
	cond    *expr
}

type metaEntry struct{ key, val string }

// parser turns YARA source into ruleDefs. Syntax errors abort the current
// rule and resume at the next "rule" keyword; semantic errors (unsupported
// feature, unknown identifier) are recorded and the rule is skipped after
// it was fully read, so one bad rule never hides the others.
type parser struct {
	lx      *lexer
	tok     token
	peeked  bool
	file    string
	ns      string
	imports map[string]bool
	// lookupRule resolves a rule name of the current namespace.
	lookupRule func(name string) (int, error)
	// include loads an included file relative to the current file.
	include func(from, name string) (file string, data []byte, err error)
	depth   int

	// per rule state
	rule    *ruleDef
	ruleErr error
	vars    []string // loop variables in scope
	nest    int      // condition nesting depth
	refd    []bool   // strings of the rule referenced by its condition
	inForOf int      // nesting of for..of bodies where "$" is bound

	emit    func(*ruleDef)
	errs    []CompileError
	nameSet map[string]bool
}

func (p *parser) next() (token, error) {
	if p.peeked {
		p.peeked = false
		return p.tok, nil
	}
	t, err := p.lx.next()
	p.tok = t
	return t, err
}

func (p *parser) peek() (token, error) {
	if p.peeked {
		return p.tok, nil
	}
	t, err := p.lx.next()
	if err != nil {
		return t, err
	}
	p.tok, p.peeked = t, true
	return t, nil
}

func (p *parser) errorf(format string, args ...any) error {
	line := p.lx.line
	if p.peeked {
		line = p.tok.line
	}
	return &syntaxError{line: line, msg: fmt.Sprintf(format, args...)}
}

// semantic records the first semantic error of the current rule.
func (p *parser) semantic(format string, args ...any) {
	if p.ruleErr == nil {
		p.ruleErr = fmt.Errorf(format, args...)
	}
}

func isPunct(t token, v string) bool   { return t.kind == tPunct && t.val == v }
func isKeyword(t token, v string) bool { return t.kind == tIdent && t.val == v }

func (p *parser) expectPunct(v string) error {
	t, err := p.next()
	if err != nil {
		return err
	}
	if !isPunct(t, v) {
		return p.errorf("expected %q, got %s", v, t)
	}
	return nil
}

func (p *parser) acceptPunct(v string) (bool, error) {
	t, err := p.peek()
	if err != nil || !isPunct(t, v) {
		return false, err
	}
	p.peeked = false
	return true, nil
}

func (p *parser) acceptKeyword(v string) (bool, error) {
	t, err := p.peek()
	if err != nil || !isKeyword(t, v) {
		return false, err
	}
	p.peeked = false
	return true, nil
}

var ruleStart = regexp.MustCompile(`(?m)^[ \t]*(?:(?:private|global)[ \t]+)*rule[ \t]`)

// parseFile parses all rules of one source.
func (p *parser) parseFile() {
	for {
		err := p.parseTop()
		if err == nil {
			return
		}
		p.addError(err)
		// Resynchronise at the next line that starts a rule.
		loc := ruleStart.FindIndex(p.lx.src[p.lx.pos:])
		if loc == nil {
			return
		}
		p.lx.line += strings.Count(string(p.lx.src[p.lx.pos:p.lx.pos+loc[0]]), "\n")
		p.lx.pos += loc[0]
		p.peeked = false
	}
}

func (p *parser) addError(err error) {
	ce := CompileError{File: p.file, Reason: err.Error()}
	if se, ok := err.(*syntaxError); ok {
		ce.Line, ce.Reason = se.line, se.msg
	}
	if p.rule != nil {
		ce.Rule = p.rule.name
		if ce.Line == 0 {
			ce.Line = p.rule.line
		}
	}
	p.errs = append(p.errs, ce)
	p.rule = nil
}

func (p *parser) parseTop() error {
	for {
		p.rule, p.ruleErr = nil, nil
		t, err := p.next()
		if err != nil {
			return err
		}
		switch {
		case t.kind == tEOF:
			return nil
		case isKeyword(t, "import"):
			m, err := p.next()
			if err != nil {
				return err
			}
			if m.kind != tText {
				return p.errorf("expected module name after import")
			}
			p.imports[m.val] = true
		case isKeyword(t, "include"):
			if err := p.parseInclude(); err != nil {
				return err
			}
		case isKeyword(t, "rule"), isKeyword(t, "private"), isKeyword(t, "global"):
			if err := p.parseRule(t); err != nil {
				return err
			}
		default:
			return p.errorf("unexpected %s", t)
		}
	}
}

func (p *parser) parseInclude() error {
	t, err := p.next()
	if err != nil {
		return err
	}
	if t.kind != tText {
		return p.errorf("expected file name after include")
	}
	if p.include == nil {
		p.errs = append(p.errs, CompileError{File: p.file, Line: t.line, Reason: fmt.Sprintf("include %q: includes are only resolved by CompileFS", t.val)})
		return nil
	}
	if p.depth >= 16 {
		p.errs = append(p.errs, CompileError{File: p.file, Line: t.line, Reason: fmt.Sprintf("include %q: nested too deeply", t.val)})
		return nil
	}
	file, data, err := p.include(p.file, t.val)
	if err != nil {
		p.errs = append(p.errs, CompileError{File: p.file, Line: t.line, Reason: fmt.Sprintf("include %q: %v", t.val, err)})
		return nil
	}
	sub := *p
	sub.lx = &lexer{src: data, line: 1}
	sub.peeked, sub.file, sub.depth, sub.errs = false, file, p.depth+1, nil
	sub.parseFile()
	p.errs = append(p.errs, sub.errs...)
	return nil
}

func (p *parser) parseRule(t token) error {
	r := &ruleDef{ns: p.ns, line: t.line}
	for !isKeyword(t, "rule") {
		switch t.val {
		case "private":
			r.private = true
		case "global":
			r.global = true
		default:
			return p.errorf("unexpected %s", t)
		}
		var err error
		if t, err = p.next(); err != nil {
			return err
		}
	}
	name, err := p.next()
	if err != nil {
		return err
	}
	if name.kind != tIdent {
		return p.errorf("expected rule name, got %s", name)
	}
	r.name = name.val
	p.rule = r
	if p.nameSet[r.name] {
		p.semantic("duplicated rule identifier %q", r.name)
	}
	if ok, err := p.acceptPunct(":"); err != nil {
		return err
	} else if ok {
		for {
			t, err := p.peek()
			if err != nil {
				return err
			}
			if t.kind != tIdent {
				break
			}
			p.peeked = false
			r.tags = append(r.tags, t.val)
		}
	}
	if err := p.expectPunct("{"); err != nil {
		return err
	}
	for {
		t, err := p.next()
		if err != nil {
			return err
		}
		if t.kind != tIdent {
			return p.errorf("expected meta, strings or condition, got %s", t)
		}
		if err := p.expectPunct(":"); err != nil {
			return err
		}
		switch t.val {
		case "meta":
			if err := p.parseMeta(r); err != nil {
				return err
			}
		case "strings":
			if err := p.parseStrings(r); err != nil {
				return err
			}
		case "condition":
			p.refd = make([]bool, len(r.strings))
			cond, err := p.parseExpr()
			if err != nil {
				return err
			}
			r.cond = cond
			if err := p.expectPunct("}"); err != nil {
				return err
			}
			p.finishRule(r)
			return nil
		default:
			return p.errorf("unexpected section %q", t.val)
		}
	}
}

func (p *parser) finishRule(r *ruleDef) {
	p.nameSet[r.name] = true
	// Like yara, refuse strings the condition never uses.
	for i, s := range r.strings {
		if i < len(p.refd) && !p.refd[i] {
			p.semantic("unreferenced string $%s", s.id)
		}
	}
	if p.ruleErr != nil {
		p.errs = append(p.errs, CompileError{File: p.file, Line: r.line, Rule: r.name, Reason: p.ruleErr.Error()})
		p.rule = nil
		// Keep the name so that dependants report the real cause.
		p.emit(&ruleDef{name: r.name, ns: r.ns, line: -1})
		return
	}
	p.emit(r)
	p.rule = nil
}
