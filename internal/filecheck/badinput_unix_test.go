//go:build unix

package filecheck

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/hunt"
	"github.com/exhunt/exhunt/internal/rules"
)

// TestBadInputTree runs a whole hunt (the lead's walk plus this checker)
// over a tree with a FIFO, a symlink loop, a symlink out of the evidence,
// an unreadable file, sparse 10 GB and 200 MB files and a folder of many
// empty files: every oddity is counted in a warning, nothing blocks, and
// time and memory stay bounded. EXHUNT_SLOW_TESTS=1 uses 100 000 files.
func TestBadInputTree(t *testing.T) {
	root := t.TempDir()
	mk := func(p string, data string) string {
		t.Helper()
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return full
	}
	mk("C/Windows/Temp/readme.txt", "")
	mk("C/inetpub/wwwroot/aspnet_client/shell.aspx", `<%@ Page Language="Jscript"%><%eval(Request.Item["z"],"unsafe");%>`)
	if err := syscall.Mkfifo(filepath.Join(root, "C/Windows/Temp/pipe.aspx"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..", filepath.Join(root, "C/Windows/Temp/loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(root, "C/Windows/Temp/escape.txt")); err != nil {
		t.Fatal(err)
	}
	unreadable := mk("C/ProgramData/secret.7z", "7z\xbc\xaf\x27\x1c\x00\x04")
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	for name, size := range map[string]int64{"C/ProgramData/huge.dmp": 10 << 30, "C/ProgramData/big.dmp": 200 << 20} {
		f := mk(name, "MDMP")
		if err := os.Truncate(f, size); err != nil {
			t.Skipf("no sparse files here: %v", err)
		}
	}
	n := 10_000
	if os.Getenv("EXHUNT_SLOW_TESTS") == "1" {
		n = 100_000
	}
	many := filepath.Join(root, "C/Windows/Temp/many")
	if err := os.MkdirAll(many, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := os.WriteFile(filepath.Join(many, fmt.Sprintf("f%06d.tmp", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	set, errs := rules.Builtin()
	if len(errs) > 0 {
		t.Fatalf("rules: %v", errs)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	res, err := hunt.Run(t.Context(), []string{root}, hunt.Options{Rules: set, Files: testChecker(t), Workers: 2})
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	warn := strings.Join(r.Warnings, "\n")
	for _, w := range r.Warnings {
		t.Log("warning: ", w)
	}
	t.Logf("%d files: %v, %d MB allocated, %d warnings, %d findings", n, elapsed, (after.TotalAlloc-before.TotalAlloc)>>20, len(r.Warnings), len(r.Findings))
	for _, want := range []string{"pipe.aspx: skipped: not a regular file", "loop: skipped: not a regular file", "escape.txt: skipped: not a regular file", "huge.dmp: skipped"} {
		if !strings.Contains(warn, want) {
			t.Errorf("no warning %q in:\n%s", want, warn)
		}
	}
	if os.Geteuid() != 0 && !strings.Contains(warn, "secret.7z") {
		t.Errorf("unreadable file not warned about:\n%s", warn)
	}
	if budget := time.Duration(n/10_000+1) * 30 * time.Second; elapsed > budget {
		t.Errorf("hunt took %v, over %v", elapsed, budget)
	}
	// Neither sparse file may be read: 10 GB is over the evidence limit,
	// 200 MB over --max-file-size. Files read are listed with their hash.
	for _, e := range r.Evidence {
		if strings.HasSuffix(e.Path, "huge.dmp") || strings.HasSuffix(e.Path, "big.dmp") {
			t.Errorf("sparse file read: %+v", e)
		}
	}
	// The 200 MB dump is over --max-file-size: only its head is examined
	// (enough for the MDMP header), and the warning says so.
	if !strings.Contains(warn, "big.dmp: 209715200 bytes is over --max-file-size") {
		t.Errorf("the 200 MB file is not reported as examined by its head only:\n%s", warn)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<30*uint64(n/10_000+1) {
		t.Errorf("allocated %d MB", alloc>>20)
	}
	var shell bool
	for _, f := range r.Findings {
		if strings.HasSuffix(f.Source, "etc/passwd") || strings.Contains(f.Source, "loop/") {
			t.Errorf("followed a link: %+v", f)
		}
		shell = shell || f.Rule == "yara:webshells:China_Chopper_ASPX"
	}
	if !shell {
		t.Errorf("web shell next to the bad inputs not found: %+v", r.Findings)
	}
}
