package finding

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"time"

	"github.com/exhunt/exhunt/internal/jsonfmt"
)

// findingsNull is how a HostResult without findings marshals its key:
// an unescaped '"' only opens or closes a JSON string, so the sequence
// cannot occur inside one, and only HostResult has a findings array.
var findingsNull = []byte(`"findings":null`)

// WriteJSON writes results as `exhunt hunt --format json` does: one
// indented object, or an array of them when array is set, followed by a
// newline; with indent false, one compact object per line (jsonl). The
// output is byte for byte json.Marshal's (indented as json.Indent does),
// but the findings, which a flood of attack lines can make tens of
// megabytes of (10 000 kept per rule), are encoded one at a time: the
// whole document is never held in memory.
func WriteJSON(w io.Writer, results []HostResult, array, indent bool) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	prefix := ""
	if array {
		if len(results) == 0 {
			bw.WriteString("[]\n")
			return bw.Flush()
		}
		bw.WriteString("[\n")
		prefix = "  "
	}
	for i := range results {
		if array {
			bw.WriteString(prefix)
		}
		if err := writeResult(bw, &results[i], prefix, indent); err != nil {
			return err
		}
		switch {
		case array && i < len(results)-1:
			bw.WriteString(",\n")
		case array:
			bw.WriteString("\n]\n")
		default:
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}

// writeResult writes one result, its findings one at a time; prefix is
// the indentation of the line it starts on.
func writeResult(bw *bufio.Writer, r *HostResult, prefix string, indent bool) error {
	skel := *r
	skel.Findings = nil
	if len(r.Evidence) > 0 {
		// The evidence list (one entry per file: 51 000 for a small
		// server's hourly logs) is spliced in place of one marked entry,
		// encoded without reflection and indented as it is written.
		skel.Evidence = []FileHash{{Path: evidenceMark}}
	}
	src, err := json.Marshal(&skel)
	if err != nil {
		return err
	}
	at := bytes.Index(src, findingsNull)
	if at < 0 {
		return errors.New("finding: no findings key in a marshalled result")
	}
	head, tail := src[:at+len(findingsNull)-len("null")], src[at+len(findingsNull):]
	inner := "" // the indentation of the findings' elements
	if indent {
		// Indent the skeleton, then find its findings line again.
		out := jsonfmt.Indent(nil, src, prefix, "  ")
		key := []byte(`"findings": null`)
		k := bytes.Index(out, key)
		if k < 0 {
			return errors.New("finding: no findings key in an indented result")
		}
		line := out[bytes.LastIndexByte(out[:k], '\n')+1 : k]
		inner = string(line) + "  "
		head, tail = out[:k+len(key)-len("null")], out[k+len(key):]
	}
	if err := writeEvidence(bw, head, r.Evidence, indent); err != nil {
		return err
	}
	if len(r.Findings) == 0 {
		bw.WriteString("[]")
		return writeEvidence(bw, tail, r.Evidence, indent)
	}
	bw.WriteByte('[')
	var buf []byte
	for i := range r.Findings {
		b, err := json.Marshal(&r.Findings[i])
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		if indent {
			bw.WriteByte('\n')
			bw.WriteString(inner)
			buf = jsonfmt.Indent(buf[:0], b, inner, "  ")
			b = buf
		}
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	if indent {
		bw.WriteByte('\n')
		bw.WriteString(inner[:len(inner)-2])
	}
	bw.WriteByte(']')
	return writeEvidence(bw, tail, r.Evidence, indent)
}

// evidenceMark is the path of the entry that stands for the evidence list
// in a marshalled skeleton: a NUL (no file name holds one) and a random
// part drawn at start, so that no text in the result (a zip entry name in
// a warning) can be taken for it.
var evidenceMark = "\x00exhunt evidence list " + rand.Text()

// writeEvidence writes part, a piece of a marshalled (and maybe indented)
// skeleton, with the marked evidence entry, if part holds it, replaced by
// the entries of ev.
func writeEvidence(bw *bufio.Writer, part []byte, ev []FileHash, indent bool) error {
	m := bytes.Index(part, markJSON)
	if m < 0 {
		_, err := bw.Write(part)
		return err
	}
	start := bytes.LastIndexByte(part[:m], '{')
	end := m + bytes.IndexByte(part[m:], '}') + 1
	if start < 0 || end <= m {
		return errors.New("finding: the evidence mark is not in an object")
	}
	bw.Write(part[:start])
	in := "" // the indentation of the entries' lines
	if indent {
		in = string(part[bytes.LastIndexByte(part[:start], '\n')+1 : start])
	}
	var buf []byte
	for i := range ev {
		if i > 0 {
			bw.WriteByte(',')
			if indent {
				bw.WriteByte('\n')
				bw.WriteString(in)
			}
		}
		var err error
		if buf, err = appendFileHash(buf[:0], &ev[i], in, indent); err != nil {
			return err
		}
		bw.Write(buf)
	}
	_, err := bw.Write(part[end:])
	return err
}

// markJSON is evidenceMark as json.Marshal writes it.
var markJSON = func() []byte {
	b, _ := json.Marshal(evidenceMark)
	return b
}()

// appendFileHash appends h as json.Marshal writes a FileHash, indented as
// json.Indent would inside a line indented by in (TestWriteJSONEvidence
// compares the two on hostile paths).
func appendFileHash(b []byte, h *FileHash, in string, indent bool) ([]byte, error) {
	field := func(name string, first bool) {
		if !first {
			b = append(b, ',')
		}
		if indent {
			b = append(b, '\n')
			b = append(b, in...)
			b = append(b, "  "...)
		}
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		if indent {
			b = append(b, ' ')
		}
	}
	b = append(b, '{')
	field("path", true)
	b = appendString(b, h.Path)
	field("size", false)
	b = strconv.AppendInt(b, h.Size, 10)
	field("sha256", false)
	b = appendString(b, h.SHA256)
	if !h.MTime.IsZero() {
		t, err := h.MTime.MarshalJSON()
		if err != nil {
			return nil, &json.MarshalerError{Type: reflect.TypeFor[time.Time](), Err: err}
		}
		field("mtime", false)
		b = append(b, t...)
	}
	if indent {
		b = append(b, '\n')
		b = append(b, in...)
	}
	return append(b, '}'), nil
}

// appendString appends s as a JSON string the way json.Marshal writes it:
// plain printable ASCII as it is, anything else (control characters,
// quotes, backslashes, <, >, &, non-ASCII) through json.Marshal itself.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
