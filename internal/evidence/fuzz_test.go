package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// FuzzZip: arbitrary bytes as a triage zip never panic, never read more
// than an entry declares (or than its head, when it is over the
// compression ratio), and never hand out an unsafe path. (It runs in
// memory; TestOpenReaderAtZipUsesTemp covers the one place a zip entry is
// written, to the temp dir.)
func FuzzZip(f *testing.F) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("inetpub/logs/LogFiles/W3SVC1/u_ex210303.log")
	io.WriteString(w, "#Fields: date time cs-uri-stem\n2021-03-03 01:02:03 /ecp/y.js\n")
	w, _ = zw.Create("../escape")
	io.WriteString(w, "x")
	zw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr := &Tree{Name: "fuzz.zip"}
		tr.opt = Options{MaxEntrySize: 1 << 20}
		tr.opt.defaults()
		if err := tr.openZip(bytes.NewReader(data), int64(len(data))); err != nil {
			return
		}
		tr.Walk(context.Background(), func(fl *File) error {
			rc, err := fl.Open()
			if err != nil {
				return nil
			}
			n, _ := io.Copy(io.Discard, rc)
			rc.Close()
			if n > fl.Size {
				t.Fatalf("%s: read %d bytes, declared %d", fl.Path, n, fl.Size)
			}
			if fl.Head > 0 && n > fl.Head {
				t.Fatalf("%s: over-ratio entry: read %d bytes, head is %d", fl.Path, n, fl.Head)
			}
			if strings.HasPrefix(fl.Path, "../") || strings.HasPrefix(fl.Path, "/") {
				t.Fatalf("unsafe path walked: %q", fl.Path)
			}
			return nil
		})
	})
}
