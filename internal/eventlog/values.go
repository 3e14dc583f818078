package eventlog

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// BinXML value types (libyal libevtx documentation, "Value types").
const (
	typeNull      = 0x00
	typeWString   = 0x01
	typeString    = 0x02
	typeInt8      = 0x03
	typeUint8     = 0x04
	typeInt16     = 0x05
	typeUint16    = 0x06
	typeInt32     = 0x07
	typeUint32    = 0x08
	typeInt64     = 0x09
	typeUint64    = 0x0a
	typeFloat32   = 0x0b
	typeFloat64   = 0x0c
	typeBool      = 0x0d
	typeBinary    = 0x0e
	typeGUID      = 0x0f
	typeSizeT     = 0x10
	typeFileTime  = 0x11
	typeSysTime   = 0x12
	typeSID       = 0x13
	typeHexInt32  = 0x14
	typeHexInt64  = 0x15
	typeBinXML    = 0x21
	typeArrayFlag = 0x80
)

// timeLayout is how Windows renders SystemTime attributes.
const timeLayout = "2006-01-02T15:04:05.0000000Z"

// utf16String decodes little-endian UTF-16, dropping trailing NULs. The
// common all-ASCII case avoids the rune slice.
func utf16String(b []byte) string {
	n := len(b) / 2
	for n > 0 && b[2*n-2] == 0 && b[2*n-1] == 0 {
		n--
	}
	ascii := true
	for i := 0; i < n; i++ {
		if b[2*i+1] != 0 || b[2*i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		var out strings.Builder // its String does not copy
		out.Grow(n)
		for i := 0; i < n; i++ {
			out.WriteByte(b[2*i])
		}
		return out.String()
	}
	u := make([]uint16, n)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// fileTime converts a FILETIME (100 ns ticks since 1601) to UTC.
func fileTime(ft uint64) time.Time {
	const unixAt1601 = 11644473600
	return time.Unix(int64(ft/1e7)-unixAt1601, int64(ft%1e7)*100).UTC()
}

// fixedSize is the byte size of each fixed-size value type; 0 for others.
var fixedSize = [256]uint8{
	typeInt8: 1, typeUint8: 1, typeInt16: 2, typeUint16: 2, typeInt32: 4, typeUint32: 4,
	typeInt64: 8, typeUint64: 8, typeFloat32: 4, typeFloat64: 8, typeGUID: 16,
	typeFileTime: 8, typeSysTime: 16, typeHexInt32: 4, typeHexInt64: 8,
}

// render turns a substitution value into the text Windows shows in its
// XML view. BinXml values are walked by the builder, not rendered here.
func render(v value) string {
	if v.typ&typeArrayFlag != 0 {
		return renderArray(v)
	}
	b := v.data
	switch v.typ {
	case typeNull, typeBinXML:
		return ""
	case typeWString:
		return utf16String(b)
	case typeString:
		return strings.TrimRight(string(b), "\x00")
	case typeBinary:
		return strings.ToUpper(hex.EncodeToString(b))
	}
	if len(b) < int(fixedSize[v.typ]) {
		return strings.ToUpper(hex.EncodeToString(b)) // short value: show raw bytes
	}
	le := binary.LittleEndian
	switch v.typ {
	case typeInt8:
		return strconv.Itoa(int(int8(b[0])))
	case typeUint8:
		return strconv.Itoa(int(b[0]))
	case typeInt16:
		return strconv.Itoa(int(int16(le.Uint16(b))))
	case typeUint16:
		return strconv.Itoa(int(le.Uint16(b)))
	case typeInt32:
		return strconv.Itoa(int(int32(le.Uint32(b))))
	case typeUint32:
		return strconv.FormatUint(uint64(le.Uint32(b)), 10)
	case typeInt64:
		return strconv.FormatInt(int64(le.Uint64(b)), 10)
	case typeUint64:
		return strconv.FormatUint(le.Uint64(b), 10)
	case typeFloat32:
		return strconv.FormatFloat(float64(math.Float32frombits(le.Uint32(b))), 'g', -1, 32)
	case typeFloat64:
		return strconv.FormatFloat(math.Float64frombits(le.Uint64(b)), 'g', -1, 64)
	case typeBool:
		if isZero(b) {
			return "false"
		}
		return "true"
	case typeGUID:
		return guid(b)
	case typeSizeT, typeHexInt32, typeHexInt64:
		switch len(b) {
		case 4:
			return "0x" + strconv.FormatUint(uint64(le.Uint32(b)), 16)
		case 8:
			return "0x" + strconv.FormatUint(le.Uint64(b), 16)
		}
		return strings.ToUpper(hex.EncodeToString(b))
	case typeFileTime:
		return fileTime(le.Uint64(b)).Format(timeLayout)
	case typeSysTime:
		t := time.Date(int(le.Uint16(b)), time.Month(le.Uint16(b[2:])), int(le.Uint16(b[6:])),
			int(le.Uint16(b[8:])), int(le.Uint16(b[10:])), int(le.Uint16(b[12:])),
			int(le.Uint16(b[14:]))*int(time.Millisecond), time.UTC)
		return t.Format(timeLayout)
	case typeSID:
		return sid(b)
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// guid renders a GUID as Windows does: {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX},
// the first three groups little-endian.
func guid(b []byte) string {
	const hexDigits = "0123456789ABCDEF"
	order := [16]int{3, 2, 1, 0, -1, 5, 4, -1, 7, 6, -1, 8, 9, -1, 10, 11}
	out := make([]byte, 0, 38)
	out = append(out, '{')
	for _, i := range order {
		if i < 0 {
			out = append(out, '-')
			continue
		}
		out = append(out, hexDigits[b[i]>>4], hexDigits[b[i]&15])
	}
	for _, c := range b[12:16] {
		out = append(out, hexDigits[c>>4], hexDigits[c&15])
	}
	return string(append(out, '}'))
}

// sid renders a binary security identifier as S-R-A-S1-S2-...
func sid(b []byte) string {
	if len(b) < 8 {
		return strings.ToUpper(hex.EncodeToString(b))
	}
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	var s strings.Builder
	s.WriteString("S-")
	s.WriteString(strconv.Itoa(int(b[0])))
	s.WriteByte('-')
	s.WriteString(strconv.FormatUint(auth, 10))
	for i, n := 8, int(b[1]); n > 0 && i+4 <= len(b); i, n = i+4, n-1 {
		s.WriteByte('-')
		s.WriteString(strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[i:])), 10))
	}
	return s.String()
}

// renderArray renders an array value as its items joined with "\n", the
// way Event Viewer shows one <Data> element per item of a classic event.
// String arrays are NUL-separated; fixed-size items are split by size.
func renderArray(v value) string {
	elem := v.typ &^ typeArrayFlag
	switch elem {
	case typeWString:
		parts := strings.Split(utf16String(v.data), "\x00")
		return strings.Join(parts, "\n")
	case typeString:
		return strings.Join(strings.Split(strings.TrimRight(string(v.data), "\x00"), "\x00"), "\n")
	}
	size := int(fixedSize[elem])
	switch elem {
	case typeBool:
		size = 4
	case typeSizeT:
		size = 8
	}
	if size == 0 || len(v.data)%size != 0 {
		return strings.ToUpper(hex.EncodeToString(v.data))
	}
	parts := make([]string, 0, len(v.data)/size)
	for i := 0; i+size <= len(v.data); i += size {
		parts = append(parts, render(value{typ: elem, data: v.data[i : i+size]}))
	}
	return strings.Join(parts, "\n")
}
