package hunt

import (
	"archive/zip"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/evidence/evidencetest"
	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/rules"
)

// realEvidence is the shared corpus of real third-party Exchange and IIS
// evidence (see its SOURCES.md).
const realEvidence = "../../../shared/corpus/real-exchange-evidence"

func needReal(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(realEvidence, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	return p
}

// builtinOptions hunts with the built-in rule pack (no file checks: those
// live in internal/filecheck, which imports this package).
func builtinOptions(t *testing.T) Options {
	t.Helper()
	set, errs := rules.Builtin()
	if len(errs) > 0 {
		t.Fatalf("built-in rules: %v", errs)
	}
	kb, err := exchange.Default()
	if err != nil {
		t.Fatal(err)
	}
	return Options{Rules: set, KB: kb, Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }}
}

func hunt1(t *testing.T, path string, opt Options) []finding.HostResult {
	t.Helper()
	res, err := Run(context.Background(), []string{path}, opt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func titles(fs []finding.Finding) map[string]int {
	m := map[string]int{}
	for _, f := range fs {
		m[f.Title]++
	}
	return m
}

// Point 1: the build comes from the most reliable, most precise signal.
// Real sanitised lines (testdata/artefacts-help/SOURCES.md): the ECP Server
// header's 15.0.0.0 is a placeholder, listed and ignored; S:BLD, the
// HttpProxy version columns and its header agree on 15.1.2375.7.
func TestBuildFromTheRightSource(t *testing.T) {
	r := hunt1(t, "testdata/artefacts-help", builtinOptions(t))[0]
	if r.Build != "15.1.2375.7" {
		t.Fatalf("build %q, want 15.1.2375.7 (sources %+v)", r.Build, r.BuildSources)
	}
	got := map[string]string{}
	for _, s := range r.BuildSources {
		got[s.Build+" "+s.Source] = s.Reliability
	}
	want := map[string]string{
		"15.0.0.0 " + srcHeader:       "ignored",
		"15.1.2375.7 " + srcECP:       "high",
		"15.1.2375.7 " + srcColumns:   "high",
		"15.01.2375.007 " + srcHeader: "medium",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("build source %q: reliability %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("build sources %v, want exactly %v (no client-supplied ServerVersion, no back end's TargetServerVersion)", got, want)
	}
	if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, "ignored 15.0.0.0") || strings.Contains(w, "disagree") {
		t.Errorf("warnings: %s", w)
	}
	// Without the HttpProxy log and S:BLD, the placeholder is still never
	// reported: no build rather than Exchange 2013.
	dir := t.TempDir()
	b, err := os.ReadFile("testdata/artefacts-help/Logging/ECP/Server/ECPServer20230111-1.LOG")
	if err != nil {
		t.Fatal(err)
	}
	noBLD := strings.Replace(string(b), "S:BLD=15.1.2375.7;", "", 1)
	os.WriteFile(filepath.Join(dir, "ECPServer20230111-1.LOG"), []byte(noBLD), 0o644)
	if r := hunt1(t, dir, builtinOptions(t))[0]; r.Build != "" {
		t.Errorf("placeholder only: build %q, want none", r.Build)
	}
}

// The lab ProxyShell run's logs (real lines): the header says
// 15.01.1713.001, the version columns 15.1.1713.5 (Exchange 2016 CU12):
// the columns win, and the disagreement is reported.
func TestBuildSignalsDisagree(t *testing.T) {
	r := hunt1(t, needReal(t, "proxyshell-lab"), builtinOptions(t))[0]
	if r.Build != "15.1.1713.5" {
		t.Errorf("build %q, want 15.1.1713.5", r.Build)
	}
	if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, "build signals disagree: reported 15.1.1713.5") || !strings.Contains(w, "15.1.1713.1") {
		t.Errorf("warnings: %s", w)
	}
	tt := titles(r.Findings)
	if tt["ProxyShell request reached the back-end PowerShell (Rps Http log)"] == 0 || tt["Mailbox export to a web-servable file (ProxyShell web shell drop)"] != 1 {
		t.Errorf("findings: %v", tt)
	}
}

// The file version of ExSetup.exe is read with debug/pe and listed; a PE
// file whose version is no Exchange build (here a real launcher, 1.1.0.14)
// is listed as ignored, never reported.
func TestBuildFromFileVersion(t *testing.T) {
	exe, err := os.ReadFile("../peversion/testdata/distlib-w32.exe")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "Program Files/Microsoft/Exchange Server/V15/Bin")
	os.MkdirAll(bin, 0o755)
	os.WriteFile(filepath.Join(bin, "ExSetup.exe"), exe, 0o644)
	os.WriteFile(filepath.Join(dir, "u_ex210303.log"), []byte("#Fields: date time cs-uri-stem sc-status\n2021-03-03 01:00:00 /owa/auth/15.1.2176/themes/resources/logon.css 200\n"), 0o644)
	r := hunt1(t, dir, builtinOptions(t))[0]
	var pe, url *finding.BuildSource
	for i, s := range r.BuildSources {
		switch {
		case strings.HasPrefix(s.Source, srcFile):
			pe = &r.BuildSources[i]
		case s.Source == srcURL:
			url = &r.BuildSources[i]
		}
	}
	if pe == nil || pe.Build != "1.1.0.14" || pe.Reliability != "ignored" || pe.Source != "file version of ExSetup.exe" {
		t.Errorf("ExSetup.exe signal: %+v", pe)
	}
	// The OWA resource path gives the CU only, with low reliability.
	if url == nil || url.Build != "15.1.2176" || url.Reliability != "low" || r.Build != "15.1.2176" {
		t.Errorf("URL signal %+v, build %q", url, r.Build)
	}
}

// Point 2: a triage folder with examples/evidence flattened into one folder
// and every file renamed gives the same log and event findings as the
// server layout: each record's category comes from the record.
func TestFlattenedTriageFolder(t *testing.T) {
	opt := builtinOptions(t)
	orig := hunt1(t, "../../examples/evidence", opt)[0]
	flat, renamed := flattenCopy(t, "../../examples/evidence")
	got := hunt1(t, flat, opt)[0]
	key := func(f finding.Finding, src string) string {
		return fmt.Sprintf("%s|%s|%d|%s|%s|%s", f.Rule, src, f.Line, f.Time.UTC().Format(time.RFC3339Nano), f.Outcome, f.Evidence)
	}
	want := map[string]bool{}
	for _, f := range orig.Findings {
		if f.Kind != finding.KindFile {
			want[key(f, renamed[f.Source])] = true
		}
	}
	have := map[string]bool{}
	for _, f := range got.Findings {
		if f.Kind != finding.KindFile {
			have[key(f, f.Source)] = true
		}
	}
	for k := range want {
		if !have[k] {
			t.Errorf("lost in the flattened copy: %s", k)
		}
	}
	for k := range have {
		if !want[k] {
			t.Errorf("only in the flattened copy: %s", k)
		}
	}
	if len(want) < 80 {
		t.Errorf("only %d log and event findings on the example", len(want))
	}
	// The category rule (ResetOABVirtualDirectory, category ecp) is among them.
	if titles(got.Findings)["ProxyLogon SSRF to ResetOABVirtualDirectory succeeded (ECP HttpProxy)"] == 0 {
		t.Error("the ecp-category rule is silent on the flattened copy")
	}
	if got.Host != orig.Host || got.Build != orig.Build || got.Verdict != orig.Verdict {
		t.Errorf("flattened: host %s build %s verdict %s; original %s %s %s", got.Host, got.Build, got.Verdict, orig.Host, orig.Build, orig.Verdict)
	}
}

// flattenCopy copies every file of dir into one new folder, renamed to
// NN-<kind>.<ext> (the extension kept, the name and folders lost), and
// returns the folder and the old → new path map.
func flattenCopy(t *testing.T, dir string) (string, map[string]string) {
	t.Helper()
	out := t.TempDir()
	renamed := map[string]string{}
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		n++
		name := fmt.Sprintf("%02d-evidence%s", n, strings.ToLower(filepath.Ext(p)))
		renamed[filepath.ToSlash(rel)] = name
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(out, name), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, renamed
}

// Point 5: six EVTX files from six computers, the Tunna IIS log and an
// Apache log: one host per computer, the files that name none under the
// computer most files name, a warning on each; --host forces one.
func TestOneHostPerComputer(t *testing.T) {
	dir := needReal(t, "eas")
	res := hunt1(t, dir, builtinOptions(t))
	var names []string
	for _, r := range res {
		names = append(names, r.Host)
		if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, "holds logs of 6 computers") {
			t.Errorf("%s: no mixing warning: %s", r.Host, w)
		}
	}
	want := []string{"ALICE", "DESKTOP-PIU87N6", "ICORP-DC", "IEWIN7", "MSEDGEWIN10", "PC04"}
	if !slices.Equal(names, want) {
		t.Fatalf("hosts %v, want %v", names, want)
	}
	for _, r := range res {
		for _, f := range r.Findings {
			if c := computerKey(f.Details["computer"]); f.Kind == finding.KindEvent && c != "" && c != r.Host {
				t.Errorf("%s holds a finding of %s: %s", r.Host, c, f.Title)
			}
		}
		// The Tunna IIS log names no computer: it goes with MSEDGEWIN10,
		// which four of the event logs name.
		for _, c := range r.Coverage {
			if c.Source == "iis" && r.Host != "MSEDGEWIN10" {
				t.Errorf("IIS log under %s", r.Host)
			}
		}
	}
	opt := builtinOptions(t)
	opt.Host = "LAB"
	one := hunt1(t, dir, opt)
	if len(one) != 1 || one[0].Host != "LAB" || !strings.Contains(strings.Join(one[0].Warnings, "\n"), "reported as one host LAB because --host was given") {
		t.Errorf("--host: %d results, %+v", len(one), one[0].Warnings)
	}
}

