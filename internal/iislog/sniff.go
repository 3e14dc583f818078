package iislog

import (
	"bytes"
	"compress/gzip"
	"io"
)

// Sniff reports whether head, the first bytes of a file, look like an IIS
// W3C log: a "#Software: Microsoft Internet Information Services" directive
// or a "#Fields: date time" header near the top. Gzip heads are looked into.
func Sniff(head []byte) bool {
	if len(head) > 1 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(bytes.NewReader(head))
		if err != nil {
			return false
		}
		buf := make([]byte, 4096)
		n, _ := io.ReadFull(gz, buf)
		head = buf[:n]
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	return bytes.Contains(head, []byte("#Software: Microsoft Internet Information Services")) ||
		bytes.Contains(head, []byte("#Fields: date time"))
}
