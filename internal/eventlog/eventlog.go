package eventlog

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/exhunt/exhunt/internal/evidence"
)

// Layout of an .evtx file, from the libyal "Windows XML Event Log (EVTX)"
// format description (github.com/libyal/libevtx, documentation/).
const (
	fileHeaderSize  = 4096
	chunkSize       = 65536
	chunkHeaderSize = 512
	recordHeader    = 24 // magic, size, record id, FILETIME
	maxWarnings     = 32
)

var (
	fileMagic   = []byte("ElfFile\x00")
	chunkMagic  = []byte("ElfChnk\x00")
	recordMagic = []byte("\x2a\x2a\x00\x00")
)

// ErrNotEVTX is returned by Read when the file does not start with the
// EVTX file magic.
var ErrNotEVTX = errors.New("eventlog: not an EVTX file (no ElfFile magic)")

// Stats says how much of a file was read and what was skipped.
type Stats struct {
	Chunks     int64    // chunks found (64 KiB blocks with the chunk magic or garbage)
	BadChunks  int64    // chunks that were garbage, truncated or failed a checksum
	Records    int64    // records handed to fn
	BadRecords int64    // records that failed validation or parsing and were skipped
	Warnings   []string // what went wrong, where; at most 32 plus a count line
	// Truncated says the file is shorter than its header says (or than
	// the header itself): the first warning says how much was readable.
	Truncated bool
}

func (s *Stats) warn(format string, args ...any) {
	switch {
	case len(s.Warnings) < maxWarnings:
		s.Warnings = append(s.Warnings, fmt.Sprintf(format, args...))
	case len(s.Warnings) == maxWarnings:
		s.Warnings = append(s.Warnings, "further warnings suppressed")
	}
}

// IsEVTX reports whether header starts with the EVTX file magic
// "ElfFile\x00".
func IsEVTX(header []byte) bool {
	return bytes.HasPrefix(header, fileMagic)
}

// Read parses the EVTX file r of the given size and calls fn once per
// event record, in file order. source becomes Record.Source. fn may keep
// the record. An error from fn stops the read and is returned wrapped; so
// is ctx.Err(), checked between chunks. Corruption is not an error: it is
// counted in Stats. Read fails only when the file is not EVTX, cannot be
// read, or fn or ctx stop it.
func Read(ctx context.Context, r io.ReaderAt, size int64, source string, fn func(*evidence.Record) error) (st Stats, err error) {
	hdr := make([]byte, fileHeaderSize)
	n, err := r.ReadAt(hdr, 0)
	if n < len(fileMagic) || !IsEVTX(hdr[:n]) {
		if err != nil && !errors.Is(err, io.EOF) {
			return st, fmt.Errorf("eventlog: read header of %s: %w", source, err)
		}
		return st, ErrNotEVTX
	}
	if n >= 128 {
		if binary.LittleEndian.Uint32(hdr[0x78:])&1 != 0 {
			st.warn("file header is marked dirty (not closed cleanly); last chunks may be stale")
		}
		if sum := crc32.ChecksumIEEE(hdr[:0x78]); sum != binary.LittleEndian.Uint32(hdr[0x7c:]) {
			st.warn("file header checksum mismatch")
		}
	}
	// The header's chunk count is not trusted: dirty files often hold more
	// chunks than it says, so every 64 KiB block up to size is tried. A
	// file shorter than the count (or than the header) was cut short.
	declared := int64(-1)
	if n >= 0x2c {
		declared = int64(binary.LittleEndian.Uint16(hdr[0x2a:]))
	}
	defer func() { st.truncation(size, declared) }()
	p := newChunkParser()
	for off := int64(fileHeaderSize); off < size; off += chunkSize {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		n, err := r.ReadAt(p.buf, off)
		if n < chunkSize && err != nil && !errors.Is(err, io.EOF) {
			return st, fmt.Errorf("eventlog: read chunk at %d of %s: %w", off, source, err)
		}
		if n == 0 {
			break // size said more than the reader has
		}
		if err := p.chunk(&st, off, n, source, fn); err != nil {
			return st, err
		}
	}
	return st, nil
}

