package eventlog

import (
	"time"

	"github.com/exhunt/exhunt/internal/eventlog/evtxtest"
)

// The EVTX writer lives in evtxtest, shared with examples/gen. This file
// keeps the short names this package's tests were written with.

// bx is evtxtest.Writer under the names the crafted records of
// corrupt_test.go use; those tests also reach into b and base directly.
type bx struct {
	base int
	b    []byte
}

// with runs f on an evtxtest.Writer over x's bytes.
func (x *bx) with(f func(w *evtxtest.Writer)) {
	w := evtxtest.Writer{Base: x.base, Buf: x.b}
	f(&w)
	x.b = w.Buf
}

func (x *bx) u8(v uint8)                 { x.with(func(w *evtxtest.Writer) { w.U8(v) }) }
func (x *bx) u16(v uint16)               { x.with(func(w *evtxtest.Writer) { w.U16(v) }) }
func (x *bx) u32(v uint32)               { x.with(func(w *evtxtest.Writer) { w.U32(v) }) }
func (x *bx) pos() int                   { return x.base + len(x.b) }
func (x *bx) fragment()                  { x.with((*evtxtest.Writer).Fragment) }
func (x *bx) eof()                       { x.with((*evtxtest.Writer).EOF) }
func (x *bx) open(name string, a bool)   { x.with(func(w *evtxtest.Writer) { w.Open(name, a) }) }
func (x *bx) attr(name string, m bool)   { x.with(func(w *evtxtest.Writer) { w.Attr(name, m) }) }
func (x *bx) text(s string)              { x.with(func(w *evtxtest.Writer) { w.Text(s) }) }
func (x *bx) closeStart()                { x.with((*evtxtest.Writer).CloseStart) }
func (x *bx) closeEmpty()                { x.with((*evtxtest.Writer).CloseEmpty) }
func (x *bx) end()                       { x.with((*evtxtest.Writer).End) }
func (x *bx) subst(id uint16, typ uint8) { x.with(func(w *evtxtest.Writer) { w.Subst(id, typ) }) }
func (x *bx) elem(name, text string)     { x.with(func(w *evtxtest.Writer) { w.Elem(name, text) }) }
func (x *bx) elemAttr(name, attr, value string) {
	x.with(func(w *evtxtest.Writer) { w.ElemAttr(name, attr, value) })
}

func utf16le(s string) []byte { return evtxtest.UTF16LE(s) }

// classicEvent writes an Event without templates, the shape of a classic
// (pre-Vista style) provider: System without TimeCreated (the reader falls
// back to the record header time) and unnamed Data items.
func classicEvent(channel, provider string, id, level string, data ...string) func(base int) []byte {
	items := make([]evtxtest.NameValue, len(data))
	for i, d := range data {
		items[i] = evtxtest.NameValue{Value: d}
	}
	return evtxtest.Event(channel, provider, id, level, time.Time{}, "EX01.corp.example", items...).Body
}

// synthChunk builds one 64 KiB chunk holding the records whose BinXML
// bodies the functions return, with valid checksums; record header times
// start at 2021-02-17T01:46:40Z, one second apart.
func synthChunk(firstID uint64, bodies ...func(base int) []byte) []byte {
	recs := make([]evtxtest.Record, len(bodies))
	for i, b := range bodies {
		recs[i] = evtxtest.Record{Body: b}
	}
	return evtxtest.Chunk(firstID, recs...)
}

// synthFile puts a file header in front of chunks.
func synthFile(chunks ...[]byte) []byte { return evtxtest.File(chunks...) }
