// Package evidencetest makes hostile evidence for tests: inputs that
// cannot be read whoever reads them, root included.
package evidencetest

import (
	"archive/zip"
	"os"
	"testing"
)

// CorruptZipEntry flips the first data byte of the named entry of the zip
// at path (stored, uncompressed entries keep their size), so that reading
// the entry fails its CRC check.
func CorruptZipEntry(t testing.TB, path, name string) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	off := int64(-1)
	for _, f := range zr.File {
		if f.Name == name {
			if off, err = f.DataOffset(); err != nil {
				t.Fatal(err)
			}
		}
	}
	zr.Close()
	if off < 0 {
		t.Fatalf("%s: no entry %s", path, name)
	}
	fh, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var b [1]byte
	if _, err := fh.ReadAt(b[:], off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := fh.WriteAt(b[:], off); err != nil {
		t.Fatal(err)
	}
}
