// Package evtxtest writes small, valid Windows XML event log (.evtx)
// files byte by byte: a file header, 64 KiB chunks with correct
// checksums, and records whose BinXML spells out every element inline.
// Tests use it to state exactly what a record holds and to craft shapes
// real samples do not have; examples/gen uses it to write the example
// server's event logs.
//
// It writes no templates and no string or template tables (every name is
// inline), so its files exercise the reader's plain path only; real logs
// in internal/eventlog/testdata cover templates. It is not a general
// event log writer: a chunk holds what fits in 64 KiB, and nothing checks
// the XML is what Event Viewer would accept.
//
// Layout from the libyal "Windows XML Event Log (EVTX)" format
// description (github.com/libyal/libevtx, documentation/).
package evtxtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"time"
)

const (
	fileHeaderSize  = 4096
	chunkSize       = 65536
	chunkHeaderSize = 512
	recordHeader    = 24 // magic, size, record id, FILETIME
)

var (
	fileMagic   = []byte("ElfFile\x00")
	chunkMagic  = []byte("ElfChnk\x00")
	recordMagic = []byte("\x2a\x2a\x00\x00")
)

// defaultWritten is the header time of a record that gives none,
// 2021-02-17T01:46:40Z as a FILETIME; each further record adds a second.
const defaultWritten = 132580000000000000

// Record is one event record for Chunk.
type Record struct {
	// Time is written into the record header. The reader takes it as the
	// event time only when the BinXML has no TimeCreated. Zero means
	// 2021-02-17T01:46:40Z plus one second per record before it in the chunk.
	Time time.Time
	// Body returns the record's BinXML, which starts at chunk offset base.
	Body func(base int) []byte
}

// NameValue is one EventData item: <Data Name="Name">Value</Data>, or an
// unnamed <Data>Value</Data> (classic providers, MSExchange) when Name is
// empty.
type NameValue struct{ Name, Value string }

// Pairs turns name, value, name, value, ... into NameValues. An odd count
// is a bug in the caller and panics.
func Pairs(nameValue ...string) []NameValue {
	if len(nameValue)%2 != 0 {
		panic(fmt.Sprintf("evtxtest.Pairs: odd number of strings (%d)", len(nameValue)))
	}
	out := make([]NameValue, 0, len(nameValue)/2)
	for i := 0; i < len(nameValue); i += 2 {
		out = append(out, NameValue{Name: nameValue[i], Value: nameValue[i+1]})
	}
	return out
}

// Event returns a record without templates:
//
//	<Event><System><Provider Name=provider/><EventID/><Level/>
//	<TimeCreated SystemTime=systemTime/><Channel/><Computer/></System>
//	<EventData><Data Name=...>...</Data>...</EventData></Event>
//
// A zero systemTime leaves TimeCreated out (the reader then uses the
// record header time) and an empty computer leaves Computer out. The
// header time is systemTime. EventRecordID is not written: the reader
// takes the record id Chunk puts in the header.
func Event(channel, provider, eventID, level string, systemTime time.Time, computer string, data ...NameValue) Record {
	return Record{Time: systemTime, Body: func(base int) []byte {
		w := &Writer{Base: base}
		w.Fragment()
		w.Open("Event", false)
		w.CloseStart()
		w.Open("System", false)
		w.CloseStart()
		w.ElemAttr("Provider", "Name", provider)
		w.Elem("EventID", eventID)
		w.Elem("Level", level)
		if !systemTime.IsZero() {
			w.ElemAttr("TimeCreated", "SystemTime", systemTime.UTC().Format("2006-01-02T15:04:05.0000000Z"))
		}
		w.Elem("Channel", channel)
		if computer != "" {
			w.Elem("Computer", computer)
		}
		w.End()
		w.Open("EventData", false)
		w.CloseStart()
		for _, d := range data {
			if d.Name == "" {
				w.Elem("Data", d.Value)
			} else {
				w.ElemAttrText("Data", "Name", d.Name, d.Value)
			}
		}
		w.End()
		w.End()
		w.EOF()
		return w.Buf
	}}
}

