package yara

import (
	"strconv"
	"strings"
)

func (p *parser) parseMeta(r *ruleDef) error {
	for {
		t, err := p.peek()
		if err != nil {
			return err
		}
		if t.kind != tIdent || t.val == "strings" || t.val == "condition" {
			// "strings:" and "condition:" end the section; a meta key
			// named like them is not valid YARA either.
			return nil
		}
		p.peeked = false
		if err := p.expectPunct("="); err != nil {
			return err
		}
		v, err := p.next()
		if err != nil {
			return err
		}
		val := ""
		switch {
		case v.kind == tText:
			val = v.val
		case v.kind == tInt:
			val = strconv.FormatInt(v.num, 10)
		case isPunct(v, "-"):
			n, err := p.next()
			if err != nil {
				return err
			}
			if n.kind != tInt {
				return p.errorf("expected number after '-'")
			}
			val = "-" + strconv.FormatInt(n.num, 10)
		case isKeyword(v, "true"), isKeyword(v, "false"):
			val = v.val
		default:
			return p.errorf("invalid meta value %s", v)
		}
		r.meta = append(r.meta, metaEntry{t.val, val})
	}
}

func (p *parser) parseStrings(r *ruleDef) error {
	seen := map[string]bool{}
	for {
		t, err := p.peek()
		if err != nil {
			return err
		}
		if t.kind != tStrID {
			return nil
		}
		p.peeked = false
		if strings.HasSuffix(t.val, "*") {
			return p.errorf("invalid string identifier $%s", t.val)
		}
		if t.val != "" && seen[t.val] {
			p.semantic("duplicated string identifier $%s", t.val)
		}
		seen[t.val] = true
		if err := p.expectPunct("="); err != nil {
			return err
		}
		s := stringDef{id: t.val, line: t.line}
		c, err := p.lx.peekByte()
		if err != nil {
			return err
		}
		switch c {
		case '{':
			s.kind = kindHex
			if s.val, err = p.lx.hexString(); err != nil {
				return err
			}
		case '"', '/':
			v, err := p.next()
			if err != nil {
				return err
			}
			s.val, s.flags = v.val, v.flags
			if v.kind == tRegex {
				s.kind = kindRegex
			}
		default:
			return p.errorf("expected string value for $%s", t.val)
		}
		if err := p.parseModifiers(&s); err != nil {
			return err
		}
		r.strings = append(r.strings, s)
	}
}

func (p *parser) parseModifiers(s *stringDef) error {
	for {
		t, err := p.peek()
		if err != nil {
			return err
		}
		if t.kind != tIdent {
			return nil
		}
		m := &s.mods
		switch t.val {
		case "nocase":
			m.nocase = true
		case "wide":
			m.wide = true
		case "ascii":
			m.ascii = true
		case "fullword":
			m.fullword = true
		case "private":
			m.private = true
		case "xor", "base64", "base64wide":
			p.peeked = false
			p.semantic("string $%s: modifier %q is not supported", s.id, t.val)
			// Skip an optional argument list such as xor(1-255).
			if ok, err := p.acceptPunct("("); err != nil {
				return err
			} else if ok {
				for {
					a, err := p.next()
					if err != nil {
						return err
					}
					if a.kind == tEOF || isPunct(a, ")") {
						break
					}
				}
			}
			continue
		default:
			return nil // next section keyword
		}
		if s.kind == kindHex && t.val != "private" {
			p.semantic("string $%s: modifier %q is not allowed on hex strings", s.id, t.val)
		}
		p.peeked = false
	}
}