// Point 6, on the real lab captures: w3wp's explicit-credential logon and
// its child processes are web-shell use that succeeded; dumps of any name
// written by a process that had just opened LSASS are LSASS dumps; on
// these IIS hosts (no Exchange) no Exchange CVE is claimed; and a cleared
// Security log alone is called suspicious, not compromise.
func TestEventLogGaps(t *testing.T) {
	dir := needReal(t, "eas")
	hosts := map[string]finding.HostResult{}
	for _, r := range hunt1(t, dir, builtinOptions(t)) {
		hosts[r.Host] = r
	}
	find := func(host, title string) []finding.Finding {
		var out []finding.Finding
		for _, f := range hosts[host].Findings {
			if f.Title == title {
				out = append(out, f)
			}
		}
		return out
	}
	if fs := find("MSEDGEWIN10", "Explicit-Credential Logon by an Exchange or IIS Worker Process (Web Shell Running as Another User)"); len(fs) != 1 || fs[0].Outcome != finding.Succeeded {
		t.Errorf("4648 by w3wp: %+v", fs)
	}
	for _, f := range find("IEWIN7", "Exchange or IIS Worker Process Spawns a Shell or Recon Tool") {
		if f.Outcome != finding.Succeeded || len(f.CVEs) != 0 || slices.Contains(f.Attack, "T1190") || !slices.Contains(f.Attack, "T1505.003") ||
			!strings.Contains(f.Details["cves_not_applied"], "CVE-2021-26855") && !strings.Contains(f.Details["cves_not_applied"], "CVE-2021-27065") {
			t.Errorf("w3wp child on a non-Exchange IIS host: outcome %s cves %v attack %v details %v", f.Outcome, f.CVEs, f.Attack, f.Details)
		}
	}
	var dumps []string
	for _, f := range find("ALICE", "Dump file written by a process that had just opened LSASS") {
		dumps = append(dumps, f.Details["target_filename"])
		if f.Severity != finding.Critical || len(f.Related) != 1 || !strings.HasPrefix(f.Related[0].Note, "opened LSASS") {
			t.Errorf("dump finding: %+v", f)
		}
	}
	// Outflank-Dumpert.exe wrote dumpert.dmp once, its DLL (through
	// rundll32, which had opened LSASS too) twice; AndrewSpecial.exe wrote
	// Andrew.dmp. None is named after lsass.
	slices.Sort(dumps)
	if want := []string{`C:\Users\administrator\Desktop\Andrew.dmp`, `C:\Windows\Temp\dumpert.dmp`, `C:\Windows\Temp\dumpert.dmp`, `C:\Windows\Temp\dumpert.dmp`}; !slices.Equal(dumps, want) {
		t.Errorf("dumps tied to LSASS readers: %v, want %v", dumps, want)
	}
	// The cleared Security log: on a host where nothing else is proven it
	// is suspicious, not compromise.
	cleared := finding.Finding{}
	for _, f := range find("MSEDGEWIN10", "Security Audit Log Cleared") {
		cleared = f
	}
	if v, why := finding.JudgeWhy([]finding.Finding{cleared}); v != finding.ExploitationAttempted || !strings.Contains(why, "no proof of compromise") {
		t.Errorf("cleared log alone: %s %q", v, why)
	}
}

