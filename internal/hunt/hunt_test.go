package hunt

import (
	"archive/zip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/rules"
)

// testRules are small rules that exercise the engine paths of a hunt; the
// built-in pack has its own tests.
const testRules = `
title: test ssrf serverinfo
id: 00000000-0000-4000-8000-000000000001
level: critical
tags: [attack.t1190, cve.2021-26855]
logsource: {product: exchange, service: httpproxy}
detection:
  sel:
    AnchorMailbox|startswith: 'ServerInfo~'
    AnchorMailbox|contains: '/'
  filter_auto:
    AnchorMailbox|contains: '/autodiscover'
  filter_local:
    AnchorMailbox|startswith: 'ServerInfo~localhost'
  condition: sel and not 1 of filter_*
---
title: test webshell request
id: 00000000-0000-4000-8000-000000000002
level: high
tags: [attack.t1505.003]
logsource: {category: webserver}
detection:
  sel:
    cs-uri-stem|startswith: '/aspnet_client/'
    cs-uri-stem|endswith: '.aspx'
  condition: sel
---
title: test indicator user agent
id: 00000000-0000-4000-8000-000000000003
level: high
logsource: {category: webserver}
detection:
  sel:
    cs(User-Agent)|contains: 'ExchangeServicesClient'
  condition: sel
`

func testOptions(t *testing.T) Options {
	t.Helper()
	rs, errs := rules.Parse("test.yml", []byte(testRules))
	if len(errs) > 0 {
		t.Fatalf("rules: %v", errs)
	}
	set, errs := rules.NewSet(rs...)
	if len(errs) > 0 {
		t.Fatalf("set: %v", errs)
	}
	kb, err := exchange.Default()
	if err != nil {
		t.Fatal(err)
	}
	return Options{Rules: set, KB: kb, Files: stubFiles{}, Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }}
}

// stubFiles flags any .aspx under aspnet_client, to test file correlation.
type stubFiles struct{}

func (stubFiles) InScope(p string, _ int64, _ bool) bool {
	return strings.Contains(strings.ToLower(p), "aspnet_client")
}

func (stubFiles) Detect(_ context.Context, f evidence.FileInfo, data []byte) []finding.Finding {
	if !strings.HasSuffix(f.Path, ".aspx") || !strings.Contains(string(data), "eval(") {
		return nil
	}
	return []finding.Finding{{Rule: "test-file", Title: "test web shell file", Severity: finding.High, Attack: []string{"T1505.003"}, Evidence: "eval"}}
}

func byRule(fs []finding.Finding) map[string][]finding.Finding {
	m := map[string][]finding.Finding{}
	for _, f := range fs {
		m[f.Rule] = append(m[f.Rule], f)
	}
	return m
}

