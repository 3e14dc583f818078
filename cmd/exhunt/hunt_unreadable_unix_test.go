//go:build unix

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/exhunt/exhunt/internal/finding"
)

// A file the hunting user may not read (chmod 000), next to readable
// evidence and alone. Root reads everything, so when the tests run as
// root (as CI does) this test runs itself again as the unprivileged user
// nobody; where that is impossible it is skipped (the zip test above
// covers unreadable input for root).
func TestHuntPermissionDenied(t *testing.T) {
	if os.Getenv("EXHUNT_TEST_UNPRIVILEGED") == "" && os.Geteuid() == 0 {
		rerunUnprivileged(t, "TestHuntPermissionDenied")
		return
	}
	dir := t.TempDir()
	shell := filepath.Join(dir, "inetpub/wwwroot/aspnet_client/shell.aspx")
	if err := os.MkdirAll(filepath.Dir(shell), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(shell, []byte(shellASPX), 0o000); err != nil {
		t.Fatal(err)
	}
	if f, err := os.Open(shell); err == nil {
		f.Close()
		t.Skip("this user can read a chmod 000 file")
	}
	code, out, errs := cli(t, "", "hunt", "--no-store", "--format", "json", dir)
	if code != 2 || !strings.Contains(errs, "nothing could be examined") {
		t.Fatalf("unreadable web shell alone: exit %d, stderr %q", code, errs)
	}
	var r finding.HostResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.NotExamined) != 1 || r.NotExamined[0].Path != "inetpub/wwwroot/aspnet_client/shell.aspx" || !strings.Contains(r.NotExamined[0].Reason, "permission denied") {
		t.Errorf("not examined: %+v", r.NotExamined)
	}
	// With a readable log beside it the hunt runs, and says it is incomplete.
	log := filepath.Join(dir, "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log")
	os.MkdirAll(filepath.Dir(log), 0o755)
	os.WriteFile(log, []byte("#Fields: date time cs-method cs-uri-stem sc-status\n2021-03-03 01:00:00 GET /owa/ 302\n"), 0o644)
	code, out, errs = cli(t, "", "hunt", "--no-store", "--format", "json", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	r = finding.HostResult{}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Verdict != finding.NoEvidence || !strings.Contains(r.VerdictReason, "the evidence is incomplete: 1 input not examined") || r.FilesExamined != 1 {
		t.Errorf("verdict %s %q, %d examined", r.Verdict, r.VerdictReason, r.FilesExamined)
	}
}

// rerunUnprivileged runs one test of this binary again as nobody (65534),
// from a copy of the binary that user can execute.
func rerunUnprivileged(t *testing.T, name string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("no test binary: %v", err)
	}
	dir, err := os.MkdirTemp("", "exhunt-unpriv-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "exhunt.test")
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^"+name+"$", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "EXHUNT_TEST_UNPRIVILEGED=1", "TMPDIR="+dir, "HOME="+dir, "EXHUNT_DB="+filepath.Join(dir, "r.db"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	t.Logf("as nobody:\n%s", out)
	switch {
	case err == nil && strings.Contains(string(out), "--- SKIP"):
		t.Skip("skipped as nobody too")
	case err != nil && !strings.Contains(string(out), "--- FAIL"):
		t.Skipf("cannot run as nobody here: %v", err)
	case err != nil:
		t.Errorf("failed as nobody")
	}
}