// Point 3: web-shell use wherever it is requested, in IIS and HttpProxy
// logs of a real incident (helsecert: RedirSuiteServerProxy.aspx answered
// 200, then 302; errorFS.aspx, win.ashx and other probes 302 in
// HttpProxy/Owa) and the real Tunna log (/erp/conn.aspx).
func TestWebShellUseAnywhere(t *testing.T) {
	r := hunt1(t, needReal(t, "helsecert/assembled/EXCH"), builtinOptions(t))[0]
	proxy := map[string]finding.Outcome{}
	for _, f := range r.Findings {
		if f.Title == "Request to a non-stock script page in an Exchange web shell folder (HttpProxy)" {
			proxy[f.Details["url"]] = worse(proxy[f.Details["url"]], f.Outcome)
		}
	}
	for url, want := range map[string]finding.Outcome{
		"/owa/auth/RedirSuiteServerProxy.aspx":       finding.Succeeded,
		"/owa/auth/Current/themes/errorFS.aspx":      finding.Attempted,
		"/owa/auth/Currentthemes/resources/win.ashx": finding.Attempted,
		"/owa/auth/928ccfacbe.aspx":                  finding.Attempted,
		"/owa/auth/zntwv.aspx":                       finding.Attempted,
	} {
		if proxy[url] != want {
			t.Errorf("HttpProxy/Owa %s: %q, want %q", url, proxy[url], want)
		}
	}
	if r.Verdict != finding.Compromised {
		t.Errorf("verdict %s", r.Verdict)
	}
	// The ECP Server log's rows (header written for the excerpt) carry the
	// CVE-2021-27065 script.
	if titles(r.Findings)["Script tag in a Set-*VirtualDirectory URL (ECP server log)"] != 2 {
		t.Errorf("ECP script rows: %v", titles(r.Findings))
	}

	tunna := t.TempDir()
	b, err := os.ReadFile(filepath.Join(needReal(t, "eas"), "Command_and_Control_Tunna_rdp_tunnel_IIS.log"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tunna, "u_ex190903.log"), b, 0o644)
	tr := hunt1(t, tunna, builtinOptions(t))[0]
	tt := titles(tr.Findings)
	if tt["Web shell socket tunnel request (Tunna, reGeorg)"] != 3 || tt["Non-stock script page operated by one client (repeated successful POSTs)"] != 1 {
		t.Errorf("Tunna: %v", tt)
	}
}

