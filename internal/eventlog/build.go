package eventlog

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/evidence"
)

// field is one named value of a record.
type field struct{ name, value string }

// fieldList implements evidence.Fields over a small slice: events carry
// 10–40 fields, where a linear scan beats building a map per record, and
// a miss (the common case for rules asking about absent fields) costs no
// hashing.
type fieldList []field

// Get implements evidence.Fields: an exact match first, then a
// case-insensitive one, then one that ignores the spaces of the record's
// names: Defender writes "Source Name" and "Threat Name" where the Sigma
// taxonomy and SigmaHQ's rules write SourceName and ThreatName.
func (f fieldList) Get(name string) (string, bool) {
	for i := range f {
		if f[i].name == name {
			return f[i].value, true
		}
	}
	for i := range f {
		if strings.EqualFold(f[i].name, name) {
			return f[i].value, true
		}
	}
	for i := range f {
		// A name with spaces is longer than its spaceless form.
		if len(f[i].name) > len(name) && equalFoldNoSpace(f[i].name, name) {
			return f[i].value, true
		}
	}
	return "", false
}

// equalFoldNoSpace reports whether spaced, with its spaces removed, equals
// name case-insensitively; name itself holds no space.
func equalFoldNoSpace(spaced, name string) bool {
	j := 0
	for i := 0; i < len(spaced); i++ {
		c := spaced[i]
		if c == ' ' {
			continue
		}
		if j == len(name) || lowerASCII(c) != lowerASCII(name[j]) || name[j] == ' ' {
			return false
		}
		j++
	}
	return j == len(name) && j < len(spaced)
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// front moves the named field to index 0, or adds it empty.
func (f *fieldList) front(name string) {
	l := *f
	for i := range l {
		if l[i].name == name {
			x := l[i]
			copy(l[1:i+1], l[:i])
			l[0] = x
			return
		}
	}
	*f = append(fieldList{{name, ""}}, l...)
}

// Range implements evidence.Fields, in document order after Channel and
// EventID.
func (f fieldList) Range(fn func(name, value string) bool) {
	for _, x := range f {
		if !fn(x.name, x.value) {
			return
		}
	}
}

// builder walks a record's parsed BinXML and collects its fields.
type builder struct {
	p       *chunkParser
	fields  fieldList
	unnamed []string
	path    []string
	out     int
	time    time.Time
}

// record parses the record at chunk offset pos. A panic in the decoder is
// a bug, but it must not take a hunt down with it, so it becomes an error
// for this one record (STYLE.md rule 7).
func (p *chunkParser) record(pos, size int, source string) (rec *evidence.Record, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("eventlog: decoder panic: %v", r)
		}
	}()
	id := binary.LittleEndian.Uint64(p.buf[pos+8:])
	written := fileTime(binary.LittleEndian.Uint64(p.buf[pos+16:]))
	if p.chunkSteps > maxChunkSteps || p.chunkOut > maxChunkOutput {
		return nil, errTooComplex
	}
	p.steps, p.b.out = 0, 0
	defer func() { p.chunkSteps += p.steps; p.chunkOut += p.b.out }()
	c := &cursor{buf: p.buf, pos: pos + recordHeader, end: pos + size - 4}
	nodes, err := p.fragment(c, 0)
	if err != nil {
		return nil, err
	}
	b := &p.b
	*b = builder{p: p, fields: make(fieldList, 0, 32), unnamed: b.unnamed[:0], path: b.path[:0]}
	if _, _, err := b.walk(nodes, nil, 0); err != nil {
		return nil, err
	}
	if len(b.unnamed) > 0 {
		b.add("Data", strings.Join(b.unnamed, "\n"))
	}
	// The header id and EventRecordID differ in exported (filtered) logs;
	// EventRecordID is what Event Viewer shows, so it wins.
	if s, ok := b.fields.Get("EventRecordID"); !ok {
		b.add("EventRecordID", strconv.FormatUint(id, 10))
	} else if n, err := strconv.ParseUint(s, 10, 63); err == nil {
		id = n
	}
	if b.time.IsZero() {
		b.time = written
		b.add("TimeCreated", written.Format(timeLayout))
	}
	// Every Windows rule asks for Channel and EventID first: put them first.
	b.fields.front("EventID")
	b.fields.front("Channel")
	channel := b.fields[0].value
	return &evidence.Record{
		Source: source,
		Line:   int64(id),
		Time:   b.time,
		Log:    evidence.LogSource{Product: "windows", Service: Service(channel)},
		Fields: b.fields,
	}, nil
}

// Service maps an event log channel to the short Sigma-style service name
// used in evidence.LogSource.
func Service(channel string) string {
	switch channel {
	case "Security":
		return "security"
	case "System":
		return "system"
	case "Application":
		return "application"
	case "Microsoft-Windows-Sysmon/Operational":
		return "sysmon"
	case "Microsoft-Windows-PowerShell/Operational":
		return "powershell"
	case "Windows PowerShell":
		return "powershell-classic"
	case "MSExchange Management":
		return "msexchange-management"
	case "Microsoft-Windows-Windows Defender/Operational":
		return "windefend"
	}
	return strings.ToLower(channel)
}

