package logline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// recorder is a Handler that notes what Scan hands it, with line numbers.
type recorder struct {
	lr   *Reader
	got  []string
	stop error // returned by Data for a line "stop"
}

func (r *recorder) Directive(line []byte) {
	r.got = append(r.got, fmt.Sprintf("%d dir %s", r.lr.Line(), line))
}

func (r *recorder) Data(line []byte) error {
	if string(line) == "stop" {
		return r.stop
	}
	r.got = append(r.got, fmt.Sprintf("%d data %s", r.lr.Line(), line))
	return nil
}

func scan(t *testing.T, ctx context.Context, in string, max int) (*recorder, int64, error) {
	t.Helper()
	lr, err := Open(strings.NewReader(in), 0, max)
	if err != nil {
		t.Fatal(err)
	}
	defer lr.Close()
	rec := &recorder{lr: lr, stop: errors.New("stop")}
	n, err := Scan(ctx, lr, "pkg", "src.log", rec)
	return rec, n, err
}

func TestScan(t *testing.T) {
	long := strings.Repeat("x", 50)
	// A BOM goes only before the first line; a BOM later is data.
	rec, tooLong, err := scan(t, t.Context(), "\xef\xbb\xbf#Fields: a b\r\n\r\none\n"+long+"\n\xef\xbb\xbftwo\n#Software: x\nthree", 40)
	want := []string{"1 dir #Fields: a b", "3 data one", "5 data \xef\xbb\xbftwo", "6 dir #Software: x", "7 data three"}
	if err != nil || tooLong != 1 || fmt.Sprint(rec.got) != fmt.Sprint(want) {
		t.Errorf("got %q, tooLong %d, err %v; want %q, 1", rec.got, tooLong, err, want)
	}
	if rec.lr.Line() != 7 {
		t.Errorf("Line = %d, want 7", rec.lr.Line())
	}

	// Data's error stops the loop and comes back as is.
	rec, _, err = scan(t, t.Context(), "one\nstop\nafter\n", 40)
	if !errors.Is(err, rec.stop) || err.Error() != "stop" || len(rec.got) != 1 {
		t.Errorf("Data error: got %v, lines %q", err, rec.got)
	}

	// A cancelled context stops a long log within CheckEvery lines.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rec, _, err = scan(t, ctx, strings.Repeat("l\n", 3*CheckEvery), 40)
	if !errors.Is(err, context.Canceled) || len(rec.got) >= CheckEvery {
		t.Errorf("cancelled: err %v after %d lines", err, len(rec.got))
	}

	// A read error names the package and the source.
	lr, _ := Open(iotest.TimeoutReader(strings.NewReader("a\nb\n")), 0, 0)
	defer lr.Close()
	_, err = Scan(t.Context(), lr, "pkg", "src.log", &recorder{lr: lr})
	if !errors.Is(err, iotest.ErrTimeout) || !strings.HasPrefix(err.Error(), "pkg: read src.log: ") {
		t.Errorf("read error: %v", err)
	}
}

func TestUnread(t *testing.T) {
	lr, _ := Open(strings.NewReader("a\nb\nc\n"), 0, 0)
	defer lr.Close()
	next := func(want string, line int64) {
		t.Helper()
		l, _, err := lr.Next()
		if err != nil || string(l) != want || lr.Line() != line {
			t.Fatalf("Next = %q, %v at line %d; want %q at %d", l, err, lr.Line(), want, line)
		}
	}
	next("a", 1)
	next("b", 2)
	l, _, _ := lr.Next()
	lr.Unread(l)
	if lr.Line() != 2 {
		t.Fatalf("after Unread, Line = %d, want 2", lr.Line())
	}
	next("c", 3)
	if _, _, err := lr.Next(); err == nil || lr.Line() != 3 {
		t.Fatalf("want EOF at line 3, got %v at %d", err, lr.Line())
	}
}

func TestOpenDefaults(t *testing.T) {
	for _, max := range []int{0, -1, 1<<30 + 1} {
		lr, _ := Open(bytes.NewReader(nil), 0, max)
		if lr.Max() != DefaultMaxLine {
			t.Errorf("Open(max %d).Max() = %d, want %d", max, lr.Max(), DefaultMaxLine)
		}
		lr.Close()
	}
}

func TestCoverage(t *testing.T) {
	var c Coverage
	if d := c.Days(); d == nil || len(d) != 0 || !c.First.IsZero() {
		t.Fatalf("zero Coverage: days %v, first %v", d, c.First)
	}
	at := func(s string) time.Time {
		tt, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	// Day 0 (1970-01-01) counts like any other: the zero value must not
	// take it for the day last added.
	for _, s := range []string{"2021-03-03T10:00:00Z", "1970-01-01T05:00:00Z", "2021-03-03T11:00:00Z", "2021-03-01T23:59:59Z", "2021-03-03T01:00:00Z"} {
		c.Add(at(s))
	}
	want := "[1970-01-01 00:00:00 +0000 UTC 2021-03-01 00:00:00 +0000 UTC 2021-03-03 00:00:00 +0000 UTC]"
	if got := fmt.Sprint(c.Days()); got != want {
		t.Errorf("Days = %s, want %s", got, want)
	}
	if !c.First.Equal(at("1970-01-01T05:00:00Z")) || !c.Last.Equal(at("2021-03-03T11:00:00Z")) {
		t.Errorf("First %v, Last %v", c.First, c.Last)
	}
}

func TestDigits(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "2021": 2021, "09": 9} {
		if n, ok := Digits([]byte(in)); !ok || n != want {
			t.Errorf("Digits(%q) = %d, %v", in, n, ok)
		}
	}
	for _, in := range []string{"", "1a", "-1", " 1", "1.5"} {
		if _, ok := Digits([]byte(in)); ok {
			t.Errorf("Digits(%q) ok", in)
		}
	}
}

func TestRead(t *testing.T) {
	var rec *recorder
	lines, tooLong, err := Read(t.Context(), strings.NewReader("#d\na\n"+strings.Repeat("x", 20)+"\nb"), 0, 10, "pkg", "src",
		func(lr *Reader) Handler { rec = &recorder{lr: lr}; return rec })
	if err != nil || lines != 4 || tooLong != 1 || fmt.Sprint(rec.got) != "[1 dir #d 2 data a 4 data b]" {
		t.Errorf("Read: %d lines, %d too long, %v, %q", lines, tooLong, err, rec.got)
	}
	// A broken gzip header fails before any handler is made.
	_, _, err = Read(t.Context(), strings.NewReader("\x1f\x8bxx"), 0, 0, "pkg", "src",
		func(*Reader) Handler { t.Error("handler made for unreadable input"); return nil })
	if err == nil {
		t.Error("broken gzip: no error")
	}
}
