package iislog

import (
	"bytes"
	"compress/gzip"
	"os"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/logline/linetest"
	"github.com/google/go-cmp/cmp"
)

func FuzzParse(f *testing.F) {
	sample, err := os.ReadFile("testdata/u_ex210303.log")
	if err != nil {
		f.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(sample)
	zw.Close()
	f.Add(sample)
	f.Add(gz.Bytes())
	f.Add(gz.Bytes()[:gz.Len()/2])
	f.Add([]byte("2021-03-03 00:00:00 /owa/ 200\n"))
	f.Add([]byte("#Fields: date time cs-uri-stem\n2021-03-03 00:00:00 /" + strings.Repeat("x", 1<<20) + "\n"))
	f.Add([]byte("\x00\xff\x1f\x8b\n#Fields:\n#Fields: time\n25:00:00\n"))
	f.Add([]byte("2021-03-05 03:06:27 xxx GET /owa/auth/x.aspx - 443 - 1.2.3.4 UA - 200 0 0 133\n-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Headerless excerpts are read with the layout DefaultLayout finds.
		layout, _ := DefaultLayout(data[:min(len(data), 4096)])
		parse := func() (Stats, int64) {
			var n int64
			st, _ := Parse(t.Context(), bytes.NewReader(data), "f", Options{MaxLine: 4096, MaxDecompressed: 1 << 20, DefaultFields: layout},
				func(r *evidence.Record) error {
					n++
					r.Fields.Range(func(string, string) bool { return true })
					r.Fields.Get("cs-uri-stem")
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
		linetest.KeyAgrees(t, func(key func([]byte) bool, fn func(*evidence.Record) error) Stats {
			opt := Options{MaxLine: 4096, MaxDecompressed: 1 << 20, DefaultFields: layout}
			if key != nil {
				opt.KeyField, opt.Key = "cs-uri-stem", key
			}
			st, _ := Parse(t.Context(), bytes.NewReader(data), "f", opt, fn)
			return st
		})
	})
}