func (b *builder) add(name, v string) {
	for i := range b.fields {
		if b.fields[i].name == name {
			// Each append copies the value so far: count that against
			// the output budget, or many repeats would cost quadratic time.
			b.out += len(b.fields[i].value)
			b.fields[i].value += "\n" + v
			return
		}
	}
	if len(b.fields) >= maxFields {
		b.out = maxOutput + 1 // fails the record at the next check
		return
	}
	b.fields = append(b.fields, field{name, v})
}

// walk visits nodes with the substitution values of their template and
// returns the text they hold and whether they hold elements.
func (b *builder) walk(nodes []*node, vals []value, depth int) (string, bool, error) {
	var text string
	var long []string // only when an element mixes several text pieces
	hasElem := false
	appendText := func(s string) {
		switch {
		case s == "":
		case text == "" && long == nil:
			text = s
		default:
			if long == nil {
				long = []string{text}
			}
			long = append(long, s)
		}
	}
	for _, n := range nodes {
		b.p.steps++
		if b.p.steps > maxSteps {
			return "", false, errTooComplex
		}
		switch n.kind {
		case kindText:
			appendText(n.name)
		case kindSubst:
			if int(n.subID) >= len(vals) {
				continue
			}
			v := vals[n.subID]
			if v.typ == typeBinXML {
				if err := b.nested(v, depth); err != nil {
					return "", false, err
				}
				hasElem = true
				continue
			}
			s := render(v)
			b.out += len(s)
			if b.out > maxOutput {
				return "", false, errTooComplex
			}
			appendText(s)
		case kindInstance:
			if depth >= maxNesting {
				return "", false, errTooDeep
			}
			if _, _, err := b.walk(n.tmpl.nodes, n.vals, depth+1); err != nil {
				return "", false, err
			}
			hasElem = true
		case kindElem:
			if err := b.element(n, vals, depth); err != nil {
				return "", false, err
			}
			hasElem = true
		}
	}
	if long != nil {
		text = strings.Join(long, "")
	}
	return text, hasElem, nil
}

// nested walks a BinXml substitution value: a fragment of its own,
// usually one more template instance (UserData is often carried so).
func (b *builder) nested(v value, depth int) error {
	if depth >= maxNesting {
		return errTooDeep
	}
	c := &cursor{buf: b.p.buf, pos: v.pos, end: v.pos + len(v.data)}
	nodes, err := b.p.fragment(c, depth+1)
	if err != nil {
		return err
	}
	_, _, err = b.walk(nodes, nil, depth+1)
	return err
}

// element walks one element and records what it carries, by where it
// sits: Event/System/X, Event/EventData/Data, Event/UserData/.../leaf.
func (b *builder) element(n *node, vals []value, depth int) error {
	if len(b.path) >= 64 {
		return errTooDeep
	}
	b.path = append(b.path, n.name)
	defer func() { b.path = b.path[:len(b.path)-1] }()
	text, hasElem, err := b.walk(n.children, vals, depth)
	if err != nil {
		return err
	}
	level := len(b.path)
	if level < 3 {
		return nil
	}
	switch b.path[1] {
	case "System":
		if level != 3 {
			return nil
		}
		for _, a := range n.attrs {
			v := b.attr(a, vals)
			if v == "" || a.name == "xmlns" {
				continue
			}
			if n.name == "TimeCreated" && a.name == "SystemTime" {
				if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
					b.time = t.UTC()
				}
				b.add("TimeCreated", v)
				continue
			}
			b.add(n.name+"_"+a.name, v)
		}
		if text != "" || (len(n.attrs) == 0 && !hasElem) {
			b.add(n.name, text)
		}
	case "EventData":
		if level != 3 {
			return nil
		}
		switch n.name {
		case "Data":
			if name := b.named(n, vals); name != "" {
				b.add(name, text)
			} else {
				b.unnamed = append(b.unnamed, text)
			}
		case "Binary":
			b.add("Binary", text)
		}
	case "UserData":
		if !hasElem {
			b.add(n.name, text)
		}
	}
	if b.out > maxOutput {
		return errTooComplex
	}
	return nil
}

// named returns the Name attribute of an EventData Data element.
func (b *builder) named(n *node, vals []value) string {
	for _, a := range n.attrs {
		if a.name == "Name" {
			return b.attr(a, vals)
		}
	}
	return ""
}

// attr renders an attribute value from its literal and substituted parts,
// stopping at the output budget (the caller then fails the record).
func (b *builder) attr(a attr, vals []value) string {
	if len(a.parts) == 1 && a.parts[0].kind == kindText {
		return a.parts[0].name
	}
	var s strings.Builder
	for _, p := range a.parts {
		if b.out+s.Len() > maxOutput {
			break
		}
		switch {
		case p.kind == kindText:
			s.WriteString(p.name)
		case p.kind == kindSubst && int(p.subID) < len(vals):
			s.WriteString(render(vals[p.subID]))
		}
	}
	b.out += s.Len()
	return s.String()
}