// truncation puts first among the warnings how much of a cut-short file
// was readable: the per-chunk warnings alone, or none when the cut falls
// in the file header, left "no timestamped records" as the only trace.
func (st *Stats) truncation(size, declared int64) {
	var msg string
	good := st.Chunks - st.BadChunks
	switch {
	case size < fileHeaderSize:
		msg = fmt.Sprintf("file is truncated: %d bytes, shorter than the %d-byte EVTX file header; no chunk and no record readable", size, fileHeaderSize)
	case declared >= 0 && size < fileHeaderSize+declared*chunkSize:
		msg = fmt.Sprintf("file is truncated: %d of the %d bytes its header declares (64 KiB chunks: %d declared, %d read whole, %d cut or damaged); %d records readable",
			size, fileHeaderSize+declared*chunkSize, declared, good, st.BadChunks, st.Records)
	default:
		return
	}
	st.Truncated = true
	st.Warnings = append([]string{msg}, st.Warnings...)
}

// chunk validates the chunk in p.buf[:n] read at file offset off and
// hands its records to fn.
func (p *chunkParser) chunk(st *Stats, off int64, n int, source string, fn func(*evidence.Record) error) error {
	buf := p.buf
	clear(buf[n:])
	if !bytes.HasPrefix(buf, chunkMagic) {
		if isZero(buf[:n]) {
			return nil // unused, pre-allocated space
		}
		st.Chunks++
		st.BadChunks++
		st.warn("chunk at offset %d: no chunk magic, skipped", off)
		return nil
	}
	st.Chunks++
	bad := false
	if n < chunkSize {
		bad = true
		st.warn("chunk at offset %d: truncated to %d bytes, salvaging records", off, n)
	}
	sum := crc32.ChecksumIEEE(buf[:0x78])
	sum = crc32.Update(sum, crc32.IEEETable, buf[0x80:chunkHeaderSize])
	if sum != binary.LittleEndian.Uint32(buf[0x7c:]) && !bad {
		bad = true
		st.warn("chunk at offset %d: header checksum mismatch, salvaging records", off)
	}
	free := int(binary.LittleEndian.Uint32(buf[0x30:]))
	limit := chunkSize
	if free >= chunkHeaderSize && free <= chunkSize {
		limit = free
		if crc32.ChecksumIEEE(buf[chunkHeaderSize:free]) != binary.LittleEndian.Uint32(buf[0x34:]) && !bad {
			bad = true
			st.warn("chunk at offset %d: record data checksum mismatch, salvaging records", off)
		}
	} else if !bad {
		bad = true
		st.warn("chunk at offset %d: free space offset %d out of range, salvaging records", off, free)
	}
	if bad {
		st.BadChunks++
	}
	p.reset()
	pos := chunkHeaderSize
	for pos+recordHeader <= limit {
		if !bytes.Equal(buf[pos:pos+4], recordMagic) {
			if limit == chunkSize && isZero(buf[pos:pos+recordHeader]) {
				break // end of records in a chunk whose free offset was unusable
			}
			st.BadRecords++
			st.warn("chunk at offset %d: no record magic at %d, resyncing", off, pos)
			next := bytes.Index(buf[pos+1:limit], recordMagic)
			if next < 0 {
				break
			}
			pos += 1 + next
			continue
		}
		size := int(binary.LittleEndian.Uint32(buf[pos+4:]))
		if size < recordHeader+4 || pos+size > chunkSize || int(binary.LittleEndian.Uint32(buf[pos+size-4:])) != size {
			st.BadRecords++
			st.warn("chunk at offset %d: record at %d has a bad size %d, resyncing", off, pos, size)
			next := bytes.Index(buf[pos+4:limit], recordMagic)
			if next < 0 {
				break
			}
			pos += 4 + next
			continue
		}
		rec, err := p.record(pos, size, source)
		pos += size
		if err != nil {
			st.BadRecords++
			st.warn("chunk at offset %d: record at %d: %v", off, pos-size, err)
			continue
		}
		st.Records++
		if err := fn(rec); err != nil {
			return fmt.Errorf("eventlog: %s record %d: %w", source, rec.Line, err)
		}
	}
	return nil
}

var zeros [chunkSize]byte

// isZero reports whether b (at most a chunk long) is all zero bytes.
func isZero(b []byte) bool {
	for len(b) > chunkSize {
		if !isZero(b[:chunkSize]) {
			return false
		}
		b = b[chunkSize:]
	}
	return bytes.Equal(b, zeros[:len(b)])
}
