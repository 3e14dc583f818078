// Package linetest checks what the text-log parsers (iislog, exlog) make
// of evidence, for their tests.
package linetest

import (
	"fmt"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/google/go-cmp/cmp"
)

// KeyAgrees checks a text-log parser's Options.Key against a plain
// parse: a Key that wants every value must give the same records and the
// same stats. parse runs the parser on the same input, with key as its
// Key (nil: no Key), handing every record to fn.
func KeyAgrees[S any](t testing.TB, parse func(key func([]byte) bool, fn func(*evidence.Record) error) S) {
	t.Helper()
	dump := func(out *[]string) func(*evidence.Record) error {
		return func(r *evidence.Record) error {
			s := fmt.Sprint(r.Line, r.Time.UnixNano(), r.Log)
			r.Fields.Range(func(k, v string) bool { s += "|" + k + "=" + v; return true })
			*out = append(*out, s)
			return nil
		}
	}
	var plain, keyed []string
	st := parse(nil, dump(&plain))
	stKey := parse(func([]byte) bool { return true }, dump(&keyed))
	if d := cmp.Diff(plain, keyed); d != "" {
		t.Fatalf("a Key that wants every value gives other records:\n%s", d)
	}
	if d := cmp.Diff(st, stKey); d != "" {
		t.Fatalf("a Key that wants every value gives other stats:\n%s", d)
	}
}
