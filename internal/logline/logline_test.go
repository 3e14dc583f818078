package logline

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
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

// TestPooledBuffers: readers reuse pooled buffers, plain and gzip input
// alternating, without one reader's bytes showing in another's lines; a
// buffer from NewBuffer, peeked at first, is read on from where it is and
// stays the caller's.
func TestPooledBuffers(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, "g1\ng2\n")
	zw.Close()
	for i := range 50 {
		in, want := io.Reader(strings.NewReader(fmt.Sprintf("p%d\nq%d", i, i))), fmt.Sprintf("p%d q%d", i, i)
		if i%2 == 1 {
			in, want = bytes.NewReader(gz.Bytes()), "g1 g2"
		}
		got, _, err := lines(t, in, 100, 1<<20)
		if err != nil || strings.Join(got, " ") != want {
			t.Fatalf("round %d: %q, %v; want %q", i, got, err, want)
		}
	}
	br := NewBuffer(strings.NewReader("#Fields: a\nx\ny"))
	if head, _ := br.Peek(8); string(head) != "#Fields:" {
		t.Fatalf("peek %q", head)
	}
	lr, err := Open(br, 1<<20, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for l, _, err := lr.Next(); err == nil; l, _, err = lr.Next() {
		got = append(got, string(l))
	}
	lr.Close()
	if strings.Join(got, "|") != "#Fields: a|x|y" {
		t.Errorf("lines after a peek: %q", got)
	}
	// Still the caller's: not reset (a released buffer reads from nil).
	if _, err := br.Peek(1); err != io.EOF {
		t.Errorf("the caller's buffer after Close: %v, want io.EOF", err)
	}
	Release(br)
}

// TestCache: a header's value is built once, shared, and rebuilt only
// after the cache filled up and started over.
func TestCache(t *testing.T) {
	var c Cache[*int]
	builds := 0
	build := func() *int { builds++; v := builds; return &v }
	a, b := c.Get([]byte("#Fields: a b"), build), c.Get([]byte("#Fields: a b"), build)
	if a != b || builds != 1 {
		t.Fatalf("built %d times, shared %v", builds, a == b)
	}
	for i := range maxCached {
		c.Get([]byte(fmt.Sprint(i)), build)
	}
	if c.Get([]byte("#Fields: a b"), build) == a || len(c.m) > maxCached {
		t.Errorf("the cache did not start over when full (%d entries)", len(c.m))
	}
}
