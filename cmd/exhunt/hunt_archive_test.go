package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An archive exhunt cannot open, given as the evidence PATH, is not
// examined: exit 2 and the reason, never "no-evidence" with exit 0. The
// twin, the same web shell given plain, is examined (exit 1: a finding).
func TestHuntArchiveExits2(t *testing.T) {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: "shell.aspx", Mode: 0o644, Size: int64(len(shellASPX)), Typeflag: tar.TypeReg, Format: tar.FormatUSTAR})
	tw.Write([]byte(shellASPX))
	tw.Close()
	var gb bytes.Buffer
	zw := gzip.NewWriter(&gb)
	zw.Write(tb.Bytes())
	zw.Close()
	dir := t.TempDir()
	tgz := filepath.Join(dir, "triage.tar.gz")
	plain := filepath.Join(dir, "shell.aspx")
	os.WriteFile(tgz, gb.Bytes(), 0o644)
	os.WriteFile(plain, []byte(shellASPX), 0o644)
	code, out, errs := cli(t, "", "hunt", "--no-store", "--no-community-rules", tgz)
	if code != 2 || !strings.Contains(errs, "nothing could be examined") || !strings.Contains(out, "tar.gz archives are not read; extract it or give a zip") {
		t.Errorf("tar.gz: exit %d, stderr %q\n%s", code, errs, out)
	}
	if code, out, errs = cli(t, "", "hunt", "--no-store", "--no-community-rules", plain); code != 1 {
		t.Errorf("plain web shell: exit %d, stderr %q\n%s", code, errs, out)
	}
}