func worse(a, b finding.Outcome) finding.Outcome {
	if a == finding.Succeeded || b == finding.Succeeded {
		return finding.Succeeded
	}
	if b != "" {
		return b
	}
	return a
}

// The page inventory on a server whose IIS log reaches back before the
// attack: a page first requested during the attack and answered 200 is a
// finding, the same page requested before the attack is not, and an
// encoded payload posted to a non-stock page is one.
func TestPageInventory(t *testing.T) {
	header := "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"
	line := func(day, clock, method, stem, query, ip, status string) string {
		return fmt.Sprintf("2021-03-%s %s 10.0.0.5 %s %s %s 443 - %s Mozilla/5.0 - %s 0 0 15\n", day, clock, method, stem, query, ip, status)
	}
	attack := line("03", "02:16:53", "POST", "/ecp/y.js", "-", "203.0.113.66", "200")
	write := func(t *testing.T, lines ...string) string {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "u_ex2103.log"), []byte(header+strings.Join(lines, "")), 0o644)
		return dir
	}
	newPage := "Script page first requested during the attack and answered 200"
	// True positive: the log starts on 03-01, the attack on 03-03, and
	// /app/help.aspx appears on 03-04.
	r := hunt1(t, write(t, line("01", "08:00:00", "GET", "/owa/", "-", "198.51.100.1", "302"), attack,
		line("04", "09:00:00", "GET", "/app/help.aspx", "-", "203.0.113.66", "200")), builtinOptions(t))[0]
	if titles(r.Findings)[newPage] != 1 {
		t.Errorf("new page in the attack window: %v", titles(r.Findings))
	}
	// Twin: the page was there before the attack.
	r = hunt1(t, write(t, line("01", "08:00:00", "GET", "/app/help.aspx", "-", "198.51.100.1", "200"), attack,
		line("04", "09:00:00", "GET", "/app/help.aspx", "-", "203.0.113.66", "200")), builtinOptions(t))[0]
	if titles(r.Findings)[newPage] != 0 {
		t.Errorf("page older than the attack flagged: %v", titles(r.Findings))
	}
	// Twin: a stock Exchange page first seen in the window.
	r = hunt1(t, write(t, line("01", "08:00:00", "GET", "/owa/", "-", "198.51.100.1", "302"), attack,
		line("04", "09:00:00", "GET", "/ecp/PersonalSettings/HomePage.aspx", "-", "10.0.0.20", "200")), builtinOptions(t))[0]
	if titles(r.Findings)[newPage] != 0 {
		t.Errorf("Exchange's own page flagged: %v", titles(r.Findings))
	}
	// An encoded payload posted to a non-stock page, and its twin: a
	// short query.
	enc := "Encoded payload posted to a non-stock script page"
	r = hunt1(t, write(t, line("03", "10:00:00", "POST", "/aspnet_client/a.aspx", "z0=QGluaV9zZXQoImRpc3BsYXlfZXJyb3JzIiwiMCIpO0BzZXRfdGltZV9saW1pdCgwKTs%3D", "203.0.113.66", "200")), builtinOptions(t))[0]
	if titles(r.Findings)[enc] != 1 {
		t.Errorf("encoded POST: %v", titles(r.Findings))
	}
	r = hunt1(t, write(t, line("03", "10:00:00", "POST", "/aspnet_client/a.aspx", "id=42&lang=en", "203.0.113.66", "200")), builtinOptions(t))[0]
	if titles(r.Findings)[enc] != 0 {
		t.Errorf("plain POST flagged as encoded: %v", titles(r.Findings))
	}
}

