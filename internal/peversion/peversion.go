// Package peversion reads the file version of a Windows PE file (an .exe
// or .dll) from the fixed part of its version resource, the
// VS_FIXEDFILEINFO structure that Explorer's "File version" shows: for
// ExSetup.exe and the Microsoft.Exchange.*.dll files that is the Exchange
// build the server runs (15.1.2375.7).
//
// It reads only the headers, the resource directory and the version
// resource, with every size and count checked against the file and
// bounded, so hostile input costs little and fails with an error. It does
// not read the StringFileInfo strings, signatures or anything else.
package peversion

import (
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Version is a file version a.b.c.d.
type Version struct {
	Major, Minor, Build, Revision uint16
}

// String gives "15.1.2375.7".
func (v Version) String() string {
	return fmt.Sprintf("%d.%d.%d.%d", v.Major, v.Minor, v.Build, v.Revision)
}

var (
	// ErrNotPE is wrapped by errors about input that is not a PE file.
	ErrNotPE = errors.New("peversion: not a PE file")
	// ErrNoVersion is returned for a PE file without a readable version
	// resource.
	ErrNoVersion = errors.New("peversion: no version resource")
)

const (
	rtVersion     = 16 // RT_VERSION resource type
	fixedSig      = 0xFEEF04BD
	maxEntries    = 4096     // directory entries looked at per level
	maxVersionRes = 64 << 10 // a version resource is a few KiB
	maxSections   = 96       // the PE loader's own limit
)

// Read returns the file version of the PE file r of the given size.
func Read(r io.ReaderAt, size int64) (v Version, err error) {
	// debug/pe is not hardened against every malformed header; a panic
	// on hostile input becomes an error here.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: malformed headers (%v)", ErrNotPE, p)
		}
	}()
	var magic [2]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil || string(magic[:]) != "MZ" {
		return Version{}, fmt.Errorf("%w: no MZ header", ErrNotPE)
	}
	f, err := pe.NewFile(io.NewSectionReader(r, 0, size))
	if err != nil {
		return Version{}, fmt.Errorf("%w: %v", ErrNotPE, err)
	}
	defer f.Close()
	if len(f.Sections) > maxSections {
		return Version{}, fmt.Errorf("%w: %d sections", ErrNotPE, len(f.Sections))
	}
	rva, ok := resourceRVA(f)
	if !ok {
		return Version{}, ErrNoVersion
	}
	sec := sectionOf(f, rva)
	if sec == nil {
		return Version{}, fmt.Errorf("%w: the resource directory lies in no section", ErrNoVersion)
	}
	res := &resources{r: sec.Open(), base: rva, f: f, size: int64(sec.Size)}
	data, err := res.versionData()
	if err != nil {
		return Version{}, err
	}
	return fixedVersion(data)
}

// resourceRVA is the address of the resource directory (data directory 2).
func resourceRVA(f *pe.File) (uint32, bool) {
	var dirs []pe.DataDirectory
	switch h := f.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		dirs = h.DataDirectory[:min(int(h.NumberOfRvaAndSizes), len(h.DataDirectory))]
	case *pe.OptionalHeader64:
		dirs = h.DataDirectory[:min(int(h.NumberOfRvaAndSizes), len(h.DataDirectory))]
	}
	if len(dirs) <= pe.IMAGE_DIRECTORY_ENTRY_RESOURCE || dirs[pe.IMAGE_DIRECTORY_ENTRY_RESOURCE].VirtualAddress == 0 {
		return 0, false
	}
	return dirs[pe.IMAGE_DIRECTORY_ENTRY_RESOURCE].VirtualAddress, true
}

func sectionOf(f *pe.File, rva uint32) *pe.Section {
	for _, s := range f.Sections {
		if rva >= s.VirtualAddress && uint64(rva) < uint64(s.VirtualAddress)+uint64(max(s.VirtualSize, s.Size)) {
			return s
		}
	}
	return nil
}

// resources reads the resource tree of the section that holds it.
type resources struct {
	r    io.ReadSeeker
	base uint32 // RVA of the section's resource directory
	f    *pe.File
	size int64
}