// fileTime converts t to a Windows FILETIME (100 ns since 1601-01-01 UTC).
func fileTime(t time.Time) uint64 {
	return uint64(t.UnixNano()/100) + 116444736000000000
}

// Chunk builds one 64 KiB chunk holding recs with record ids firstID,
// firstID+1, ..., and valid header and data checksums. Records that do
// not fit in one chunk are a bug in the caller and panic.
func Chunk(firstID uint64, recs ...Record) []byte {
	c := make([]byte, chunkSize)
	copy(c, chunkMagic)
	pos, last := chunkHeaderSize, chunkHeaderSize
	le := binary.LittleEndian
	for i, r := range recs {
		b := r.Body(pos + recordHeader)
		size := recordHeader + len(b) + 4
		if pos+size > chunkSize {
			panic(fmt.Sprintf("evtxtest.Chunk: record %d of %d does not fit in a 64 KiB chunk", i+1, len(recs)))
		}
		written := uint64(defaultWritten) + uint64(i)*1e7
		if !r.Time.IsZero() {
			written = fileTime(r.Time)
		}
		copy(c[pos:], recordMagic)
		le.PutUint32(c[pos+4:], uint32(size))
		le.PutUint64(c[pos+8:], firstID+uint64(i))
		le.PutUint64(c[pos+16:], written)
		copy(c[pos+recordHeader:], b)
		le.PutUint32(c[pos+size-4:], uint32(size))
		last = pos
		pos += size
	}
	le.PutUint64(c[0x08:], 1)                           // first record number
	le.PutUint64(c[0x10:], uint64(len(recs)))           // last record number
	le.PutUint64(c[0x18:], firstID)                     // first record id
	le.PutUint64(c[0x20:], firstID+uint64(len(recs))-1) // last record id
	le.PutUint32(c[0x28:], 0x80)                        // header size
	le.PutUint32(c[0x2c:], uint32(last))                // last record offset
	le.PutUint32(c[0x30:], uint32(pos))                 // free space offset
	le.PutUint32(c[0x34:], crc32.ChecksumIEEE(c[chunkHeaderSize:pos]))
	sum := crc32.ChecksumIEEE(c[:0x78])
	le.PutUint32(c[0x7c:], crc32.Update(sum, crc32.IEEETable, c[0x80:chunkHeaderSize]))
	return c
}

// Chunks packs recs, in order, into as few chunks as hold them, with
// record ids from firstID up.
func Chunks(firstID uint64, recs ...Record) [][]byte {
	var out [][]byte
	for len(recs) > 0 {
		n, used := 0, chunkHeaderSize
		for n < len(recs) {
			// A body's length does not depend on where it starts.
			size := recordHeader + len(recs[n].Body(0)) + 4
			if used+size > chunkSize && n > 0 {
				break
			}
			used += size
			n++
		}
		out = append(out, Chunk(firstID, recs[:n]...))
		firstID += uint64(n)
		recs = recs[n:]
	}
	return out
}

// File puts a clean (not dirty) file header in front of chunks. The
// chunks are used as given, so tests may pass corrupt or short ones; the
// header's last chunk number and next record id come from the chunks that
// carry the chunk magic.
func File(chunks ...[]byte) []byte {
	h := make([]byte, fileHeaderSize)
	copy(h, fileMagic)
	le := binary.LittleEndian
	var next uint64
	for _, c := range chunks {
		if len(c) >= 0x28 && bytes.HasPrefix(c, chunkMagic) {
			next = max(next, le.Uint64(c[0x20:])+1)
		}
	}
	if len(chunks) > 0 {
		le.PutUint64(h[0x10:], uint64(len(chunks)-1)) // last chunk number
	}
	le.PutUint64(h[0x18:], next) // next record id
	le.PutUint32(h[0x20:], 0x80) // header size
	le.PutUint16(h[0x24:], 2)    // minor version
	le.PutUint16(h[0x26:], 3)    // major version
	le.PutUint16(h[0x28:], fileHeaderSize)
	le.PutUint16(h[0x2a:], uint16(len(chunks)))
	le.PutUint32(h[0x7c:], crc32.ChecksumIEEE(h[:0x78]))
	for _, c := range chunks {
		h = append(h, c...)
	}
	return h
}
