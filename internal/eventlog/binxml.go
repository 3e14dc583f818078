package eventlog

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Limits that keep a crafted chunk from costing more than a bounded
// amount of time and memory. Real events are far below them.
const (
	maxNesting = 8       // template instances inside BinXml values inside ...
	maxSteps   = 1 << 18 // tokens parsed plus nodes walked per record
	maxOutput  = 1 << 20 // bytes of rendered field text per record
	maxFields  = 1024    // named fields per record (Sysmon has ~30)

	// Templates are shared by the records of a chunk, so small records
	// can each expand a large template; these cap a chunk's total.
	maxChunkSteps  = 1 << 22
	maxChunkOutput = 32 << 20
)

var (
	errTruncated  = errors.New("eventlog: binxml runs past its end")
	errTooComplex = errors.New("eventlog: record exceeds the parse budget")
	errTooDeep    = errors.New("eventlog: binxml nested too deeply")
)

type nodeKind uint8

const (
	kindElem     nodeKind = iota
	kindText              // literal text
	kindSubst             // substitution placeholder in a template
	kindInstance          // template instance with its values
)

// node is one piece of a parsed BinXML fragment. Templates are parsed once
// per chunk into nodes and then walked once per record with its values.
type node struct {
	kind     nodeKind
	optional bool
	subID    uint16
	name     string // element name, or text for kindText
	attrs    []attr
	children []*node
	tmpl     *template // kindInstance
	vals     []value   // kindInstance
}

type attr struct {
	name  string
	parts []*node // kindText and kindSubst
}

type template struct {
	nodes []*node
	err   error
	busy  bool // being parsed: a self-reference is corrupt data
}

// value is one substitution value: its type and raw bytes in the chunk.
type value struct {
	typ  uint8
	pos  int // offset of data in the chunk, for nested BinXml
	data []byte
}

// chunkParser holds one chunk and the templates defined in it. Template
// and name offsets are relative to the chunk, so the template cache and
// the chunk budgets are reset per chunk. Records never alias buf: every
// field value is a fresh string.
type chunkParser struct {
	buf       []byte
	templates map[uint32]*template
	steps     int
	b         builder

	chunkSteps, chunkOut int
}

func newChunkParser() *chunkParser {
	return &chunkParser{buf: make([]byte, chunkSize), templates: map[uint32]*template{}}
}

func (p *chunkParser) reset() {
	clear(p.templates)
	p.chunkSteps, p.chunkOut = 0, 0
}

// cursor reads little-endian values from p.buf between pos and end.
type cursor struct {
	buf      []byte
	pos, end int
	err      error
}

func (c *cursor) take(n int) []byte {
	if c.err != nil || n < 0 || c.pos+n > c.end {
		c.err = errTruncated
		return nil
	}
	b := c.buf[c.pos : c.pos+n]
	c.pos += n
	return b
}

