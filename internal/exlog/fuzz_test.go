package exlog

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/logline/linetest"
	"github.com/google/go-cmp/cmp"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.LOG")
	more, _ := filepath.Glob("testdata/*/*/*.LOG")
	for _, name := range append(append(files, more...), "testdata/plain-header.csv", "testdata/OABGeneratorLog/OABGenerator20210303-2.LOG") {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "V15/Logging/OABGeneratorLog/x.LOG")
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("#Fields: DateTime,A\n2021-03-03T00:00:00Z,\"x\ny\"\n"))
	zw.Close()
	f.Add(gz.Bytes(), "x")
	f.Add([]byte("2021-03-03T00:00:00Z,a,b\n"), "V15/Logging/HttpProxy/Ecp/x.LOG")
	f.Add([]byte("#Fields: DateTime,A\n2021-03-03T00:00:00Z,\""+strings.Repeat("q\n", 5000)+"\n"), "x")
	f.Add([]byte("#Fields: DateTime,EventData\n2021-03-03T00:00:00Z,\"S:A=1;S:=;;S:B\"\n#Log-type: ECP\n"), "x")
	f.Add([]byte("\x00\xff\"\"\"\n\r\n#Fields:\n,,,\n"), "")
	f.Fuzz(func(t *testing.T, data []byte, source string) {
		parse := func() (Stats, int64) {
			var n int64
			st, _ := Parse(t.Context(), bytes.NewReader(data), source, Options{MaxLine: 4096, MaxDecompressed: 1 << 20},
				func(r *evidence.Record) error {
					n++
					r.Fields.Range(func(string, string) bool { return true })
					r.Fields.Get("requestid")
					return nil
				})
			return st, n
		}
		st, n := parse()
		if n != st.Records || st.Records+st.Malformed > st.Lines {
			t.Fatalf("records=%d (fn saw %d) malformed=%d lines=%d", st.Records, n, st.Malformed, st.Lines)
		}
		st2, _ := parse()
		if d := cmp.Diff(st, st2); d != "" {
			t.Fatalf("re-parse differs:\n%s", d)
		}
		Sniff(data[:min(len(data), 4096)])
		linetest.KeyAgrees(t, func(key func([]byte) bool, fn func(*evidence.Record) error) Stats {
			opt := Options{MaxLine: 4096, MaxDecompressed: 1 << 20}
			if key != nil {
				opt.KeyField, opt.Key = "RequestId", key
			}
			st, _ := Parse(t.Context(), bytes.NewReader(data), source, opt, fn)
			return st
		})
	})
}
