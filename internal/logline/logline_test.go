package logline

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
)

func lines(t *testing.T, r io.Reader, max int, limit int64) ([]string, int, error) {
	t.Helper()
	lr, err := Open(r, limit, max)
	if err != nil {
		return nil, 0, err
	}
	defer lr.Close()
	var out []string
	long := 0
	for {
		l, tooLong, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return out, long, nil
		}
		if err != nil {
			return out, long, err
		}
		if tooLong {
			long++
			continue
		}
		out = append(out, string(l))
	}
}

func TestLines(t *testing.T) {
	huge := strings.Repeat("x", BufSize*3)
	in := "a\r\nb\n" + huge + "\n" + strings.Repeat("y", BufSize+10) + "\nlast"
	got, long, err := lines(t, strings.NewReader(in), BufSize*2, 1<<30)
	if err != nil || long != 1 || len(got) != 4 || got[0] != "a" || got[1] != "b" || len(got[2]) != BufSize+10 || got[3] != "last" {
		t.Errorf("got %d lines (%v), %d too long, %v", len(got), len(got) > 0, long, err)
	}
}

func TestGzipLimit(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, strings.Repeat("line\n", 1000))
	zw.Close()
	if got, _, err := lines(t, bytes.NewReader(buf.Bytes()), 100, 5000); err != nil || len(got) != 1000 {
		t.Errorf("at the limit: %d lines, %v", len(got), err)
	}
	if _, _, err := lines(t, bytes.NewReader(buf.Bytes()), 100, 4999); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
	if _, _, err := lines(t, bytes.NewReader([]byte{0x1f, 0x8b, 1}), 100, 10); err == nil {
		t.Error("broken gzip header accepted")
	}
}
