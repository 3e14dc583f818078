package hunt

import (
	"testing"

	"github.com/exhunt/exhunt/internal/evidence"
)

// FuzzClassify: any head, plain or gzip, is classified without a panic,
// and an archive's reason is one line.
func FuzzClassify(f *testing.F) {
	f.Add([]byte("#Software: Microsoft Internet Information Services 10.0\n#Fields: date time cs-uri-stem\n"), "u_ex.log")
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"), "a.gz")
	f.Add([]byte("7z\xbc\xaf\x27\x1c\x00\x04"), "a.7z")
	f.Add([]byte("BZh91AY&SY\x00\x00"), "a.bz2")
	f.Add([]byte("ElfFile\x00"), "a.evtx")
	f.Add([]byte("not a zip"), "a.zip")
	f.Fuzz(func(t *testing.T, head []byte, name string) {
		if len(head) > headSize {
			head = head[:headSize]
		}
		j := job{f: &evidence.File{Path: name}}
		classify(&j, head)
		for _, c := range j.archive {
			if c == '\n' || c == '\r' {
				t.Fatalf("reason %q spans lines", j.archive)
			}
		}
		if j.archive != "" && j.kind != kindNone {
			t.Fatalf("both a log (%d) and an archive (%q)", j.kind, j.archive)
		}
	})
}