// Point 4 and issue 16 point 3: every input that could not be examined is
// listed with the reason, and the verdict reason says so. As root too: a
// zip entry whose data is corrupt cannot be read whatever the user.
func TestNotExamined(t *testing.T) {
	opt := builtinOptions(t)
	opt.Files = stubFiles{}
	opt.MaxFileSize = 64
	dir := t.TempDir()
	apache, err := os.ReadFile(filepath.Join(needReal(t, "eas"), "Command_and_Control_web_attack_and_isp_webshell_localhost_access_log.txt"))
	if err != nil {
		t.Fatal(err)
	}
	headerless, err := os.ReadFile(filepath.Join(realEvidence, "helsecert/raw/u_ex2103_excerpt.log"))
	if err != nil {
		t.Fatal(err)
	}
	zp := filepath.Join(dir, "triage.zip")
	f, _ := os.Create(zp)
	zw := zip.NewWriter(f)
	add := func(name string, data []byte, method uint16) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	add("access_log.txt", apache, zip.Deflate)
	add("u_ex2103_excerpt.log", headerless, zip.Deflate)
	add("../escape.aspx", []byte("x"), zip.Store)
	add("inetpub/wwwroot/aspnet_client/big.aspx", []byte(strings.Repeat("<% eval(Request) %>", 10)), zip.Store)
	add("inetpub/wwwroot/aspnet_client/shell.aspx", []byte("<%@ Page %><% eval(Request.Item[\"z\"]) %>"), zip.Store)
	add("headerless.LOG", []byte("2021-03-03T00:00:00.000Z,x,y\n2021-03-03T00:00:01.000Z,x,y\n"), zip.Store)
	zw.Close()
	f.Close()
	evidencetest.CorruptZipEntry(t, zp, "inetpub/wwwroot/aspnet_client/shell.aspx")

	r := hunt1(t, zp, opt)[0]
	reasons := map[string]string{}
	for _, u := range r.NotExamined {
		reasons[u.Path] = u.Reason
	}
	for path, want := range map[string]string{
		"access_log.txt":                           "an Apache/NCSA access log",
		"../escape.aspx":                           "unsafe path in zip",
		"inetpub/wwwroot/aspnet_client/big.aspx":   "only its first 64 bytes were checked",
		"inetpub/wwwroot/aspnet_client/shell.aspx": "cannot read",
		"headerless.LOG":                           "a CSV log without a header line",
	} {
		if !strings.Contains(reasons[path], want) {
			t.Errorf("%s: reason %q, want %q", path, reasons[path], want)
		}
	}
	if _, listed := reasons["u_ex2103_excerpt.log"]; listed {
		t.Errorf("the headerless IIS excerpt was read with the default layout, yet listed: %q", reasons["u_ex2103_excerpt.log"])
	}
	if !strings.Contains(r.VerdictReason, "the evidence is incomplete: 5 inputs not examined") {
		t.Errorf("verdict reason %q", r.VerdictReason)
	}
	var iis *finding.Coverage
	for i := range r.Coverage {
		if r.Coverage[i].Source == "iis" {
			iis = &r.Coverage[i]
		}
	}
	if iis == nil || iis.Records != 10 || !strings.Contains(strings.Join(iis.Warnings, "\n"), "no #Fields: header: read with the default Exchange IIS fields") {
		t.Errorf("headerless IIS coverage: %+v", iis)
	}
	// Nothing examined at all: the only file is the unreadable web shell.
	only := filepath.Join(t.TempDir(), "only.zip")
	f, _ = os.Create(only)
	zw = zip.NewWriter(f)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "inetpub/wwwroot/aspnet_client/shell.aspx", Method: zip.Store})
	w.Write([]byte("<%@ Page %><% eval(Request.Item[\"z\"]) %>"))
	zw.Close()
	f.Close()
	evidencetest.CorruptZipEntry(t, only, "inetpub/wwwroot/aspnet_client/shell.aspx")
	r = hunt1(t, only, opt)[0]
	if r.FilesExamined != 0 || r.Verdict != finding.NoEvidence || !strings.HasPrefix(r.VerdictReason, "nothing could be examined: 1 input") {
		t.Errorf("unreadable only file: examined %d, verdict %s, reason %q", r.FilesExamined, r.Verdict, r.VerdictReason)
	}
}

// Watson reports of MSExchange events name the build as logs do; other
// numbers in event text do not pass for one.
func TestExchangeBuildText(t *testing.T) {
	text := "Watson report about to be sent for process id: 10072, with parameters: E12IIS, c-RTL-AMD64, 15.01.2375.007, w3wp#MSExchangeOWAAppPool, M.Exchange.Data, 1.2.3.4, 16.0.10337.20007"
	if got := exchangeBuildText.FindAllString(text, -1); !slices.Equal(got, []string{"15.01.2375.007"}) {
		t.Errorf("builds in %q: %v", text, got)
	}
}

func TestComputerKey(t *testing.T) {
	for in, want := range map[string]string{
		"EXCH01.corp.example": "EXCH01", "exch01": "EXCH01", " alice.insecurebank.local ": "ALICE",
		"10.0.0.5": "10.0.0.5", "fe80::1": "FE80::1", "-": "", "": "",
	} {
		if got := computerKey(in); got != want {
			t.Errorf("computerKey(%q) = %q, want %q", in, got, want)
		}
	}
}