func TestHuntServer(t *testing.T) {
	res, err := Run(context.Background(), []string{"testdata/server1"}, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 {
		t.Fatalf("%d results", len(res))
	}
	r := res[0]
	if r.Host != "EXCH01" || r.Verdict != finding.Compromised || r.Build != "15.1.2176.2" {
		t.Errorf("host %q verdict %q build %q", r.Host, r.Verdict, r.Build)
	}
	m := byRule(r.Findings)
	ssrf := m["00000000-0000-4000-8000-000000000001"]
	// One true positive; the localhost and autodiscover twins stay silent.
	if len(ssrf) != 1 || ssrf[0].Line != 6 || ssrf[0].Outcome != finding.Succeeded {
		t.Fatalf("ssrf findings: %+v", ssrf)
	}
	if len(ssrf[0].Related) != 1 || !strings.Contains(ssrf[0].Related[0].Note, "/ecp/proxyLogon.ecp") || ssrf[0].Related[0].Line != 7 {
		t.Errorf("back-end join: %+v", ssrf[0].Related)
	}
	if got := ssrf[0].CVEs; len(got) != 1 || got[0] != "CVE-2021-26855" {
		t.Errorf("cves %v", got)
	}
	if ua := m["00000000-0000-4000-8000-000000000003"]; len(ua) != 1 || ua[0].Outcome != finding.Unknown {
		t.Errorf("indicator finding must not claim success: %+v", ua)
	}
	file := m["test-file"]
	if len(file) != 1 || file[0].Kind != finding.KindFile || file[0].Outcome != finding.Succeeded || file[0].Details["file_sha256"] == "" {
		t.Fatalf("file finding: %+v", file)
	}
	if len(file[0].Related) == 0 || !strings.Contains(file[0].Related[0].Note, "requested: POST /aspnet_client/system_web/a1b2c3d4.aspx?p=cmd+/c+whoami → 200") {
		t.Errorf("file not tied to its request: %+v", file[0].Related)
	}
	if len(r.Evidence) != 3 {
		t.Errorf("hashed %d files, want 3: %+v", len(r.Evidence), r.Evidence)
	}
	var iis *finding.Coverage
	for i := range r.Coverage {
		if r.Coverage[i].Source == "iis" {
			iis = &r.Coverage[i]
		}
	}
	if iis == nil || iis.First.Format("2006-01-02") != "2021-03-03" || iis.Last.Format("2006-01-02") != "2021-03-09" || len(iis.Gaps) != 1 {
		t.Fatalf("iis coverage: %+v", iis)
	}
	if w := strings.Join(iis.Warnings, "\n"); !strings.Contains(w, "after the first known exploitation of CVE-2021-26855") || !strings.Contains(w, "2021-03-05 to 2021-03-08") {
		t.Errorf("coverage warnings: %s", w)
	}
	for i := 1; i < len(r.Findings); i++ {
		if !r.Findings[i].Time.IsZero() && r.Findings[i].Time.Before(r.Findings[i-1].Time) {
			t.Errorf("timeline not sorted at %d", i)
		}
	}
}

// The same tree as a zip gives the same findings; --host overrides.
func TestHuntZipEqualsDir(t *testing.T) {
	zp := filepath.Join(t.TempDir(), "server1.zip")
	zipDir(t, "testdata/server1", zp)
	opt := testOptions(t)
	dir, err := Run(context.Background(), []string{"testdata/server1"}, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Host = "CUSTOMER-EX1"
	zr, err := Run(context.Background(), []string{zp}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if zr[0].Host != "CUSTOMER-EX1" {
		t.Errorf("host %s", zr[0].Host)
	}
	if len(zr[0].Findings) != len(dir[0].Findings) || zr[0].Verdict != dir[0].Verdict {
		t.Errorf("zip: %d findings %s; dir: %d findings %s", len(zr[0].Findings), zr[0].Verdict, len(dir[0].Findings), dir[0].Verdict)
	}
}

func TestHuntNoEvidence(t *testing.T) {
	if _, err := Run(context.Background(), []string{t.TempDir()}, testOptions(t)); err == nil || !strings.Contains(err.Error(), "no logs") {
		t.Errorf("empty folder: want ErrNoEvidence, got %v", err)
	}
	// A folder holding only a text file that is no log: nothing could be
	// examined, and the result says so instead of "no evidence".
	notes := t.TempDir()
	os.WriteFile(filepath.Join(notes, "notes.txt"), []byte("hello"), 0o644)
	res, err := Run(context.Background(), []string{notes}, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.FilesExamined != 0 || len(r.NotExamined) != 1 || r.NotExamined[0].Path != "notes.txt" ||
		!strings.Contains(r.NotExamined[0].Reason, "unknown format") || !strings.HasPrefix(r.VerdictReason, "nothing could be examined") {
		t.Errorf("notes.txt: %d examined, not examined %+v, reason %q", r.FilesExamined, r.NotExamined, r.VerdictReason)
	}
	// Benign traffic only: no evidence.
	dir := t.TempDir()
	log := "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time cs-method cs-uri-stem cs-uri-query c-ip cs(User-Agent) sc-status\n2021-03-03 01:00:00 GET /owa/auth/logon.aspx - 198.51.100.1 Mozilla/5.0 200\n"
	os.MkdirAll(filepath.Join(dir, "W3SVC1"), 0o755)
	os.WriteFile(filepath.Join(dir, "W3SVC1", "u_ex210303.log"), []byte(log), 0o644)
	res, err = Run(context.Background(), []string{dir}, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Verdict != finding.NoEvidence || len(res[0].Findings) != 0 {
		t.Errorf("benign: %s %+v", res[0].Verdict, res[0].Findings)
	}
}

func TestHuntCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, []string{"testdata/server1"}, testOptions(t)); err == nil {
		t.Error("cancelled hunt returned no error")
	}
}

func zipDir(t *testing.T, dir, out string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(w, src)
		return err
	})
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// Logs are found by their content: a copy under an unusual extension
// (.dat) anywhere, as a .log. Only a file whose extension names another
// format (.xml) is not sniffed, unless --exchange-path names its folder.
func TestHuntExchangePath(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/server1/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030301-1.LOG")
	if err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(dir, "D", "ExSrv", "Logging", "HttpProxy", "Ecp")
	os.MkdirAll(logs, 0o755)
	os.WriteFile(filepath.Join(logs, "HttpProxy_2021030301-1.dat"), src, 0o644)
	os.WriteFile(filepath.Join(logs, "HttpProxy_2021030301-1.xml"), src, 0o644)
	os.WriteFile(filepath.Join(dir, "D", "anywhere.log"), src, 0o644)
	opt := testOptions(t)
	count := func(opt Options) int {
		t.Helper()
		res, err := Run(context.Background(), []string{dir}, opt)
		if err != nil {
			t.Fatal(err)
		}
		return len(byRule(res[0].Findings)["00000000-0000-4000-8000-000000000001"])
	}
	if n := count(opt); n != 2 {
		t.Errorf("without --exchange-path: %d findings, want 2 (anywhere.log and the .dat)", n)
	}
	opt.ExchangePaths = []string{`D\ExSrv`}
	if n := count(opt); n != 3 {
		t.Errorf("with --exchange-path: %d findings, want 3", n)
	}
}

// mdmpFiles flags files that start with a minidump header.
type mdmpFiles struct{}

func (mdmpFiles) InScope(p string, _ int64, _ bool) bool { return strings.HasPrefix(p, "root/") }
func (mdmpFiles) Detect(_ context.Context, f evidence.FileInfo, data []byte) []finding.Finding {
	if !strings.HasPrefix(string(data), "MDMP") {
		return nil
	}
	return []finding.Finding{{Rule: "test-dump", Title: "dump", Severity: finding.Critical, Attack: []string{"T1003.001"}}}
}

// A file over --max-file-size is examined by its head only: found, warned
// about, and not listed as fully read evidence.
func TestHuntOversizedHead(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "root"), 0o755)
	os.MkdirAll(filepath.Join(dir, "W3SVC1"), 0o755)
	os.WriteFile(filepath.Join(dir, "W3SVC1", "u_ex210303.log"), []byte("#Fields: date time cs-uri-stem\n2021-03-03 01:00:00 /owa/\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "root", "lsass.dmp"), append([]byte("MDMP"), make([]byte, 200<<10)...), 0o644)
	opt := testOptions(t)
	opt.Files = mdmpFiles{}
	opt.MaxFileSize = 1 << 10
	res, err := Run(context.Background(), []string{dir}, opt)
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if len(r.Findings) != 1 || r.Findings[0].Details["examined"] != "first 1024 bytes of 204804" {
		t.Fatalf("findings: %+v", r.Findings)
	}
	if !strings.Contains(strings.Join(r.Warnings, "\n"), "root/lsass.dmp: 204804 bytes is over --max-file-size (1024)") {
		t.Errorf("warnings: %v", r.Warnings)
	}
	for _, e := range r.Evidence {
		if e.Path == "root/lsass.dmp" {
			t.Errorf("head-only file listed as read evidence: %+v", e)
		}
	}
}
