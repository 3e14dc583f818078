package evtxtest

import (
	"encoding/binary"
	"unicode/utf16"
)

// Writer appends BinXML tokens for one record. Inline names record their
// own chunk offset, so Writer must know where in the chunk the record's
// BinXML starts: Base. Chunk passes it to every Record body.
//
// Token values follow the libyal EVTX format description
// (github.com/libyal/libevtx, documentation/, "Binary XML").
type Writer struct {
	Base int    // chunk offset of Buf[0]
	Buf  []byte // the BinXML written so far
}

// U8, U16 and U32 append little-endian integers.
func (w *Writer) U8(v uint8)   { w.Buf = append(w.Buf, v) }
func (w *Writer) U16(v uint16) { w.Buf = binary.LittleEndian.AppendUint16(w.Buf, v) }
func (w *Writer) U32(v uint32) { w.Buf = binary.LittleEndian.AppendUint32(w.Buf, v) }

// Pos is the chunk offset the next byte will have.
func (w *Writer) Pos() int { return w.Base + len(w.Buf) }

// UTF16LE encodes s as UTF-16 little endian, without a terminator.
func UTF16LE(s string) []byte {
	var out []byte
	for _, u := range utf16.Encode([]rune(s)) {
		out = binary.LittleEndian.AppendUint16(out, u)
	}
	return out
}

// Name writes an inline name: an offset pointing just past itself, then
// the name structure (next-name offset, hash, length, UTF-16, NUL).
func (w *Writer) Name(s string) {
	w.U32(uint32(w.Pos() + 4))
	w.U32(0) // next name offset
	w.U16(0) // hash, not checked by readers
	w.U16(uint16(len(utf16.Encode([]rune(s)))))
	w.Buf = append(w.Buf, UTF16LE(s)...)
	w.U16(0)
}

// Fragment writes the fragment header (token 0x0f, version 1.1).
func (w *Writer) Fragment() { w.Buf = append(w.Buf, 0x0f, 1, 1, 0) }

// EOF writes the end-of-stream token.
func (w *Writer) EOF() { w.U8(0x00) }

// Open starts an element. With hasAttrs the caller writes the attributes
// (Attr and their values) before CloseStart or CloseEmpty.
func (w *Writer) Open(name string, hasAttrs bool) {
	if hasAttrs {
		w.U8(0x41)
	} else {
		w.U8(0x01)
	}
	w.U16(0xffff) // dependency id
	w.U32(0)      // data size, not used by readers
	w.Name(name)
	if hasAttrs {
		w.U32(0) // attribute list size, not used by readers
	}
}

// Attr starts an attribute; its value follows. more says another
// attribute follows this one.
func (w *Writer) Attr(name string, more bool) {
	if more {
		w.U8(0x46)
	} else {
		w.U8(0x06)
	}
	w.Name(name)
}

// Text writes a literal UTF-16 string value.
func (w *Writer) Text(s string) {
	w.U8(0x05)
	w.U8(0x01)
	w.U16(uint16(len(utf16.Encode([]rune(s)))))
	w.Buf = append(w.Buf, UTF16LE(s)...)
}

// CloseStart ends a start tag that has content; CloseEmpty ends an empty
// element; End closes the element opened last.
func (w *Writer) CloseStart() { w.U8(0x02) }
func (w *Writer) CloseEmpty() { w.U8(0x03) }
func (w *Writer) End()        { w.U8(0x04) }

// Subst writes a normal substitution of template value id of type typ.
func (w *Writer) Subst(id uint16, typ uint8) {
	w.U8(0x0d)
	w.U16(id)
	w.U8(typ)
}

// Elem writes <name>text</name>.
func (w *Writer) Elem(name, text string) {
	w.Open(name, false)
	w.CloseStart()
	w.Text(text)
	w.End()
}

// ElemAttr writes <name attr="value"/>.
func (w *Writer) ElemAttr(name, attr, value string) {
	w.Open(name, true)
	w.Attr(attr, false)
	w.Text(value)
	w.CloseEmpty()
}

// ElemAttrText writes <name attr="value">text</name>, or an empty element
// when text is empty (as Windows writes an empty EventData value).
func (w *Writer) ElemAttrText(name, attr, value, text string) {
	w.Open(name, true)
	w.Attr(attr, false)
	w.Text(value)
	if text == "" {
		w.CloseEmpty()
		return
	}
	w.CloseStart()
	w.Text(text)
	w.End()
}
