package filecheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
)

// FuzzDetect feeds arbitrary bytes and paths through the whole checker
// with the default pack: no panic, no scan error, and every finding is
// well formed and names the file it was given, and one small
// file never takes seconds.
func FuzzDetect(f *testing.F) {
	for _, name := range []string{"chopper.aspx", "logon.aspx", "oab-script.txt", "oab-benign.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add("inetpub/wwwroot/aspnet_client/"+name, data)
		f.Add("C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/"+name, data)
	}
	shells, err := filepath.Glob("testdata/shells/*.aspx")
	if err != nil || len(shells) == 0 {
		f.Fatalf("no web-shell seeds: %v", err)
	}
	for _, p := range shells {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add("inetpub/wwwroot/app/"+filepath.Base(p), data)
	}
	f.Add("C/Windows/Temp/lsass.dmp", minidump(512, `C:\Windows\System32\lsasrv.dll`))
	f.Add("C/ProgramData/a.7z", []byte("7z\xbc\xaf\x27\x1c\x00\x04"))
	f.Add("C/root/procdump64.exe", []byte("MZProcDump Sysinternals -accepteula"))
	f.Add("inetpub/wwwroot/aspnet_client/x.aspx", []byte("!BDN\x00\x00SM\x17\x00"))
	f.Add("", []byte{})
	f.Add("/../..//\\x\x00.aspx", []byte("\xff\xfe<\x00%\x00"))
	c := testChecker(f)
	f.Fuzz(func(t *testing.T, p string, data []byte) {
		before := c.ScanErrors()
		start := time.Now()
		fs := detect(t, c, p, data)
		if d := time.Since(start); d > 2*time.Second && len(data) < 1<<20 {
			t.Fatalf("Detect took %v on %d bytes", d, len(data))
		}
		if c.ScanErrors() != before {
			t.Fatalf("scan error on %q (%d bytes)", p, len(data))
		}
		for _, fi := range fs {
			if fi.Source != p || fi.Rule == "" || fi.Title == "" || fi.Evidence == "" ||
				fi.Severity.Rank() < finding.Low.Rank() || fi.Attack == nil || fi.CVEs == nil {
				t.Fatalf("malformed finding %+v", fi)
			}
			if !strings.HasPrefix(fi.Rule, "yara:") && !strings.HasPrefix(fi.Rule, "ioc:") {
				t.Fatalf("rule id %q", fi.Rule)
			}
			if len(fi.Evidence) > 4096 {
				t.Fatalf("evidence of %d bytes", len(fi.Evidence))
			}
		}
		_ = c.InScope(p, int64(len(data)), false)
	})
}
