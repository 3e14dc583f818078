package finding

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"

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
	bw.Write(head)
	if len(r.Findings) == 0 {
		bw.WriteString("[]")
		bw.Write(tail)
		return nil
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
	_, err = bw.Write(tail)
	return err
}
