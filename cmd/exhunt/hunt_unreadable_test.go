package main

import (
	"archive/zip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence/evidencetest"
	"github.com/exhunt/exhunt/internal/finding"
)

const shellASPX = `<%@ Page Language="Jscript"%><%eval(Request.Item["z"],"unsafe");%>`

// writeUnreadableZip writes a triage zip whose only entry, a web shell,
// fails its CRC check when read: an input nobody can read, root included.
func writeUnreadableZip(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "triage.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "inetpub/wwwroot/aspnet_client/shell.aspx", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(shellASPX))
	zw.Close()
	f.Close()
	evidencetest.CorruptZipEntry(t, p, "inetpub/wwwroot/aspnet_client/shell.aspx")
	return p
}

// Issue 16 point 3 / issue 11 point 4: when the only input cannot be read,
// the hunt says so (not_examined, the verdict reason) and exits 2; it never
// answers "no evidence" with exit 0.
func TestHuntNothingExaminedExits2(t *testing.T) {
	zp := writeUnreadableZip(t)
	code, out, errs := cli(t, "", "hunt", "--no-store", "--format", "json", zp)
	if code != 2 || !strings.Contains(errs, "nothing could be examined") {
		t.Fatalf("exit %d, stderr %q; want 2 and the reason", code, errs)
	}
	var r finding.HostResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("the report is still printed as JSON: %v\n%s", err, out)
	}
	if r.FilesExamined != 0 || len(r.NotExamined) != 1 || !strings.Contains(r.NotExamined[0].Reason, "checksum") ||
		!strings.HasPrefix(r.VerdictReason, "nothing could be examined") {
		t.Errorf("result: %d examined, %+v, %q", r.FilesExamined, r.NotExamined, r.VerdictReason)
	}
	code, out, _ = cli(t, "", "hunt", "--no-store", zp)
	if code != 2 || !strings.Contains(out, "NO-EVIDENCE (NOTHING COULD BE EXAMINED)") || !strings.Contains(out, "Not examined (1)") {
		t.Errorf("text report: exit %d\n%s", code, out)
	}
}