func (res *resources) readAt(off int64, b []byte) error {
	if off < 0 || off+int64(len(b)) > res.size {
		return fmt.Errorf("%w: offset %d is outside the resource section", ErrNoVersion, off)
	}
	if _, err := res.r.Seek(off, io.SeekStart); err != nil {
		return err
	}
	_, err := io.ReadFull(res.r, b)
	return err
}

// entry returns the offset (from the directory start, high bit set for a
// subdirectory) of the entry of dir with the given id, or of its first
// entry when id is 0.
func (res *resources) entry(dir int64, id uint32) (uint32, error) {
	var hdr [16]byte
	if err := res.readAt(dir, hdr[:]); err != nil {
		return 0, err
	}
	named := int(binary.LittleEndian.Uint16(hdr[12:]))
	ids := int(binary.LittleEndian.Uint16(hdr[14:]))
	n := min(named+ids, maxEntries)
	var e [8]byte
	for i := range n {
		if err := res.readAt(dir+16+int64(i)*8, e[:]); err != nil {
			return 0, err
		}
		name := binary.LittleEndian.Uint32(e[:])
		if id == 0 || name == id {
			return binary.LittleEndian.Uint32(e[4:]), nil
		}
	}
	return 0, fmt.Errorf("%w: no RT_VERSION entry", ErrNoVersion)
}

// versionData walks type RT_VERSION, its first name and first language,
// and reads the resource's bytes.
func (res *resources) versionData() ([]byte, error) {
	off := int64(0)
	for level, id := range []uint32{rtVersion, 0, 0} {
		next, err := res.entry(off, id)
		if err != nil {
			return nil, err
		}
		sub := next&0x80000000 != 0
		off = int64(next &^ 0x80000000)
		if sub != (level < 2) {
			return nil, fmt.Errorf("%w: unexpected resource tree shape", ErrNoVersion)
		}
	}
	var de [16]byte // IMAGE_RESOURCE_DATA_ENTRY
	if err := res.readAt(off, de[:]); err != nil {
		return nil, err
	}
	rva := binary.LittleEndian.Uint32(de[:])
	size := binary.LittleEndian.Uint32(de[4:])
	if size < 92 || size > maxVersionRes {
		return nil, fmt.Errorf("%w: version resource of %d bytes", ErrNoVersion, size)
	}
	sec := sectionOf(res.f, rva)
	if sec == nil {
		return nil, fmt.Errorf("%w: version resource lies in no section", ErrNoVersion)
	}
	data := make([]byte, size)
	if _, err := sec.ReadAt(data, int64(rva-sec.VirtualAddress)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoVersion, err)
	}
	return data, nil
}

// fixedVersion reads VS_VERSIONINFO: wLength, wValueLength, wType, the
// key "VS_VERSION_INFO" in UTF-16 with its NUL, padding to 32 bits, then
// VS_FIXEDFILEINFO, whose dwFileVersionMS and LS hold a.b and c.d.
func fixedVersion(data []byte) (Version, error) {
	const key = "VS_VERSION_INFO"
	for i, c := range key {
		if data[6+2*i] != byte(c) || data[7+2*i] != 0 {
			return Version{}, fmt.Errorf("%w: no VS_VERSION_INFO key", ErrNoVersion)
		}
	}
	if binary.LittleEndian.Uint16(data[2:]) < 52 {
		return Version{}, fmt.Errorf("%w: no fixed file info", ErrNoVersion)
	}
	fixed := data[40:] // 6 + 32 key bytes, aligned to 4
	if binary.LittleEndian.Uint32(fixed) != fixedSig {
		return Version{}, fmt.Errorf("%w: bad VS_FIXEDFILEINFO signature", ErrNoVersion)
	}
	ms := binary.LittleEndian.Uint32(fixed[8:])
	ls := binary.LittleEndian.Uint32(fixed[12:])
	return Version{uint16(ms >> 16), uint16(ms), uint16(ls >> 16), uint16(ls)}, nil
}
