package ruleset

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzExtract feeds arbitrary bytes to the archive reader as a
// signature-base and a Sigma archive: no panic, nothing written outside
// the destination, only rule files, and no more than the limits allow.
func FuzzExtract(f *testing.F) {
	f.Add(zipOf(f, [][2]string{{"sb-1/yara/a.yar", "rule a { condition: true }"}, {"sb-1/README.md", "x"}}))
	f.Add(zipOf(f, [][2]string{{"sigma/rules/windows/a.yml", "title: a"}, {"sigma/rules-threat-hunting/b.yml", "title: b"}}))
	f.Add(zipOf(f, [][2]string{{"x/yara/../../evil.yar", "rule e { condition: true }"}}))
	f.Add(zipOf(f, [][2]string{{"a.yar", "1"}, {"a.yar", "2"}}))
	f.Add([]byte("PK\x05\x06\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range Names() {
			src, _ := Lookup(name)
			parent := t.TempDir()
			dest := filepath.Join(parent, "set")
			if err := os.MkdirAll(dest, 0o755); err != nil {
				t.Fatal(err)
			}
			u, _ := extract(bytes.NewReader(data), int64(len(data)), src, dest)
			if u.bytes > maxUnpacked || u.files > maxRuleFiles+1 {
				t.Fatalf("unpacked %d files, %d bytes", u.files, u.bytes)
			}
			filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(p, dest) && p != parent {
					t.Fatalf("wrote outside the destination: %s", p)
				}
				if !d.IsDir() && !containsFold(src.Exts, filepath.Ext(p)) {
					t.Fatalf("wrote a file that is not a rule: %s", p)
				}
				return nil
			})
		}
	})
}