func (c *cursor) u8() uint8 {
	if b := c.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (c *cursor) u16() uint16 {
	if b := c.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (c *cursor) u32() uint32 {
	if b := c.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// name reads a name reference. Names live at a chunk offset: a next-name
// offset (4), hash (2), character count (2), UTF-16 characters and a NUL.
// When the offset points right here the name is inline and is skipped.
func (p *chunkParser) name(c *cursor) string {
	o := c.u32()
	if c.err != nil {
		return ""
	}
	off := int(o)
	if o > chunkSize-8 || off+8 > len(p.buf) {
		c.err = fmt.Errorf("eventlog: name offset %d outside the chunk", off)
		return ""
	}
	n := int(binary.LittleEndian.Uint16(p.buf[off+6:]))
	end := off + 8 + 2*n
	if end > len(p.buf) {
		c.err = fmt.Errorf("eventlog: name at %d runs past the chunk", off)
		return ""
	}
	s := utf16String(p.buf[off+8 : end])
	if off == c.pos {
		c.take(8 + 2*n + 2)
	}
	return s
}

// template returns the template whose definition starts at chunk offset
// off: next-template offset (4), GUID (16), data size (4), then BinXML.
func (p *chunkParser) template(off uint32, depth int) *template {
	if t, ok := p.templates[off]; ok {
		if t.busy {
			return &template{err: errors.New("eventlog: template refers to itself")}
		}
		return t
	}
	t := &template{busy: true}
	p.templates[off] = t
	start := int(off) + 24
	if off > chunkSize || start > len(p.buf) {
		t.err = fmt.Errorf("eventlog: template offset %d outside the chunk", off)
	} else {
		end := start + int(binary.LittleEndian.Uint32(p.buf[start-4:]))
		if end > len(p.buf) || end < start {
			t.err = fmt.Errorf("eventlog: template at %d runs past the chunk", off)
		} else {
			c := &cursor{buf: p.buf, pos: start, end: end}
			t.nodes, t.err = p.fragment(c, depth+1)
		}
	}
	t.busy = false
	return t
}

// fragment parses BinXML tokens from c up to an end-of-stream token or
// the end of c, and returns the top-level nodes.
func (p *chunkParser) fragment(c *cursor, depth int) ([]*node, error) {
	if depth > maxNesting {
		return nil, errTooDeep
	}
	root := &node{}
	stack := []*node{root}
	var cur *attr // attribute receiving its value, if any
	add := func(n *node) {
		if cur != nil {
			cur.parts = append(cur.parts, n)
			return
		}
		top := stack[len(stack)-1]
		top.children = append(top.children, n)
	}
	for c.err == nil && c.pos < c.end {
		p.steps++
		if p.steps > maxSteps {
			return nil, errTooComplex
		}
		tok := c.u8()
		switch tok &^ 0x40 {
		case 0x00: // end of stream
			return root.children, c.err
		case 0x01: // open start element
			c.take(2 + 4) // dependency id, data size
			el := &node{kind: kindElem, name: p.name(c)}
			if tok&0x40 != 0 {
				c.take(4) // attribute list size
			}
			cur = nil
			add(el)
			if len(stack) > 64 {
				return nil, errTooDeep
			}
			stack = append(stack, el)
		case 0x02: // close start element
			cur = nil
		case 0x03, 0x04: // close empty element, end element
			cur = nil
			if len(stack) == 1 {
				return nil, fmt.Errorf("eventlog: unbalanced end element at %d", c.pos-1)
			}
			stack = stack[:len(stack)-1]
		case 0x05: // value text: type, count, UTF-16
			c.take(1)
			n := int(c.u16())
			add(&node{kind: kindText, name: utf16String(c.take(2 * n))})
		case 0x06: // attribute
			top := stack[len(stack)-1]
			if top == root {
				return nil, fmt.Errorf("eventlog: attribute outside an element at %d", c.pos-1)
			}
			top.attrs = append(top.attrs, attr{name: p.name(c)})
			cur = &top.attrs[len(top.attrs)-1]
		case 0x07: // CDATA
			n := int(c.u16())
			add(&node{kind: kindText, name: utf16String(c.take(2 * n))})
		case 0x08: // character reference
			add(&node{kind: kindText, name: string(rune(c.u16()))})
		case 0x09: // entity reference
			add(&node{kind: kindText, name: entity(p.name(c))})
		case 0x0a: // processing instruction target
			p.name(c)
		case 0x0b: // processing instruction data
			c.take(2 * int(c.u16()))
		case 0x0c:
			n, err := p.instance(c, depth)
			if err != nil {
				return nil, err
			}
			add(n)
		case 0x0d, 0x0e: // normal, optional substitution: id, value type
			id := c.u16()
			c.take(1)
			add(&node{kind: kindSubst, subID: id, optional: tok&^0x40 == 0x0e})
		case 0x0f: // fragment header: major, minor, flags
			c.take(3)
		default:
			return nil, fmt.Errorf("eventlog: unknown binxml token 0x%02x at %d", tok, c.pos-1)
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	return root.children, nil
}

// instance parses a template instance: an unknown byte, the template id,
// the definition offset (the definition follows inline when it points
// here), then the value count, the (size, type) descriptors and the values.
func (p *chunkParser) instance(c *cursor, depth int) (*node, error) {
	c.take(1 + 4)
	off := c.u32()
	if c.err != nil {
		return nil, c.err
	}
	t := p.template(off, depth)
	if t.err != nil {
		return nil, t.err
	}
	if int(off) == c.pos {
		c.take(20)
		c.take(int(c.u32()))
	}
	n := c.u32()
	if c.err != nil {
		return nil, c.err
	}
	if uint64(n) > uint64(c.end-c.pos)/4 {
		return nil, fmt.Errorf("eventlog: %d template values cannot fit in %d bytes", n, c.end-c.pos)
	}
	count := int(n)
	desc := c.take(4 * count)
	if c.err != nil {
		return nil, c.err
	}
	vals := make([]value, count)
	for i := range vals {
		size := int(binary.LittleEndian.Uint16(desc[4*i:]))
		start := c.pos // before take: operand order in a literal is unspecified
		vals[i] = value{typ: desc[4*i+2], pos: start, data: c.take(size)}
	}
	if c.err != nil {
		return nil, c.err
	}
	return &node{kind: kindInstance, tmpl: t, vals: vals}, nil
}

func entity(name string) string {
	switch name {
	case "amp":
		return "&"
	case "lt":
		return "<"
	case "gt":
		return ">"
	case "quot":
		return `"`
	case "apos":
		return "'"
	}
	return "&" + name + ";"
}
