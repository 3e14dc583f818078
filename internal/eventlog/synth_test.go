package eventlog

import (
	"encoding/binary"
	"hash/crc32"
	"unicode/utf16"
)

// This file builds small EVTX files byte by byte, so tests can state
// exactly what a record holds and craft the corrupt shapes real samples
// do not have.

// bx writes BinXML for a record whose BinXML starts at chunk offset base.
type bx struct {
	base int
	b    []byte
}

func (x *bx) u8(v uint8)   { x.b = append(x.b, v) }
func (x *bx) u16(v uint16) { x.b = binary.LittleEndian.AppendUint16(x.b, v) }
func (x *bx) u32(v uint32) { x.b = binary.LittleEndian.AppendUint32(x.b, v) }
func (x *bx) pos() int     { return x.base + len(x.b) }

func utf16le(s string) []byte {
	var out []byte
	for _, u := range utf16.Encode([]rune(s)) {
		out = binary.LittleEndian.AppendUint16(out, u)
	}
	return out
}

// name writes an inline name: offset pointing here, then the name.
func (x *bx) name(s string) {
	x.u32(uint32(x.pos() + 4))
	x.u32(0) // next name offset
	x.u16(0) // hash, not checked by readers
	x.u16(uint16(len(utf16.Encode([]rune(s)))))
	x.b = append(x.b, utf16le(s)...)
	x.u16(0)
}

func (x *bx) fragment() { x.b = append(x.b, 0x0f, 1, 1, 0) }
func (x *bx) eof()      { x.u8(0x00) }

// open starts an element; attrs are written by the caller before close.
func (x *bx) open(name string, hasAttrs bool) {
	if hasAttrs {
		x.u8(0x41)
	} else {
		x.u8(0x01)
	}
	x.u16(0xffff)
	x.u32(0) // data size, not used by readers
	x.name(name)
	if hasAttrs {
		x.u32(0)
	}
}

func (x *bx) attr(name string, more bool) {
	if more {
		x.u8(0x46)
	} else {
		x.u8(0x06)
	}
	x.name(name)
}

func (x *bx) text(s string) {
	x.u8(0x05)
	x.u8(0x01)
	x.u16(uint16(len(utf16.Encode([]rune(s)))))
	x.b = append(x.b, utf16le(s)...)
}

func (x *bx) closeStart() { x.u8(0x02) }
func (x *bx) closeEmpty() { x.u8(0x03) }
func (x *bx) end()        { x.u8(0x04) }
func (x *bx) subst(id uint16, typ uint8) {
	x.u8(0x0d)
	x.u16(id)
	x.u8(typ)
}

// elem writes <name>text</name>.
func (x *bx) elem(name, text string) {
	x.open(name, false)
	x.closeStart()
	x.text(text)
	x.end()
}

// elemAttr writes <name attr="value"/>.
func (x *bx) elemAttr(name, attr, value string) {
	x.open(name, true)
	x.attr(attr, false)
	x.text(value)
	x.closeEmpty()
}

// classicEvent writes an Event without templates, the shape of a
// classic (pre-Vista style) provider: System and unnamed Data items.
func classicEvent(channel, provider string, id, level string, data ...string) func(base int) []byte {
	return func(base int) []byte {
		x := &bx{base: base}
		x.fragment()
		x.open("Event", false)
		x.closeStart()
		x.open("System", false)
		x.closeStart()
		x.elemAttr("Provider", "Name", provider)
		x.elem("EventID", id)
		x.elem("Level", level)
		x.elem("Channel", channel)
		x.elem("Computer", "EX01.corp.example")
		x.end()
		x.open("EventData", false)
		x.closeStart()
		for _, d := range data {
			x.elem("Data", d)
		}
		x.end()
		x.end()
		x.eof()
		return x.b
	}
}

// synthChunk builds one 64 KiB chunk holding the records whose BinXML
// bodies the functions return, with valid checksums.
func synthChunk(firstID uint64, bodies ...func(base int) []byte) []byte {
	c := make([]byte, chunkSize)
	copy(c, chunkMagic)
	pos, last := chunkHeaderSize, chunkHeaderSize
	le := binary.LittleEndian
	for i, body := range bodies {
		b := body(pos + recordHeader)
		size := recordHeader + len(b) + 4
		copy(c[pos:], recordMagic)
		le.PutUint32(c[pos+4:], uint32(size))
		le.PutUint64(c[pos+8:], firstID+uint64(i))
		le.PutUint64(c[pos+16:], 132580000000000000+uint64(i)*1e7) // 2021-02-17T01:46:40Z
		copy(c[pos+recordHeader:], b)
		le.PutUint32(c[pos+size-4:], uint32(size))
		last = pos
		pos += size
	}
	le.PutUint64(c[0x08:], 1)
	le.PutUint64(c[0x10:], uint64(len(bodies)))
	le.PutUint64(c[0x18:], firstID)
	le.PutUint64(c[0x20:], firstID+uint64(len(bodies))-1)
	le.PutUint32(c[0x28:], 0x80)
	le.PutUint32(c[0x2c:], uint32(last))
	le.PutUint32(c[0x30:], uint32(pos))
	le.PutUint32(c[0x34:], crc32.ChecksumIEEE(c[chunkHeaderSize:pos]))
	sum := crc32.ChecksumIEEE(c[:0x78])
	le.PutUint32(c[0x7c:], crc32.Update(sum, crc32.IEEETable, c[0x80:chunkHeaderSize]))
	return c
}

// synthFile puts a file header in front of chunks.
func synthFile(chunks ...[]byte) []byte {
	h := make([]byte, fileHeaderSize)
	copy(h, fileMagic)
	le := binary.LittleEndian
	le.PutUint32(h[0x20:], 0x80)
	le.PutUint16(h[0x24:], 2)
	le.PutUint16(h[0x26:], 3)
	le.PutUint16(h[0x28:], fileHeaderSize)
	le.PutUint16(h[0x2a:], uint16(len(chunks)))
	le.PutUint32(h[0x7c:], crc32.ChecksumIEEE(h[:0x78]))
	for _, c := range chunks {
		h = append(h, c...)
	}
	return h
}
