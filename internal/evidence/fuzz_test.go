package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzZip: arbitrary bytes as a triage zip never panic, never read more
// than an entry declares, and never write outside the temp dir.
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
		dir := t.TempDir()
		p := filepath.Join(dir, "e.zip")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		tmp := filepath.Join(dir, "tmp")
		os.Mkdir(tmp, 0o755)
		tr, err := Open(p, Options{MaxEntrySize: 1 << 20, TempDir: tmp})
		if err != nil {
			return
		}
		defer tr.Close()
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
			return nil
		})
		if left, _ := os.ReadDir(dir); len(left) != 2 {
			t.Fatalf("files written beside the evidence: %v", left)
		}
	})
}
