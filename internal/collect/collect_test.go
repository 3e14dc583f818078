package collect

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/collect/collecttest"
)

const ex = "C/program files/microsoft/Exchange Server/v15/"

// wantCollected is what the simulated server must yield with --since
// 2021-01-01 and --max-size 1024, reviewed file by file against
// collecttest.Files: every log, config, web-facing file, dump and tool a
// hunt reads, in the case found on disk; nothing else.
var wantCollected = []string{
	"C/ExchangeSetupLogs/ExchangeSetup.log",
	"C/IISLogs/w3svc2/u_ex210305.log",
	"C/ProgramData/Microsoft/Windows Defender/Scans/History/Service/DetectionHistory/01/x",
	"C/ProgramData/sys.zip",
	"C/Sites/Intranet/Web.config",
	"C/Sites/Intranet/default.aspx",
	"C/Users/Administrator/AppData/Local/Temp/procdump64.exe",
	"C/Users/Public/Downloads/nc.exe",
	"C/WINDOWS/system32/inetsrv/Config/applicationHost.config",
	"C/Windows/Microsoft.NET/Framework64/v4.0.30319/Config/machine.config",
	"C/Windows/Microsoft.NET/Framework64/v4.0.30319/Config/web.config",
	"C/Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/owa/4c3a/2b1d/App_Web_zk3kd0ha.dll",
	"C/Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/owa/4c3a/2b1d/xyz12345.compiled",
	"C/Windows/System32/LogFiles/HTTPERR/httperr1.log",
	"C/Windows/System32/winevt/Logs/Application.evtx",
	"C/Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx",
	"C/Windows/System32/winevt/Logs/Security.evtx",
	"C/Windows/Temp/lsass.dmp",
	"C/inetpub/logs/LogFiles/W3SVC1/u_ex210305.log",
	"C/inetpub/wwwroot/aspnet_client/system_web/errorcheck.aspx",
	"C/inetpub/wwwroot/iisstart.htm",
	"C/inetpub/wwwroot/web.config",
	ex + "ClientAccess/OAB/evil.aspx",
	ex + "ClientAccess/ecp/DDI/RemoteDomains.aspx",
	ex + "ClientAccess/ecp/web.config",
	ex + "FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx",
	ex + "FrontEnd/HttpProxy/owa/auth/15.1.2176/scripts/premium/flogon.js",
	ex + "FrontEnd/HttpProxy/owa/auth/RedirSuiteServerProxy.aspx",
	ex + "FrontEnd/HttpProxy/owa/web.config",
	ex + "Logging/CmdletInfra/Powershell-Proxy/Cmdlet/Rps_Cmdlet_2021030322-1.LOG",
	ex + "Logging/ECP/Server/ECPServer20210303-1.LOG",
	ex + "Logging/HttpProxy/Owa/HttpProxy_2021030503-1.LOG",
	ex + "Logging/OABGeneratorLog/OABGenerator20210303-1.LOG",
	ex + "bin/ExSetup.exe",
	"C/root/lsass.dmp",
}

var since = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)

func plan(t *testing.T, root string, opt Options) *Plan {
	t.Helper()
	src, err := RootSource(root, nil, "EXCH01")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(t.Context(), src, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func TestPlanSimulatedTree(t *testing.T) {
	root := collecttest.SimulatedC(t)
	p := plan(t, root, Options{Since: since, MaxSize: collecttest.MaxSize})
	var got []string
	for _, it := range p.Items {
		got = append(got, it.Path)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(wantCollected))
	if !slices.Equal(got, want) {
		t.Errorf("collected:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if p.Exchange.InstallPath != `C:\Program Files\Microsoft\Exchange Server\V15` || p.Exchange.FoundFrom != "applicationHost.config" {
		t.Errorf("exchange: %+v", p.Exchange)
	}
	if p.Exchange.ExSetup != ex+"bin/ExSetup.exe" {
		t.Errorf("exsetup: %q", p.Exchange.ExSetup)
	}
	if p.IIS.From != "applicationHost.config" || !slices.Contains(p.IIS.LogDirs, `C:\IISLogs\W3SVC2`) {
		t.Errorf("iis: %+v", p.IIS)
	}

	skipped := map[string]string{}
	for _, s := range p.Skipped {
		skipped[s.OriginalPath] = s.Reason
	}
	wantSkip := func(path, reason string) {
		t.Helper()
		if r, ok := skipped[path]; !ok || !strings.Contains(r, reason) {
			t.Errorf("skipped %s: %q, want a reason with %q (skipped: %v)", path, r, reason, skipped)
		}
	}
	wantSkip(`C:\inetpub\logs\LogFiles\W3SVC1\u_ex191231.log`, "before --since")
	wantSkip(`C:\program files\microsoft\Exchange Server\v15\Logging\HttpProxy\Ecp\HttpProxy_2019123100-1.LOG`, "before --since")
	wantSkip(`C:\Windows\Temp\huge.bin`, "--max-size")
	wantSkip(`C:\pagefile.sys`, "--max-size")
	wantSkip(`C:\ProgramData\Microsoft\Search\Data`, "bulky Windows cache")
	wantSkip(`C:\Windows\Temp\hosts-link`, "not followed")
	if len(skipped) != 6 {
		t.Errorf("%d skipped, want 6: %v", len(skipped), skipped)
	}

	missing := map[string]bool{}
	for _, m := range p.Missing {
		missing[m.Path] = true
	}
	for _, m := range []string{`C:\Windows\System32\winevt\Logs\MSExchange Management.evtx`, `C:\Windows\System32\winevt\Logs\Microsoft-Windows-PowerShell%4Operational.evtx`,
		`C:\Program Files\Microsoft\Exchange Server\V15\Logging\Ews`, `C:\Program Files\Microsoft\Exchange Server\V15\Logging\MapiHttp`} {
		if !missing[m] {
			t.Errorf("%s not listed as missing: %v", m, missing)
		}
	}

	e := p.Estimate()
	if e.Files != len(wantCollected) || e.Unknown != 0 || e.ByCategory[CatEventLog].Files != 3 || e.ByCategory[CatIISLog].Files != 3 {
		t.Errorf("estimate: %+v", e)
	}
	var bytes int64
	for _, it := range p.Items {
		fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(it.Path, "C/"))))
		if err != nil {
			t.Fatal(err)
		}
		bytes += fi.Size()
	}
	if e.Bytes != bytes {
		t.Errorf("estimate %d bytes, the files hold %d", e.Bytes, bytes)
	}
}

func TestPlanOptions(t *testing.T) {
	root := collecttest.SimulatedC(t)
	has := func(p *Plan, path string) bool {
		return slices.ContainsFunc(p.Items, func(it Item) bool { return it.Path == path })
	}
	// No --since: old logs come; the default --max-size takes the 2 KiB files.
	p := plan(t, root, Options{})
	for _, f := range []string{"C/inetpub/logs/LogFiles/W3SVC1/u_ex191231.log", "C/Windows/Temp/huge.bin", "C/pagefile.sys"} {
		if !has(p, f) {
			t.Errorf("without --since and with the default --max-size, %s is not collected", f)
		}
	}
	if has(p, "C/Windows/System32/winevt/Logs/Setup.evtx") {
		t.Error("Setup.evtx collected without --all-event-logs")
	}
	if p := plan(t, root, Options{AllEventLogs: true}); !has(p, "C/Windows/System32/winevt/Logs/Setup.evtx") {
		t.Error("--all-event-logs left out Setup.evtx")
	}
}

func TestPlanNoExchange(t *testing.T) {
	root := t.TempDir()
	collecttest.Write(t, root, []collecttest.File{{Path: "inetpub/logs/LogFiles/W3SVC1/u_ex210305.log", Data: "#Fields: date\r\n", MTime: collecttest.Recent}})
	p := plan(t, root, Options{})
	if p.Exchange.FoundFrom != "not found" || len(p.Items) != 1 {
		t.Errorf("exchange %+v, items %+v", p.Exchange, p.Items)
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "--exchange-path") }) ||
		!slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "applicationHost.config not found") }) {
		t.Errorf("warnings: %q", p.Warnings)
	}
	// A non-default install on another drive, named by the user.
	d := t.TempDir()
	collecttest.Write(t, d, []collecttest.File{{Path: "Exchange/Bin/ExSetup.exe", Data: "MZ", MTime: collecttest.Recent}})
	src, err := RootSource(root, map[string]string{"d": d}, "")
	if err != nil {
		t.Fatal(err)
	}
	src.ExchangeInstall, src.ExchangeFrom = `D:\Exchange\`, "--exchange-path"
	p2, err := NewPlan(t.Context(), src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	if p2.Exchange.InstallPath != `D:\Exchange` || p2.Exchange.ExSetup != "D/Exchange/Bin/ExSetup.exe" {
		t.Errorf("exchange on D: %+v", p2.Exchange)
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestWriteBundle(t *testing.T) {
	root := collecttest.SimulatedC(t)
	p := plan(t, root, Options{Since: since, MaxSize: collecttest.MaxSize})
	out := filepath.Join(t.TempDir(), "EXCH01.zip")
	b, err := p.Write(t.Context(), out, WriteOptions{Collector: Collector{Name: "exhunt", Version: "test", OS: "linux", Arch: "amd64"}, CommandLine: []string{"exhunt", "collect"}})
	if err != nil {
		t.Fatal(err)
	}
	m := b.Manifest
	for _, side := range []string{out + ".partial"} {
		if _, err := os.Stat(side); err == nil {
			t.Errorf("%s left behind", side)
		}
	}
	if ws, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".exhunt-collect-*")); len(ws) > 0 {
		t.Errorf("work folder left behind: %v", ws)
	}

	// The .sha256 is the bundle's, in sha256sum's format.
	zb, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	side, _ := os.ReadFile(out + ".sha256")
	if string(side) != sha(zb)+"  EXCH01.zip\n" || b.SHA256 != sha(zb) {
		t.Errorf(".sha256 = %q, bundle hash %s", side, sha(zb))
	}

	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	entries := map[string]*zip.File{}
	for _, f := range zr.File {
		names = append(names, f.Name)
		entries[f.Name] = f
	}
	slices.Sort(names)
	want := slices.Sorted(slices.Values(append(slices.Clone(wantCollected), ManifestName, LogName)))
	if !slices.Equal(names, want) {
		t.Errorf("bundle entries:\n  %s\nwant:\n  %s", strings.Join(names, "\n  "), strings.Join(want, "\n  "))
	}

	// The manifest in the bundle is the one returned, and describes each
	// file as it is on disk.
	rc, err := entries[ManifestName].Open()
	if err != nil {
		t.Fatal(err)
	}
	inZip, err := ParseManifest(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if inZip.Host != "EXCH01" || inZip.Mode != "root" || inZip.Collector.Version != "test" || inZip.Since == nil || !inZip.Since.Equal(since) ||
		inZip.MaxSize != collecttest.MaxSize || inZip.Totals.Files != len(wantCollected) || len(inZip.Files) != len(m.Files) ||
		!inZip.Finished.After(inZip.Started) && !inZip.Finished.Equal(inZip.Started) || inZip.Drives["C"] != root {
		t.Errorf("manifest header: %+v", inZip)
	}
	if inZip.Totals.Skipped != 6 || len(inZip.Skipped) != 6 {
		t.Errorf("manifest skipped: %+v", inZip.Skipped)
	}
	for _, e := range inZip.Files {
		src := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(e.Path, "C/")))
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatalf("%s: %v", e.Path, err)
		}
		wantOrig := `C:\` + strings.ReplaceAll(strings.TrimPrefix(e.Path, "C/"), "/", `\`)
		if e.SHA256 != sha(data) || e.Size != int64(len(data)) || e.OriginalPath != wantOrig || e.Method != "read" || e.Error != "" {
			t.Errorf("%s: %+v (file: %d bytes, %s)", e.Path, e, len(data), sha(data))
		}
		fi, _ := os.Stat(src)
		if !e.Times.Modified.Equal(fi.ModTime()) || e.Times.Accessed == nil || e.Times.Changed == nil {
			t.Errorf("%s: times %+v, file mtime %v", e.Path, e.Times, fi.ModTime())
		}
		if e.Category == "" {
			t.Errorf("%s: no category", e.Path)
		}
	}
	if m.Log == nil || m.Log.Path != LogName {
		t.Fatalf("log entry: %+v", m.Log)
	}
	lr, _ := entries[LogName].Open()
	logData, _ := io.ReadAll(lr)
	lr.Close()
	if sha(logData) != m.Log.SHA256 || !strings.Contains(string(logData), `"msg":"collect: copied"`) ||
		!strings.Contains(string(logData), "RedirSuiteServerProxy.aspx") {
		t.Errorf("collection.log (%d bytes) does not match its manifest entry or lacks the copies", len(logData))
	}
	var generic map[string]any
	rc, _ = entries[ManifestName].Open()
	json.NewDecoder(rc).Decode(&generic)
	rc.Close()
	for _, k := range []string{"format", "collector", "host", "collected_on", "started", "finished", "files", "skipped", "missing", "exchange", "iis", "totals"} {
		if _, ok := generic[k]; !ok {
			t.Errorf("manifest.json lacks %q", k)
		}
	}
}

func TestCheckOutput(t *testing.T) {
	root := collecttest.SimulatedC(t)
	p := plan(t, root, Options{})
	outside := t.TempDir()
	link := filepath.Join(outside, "into-evidence")
	if err := os.Symlink(filepath.Join(root, "Windows"), link); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(outside, "old.zip")
	os.WriteFile(existing, nil, 0o644)
	test := func(out string, ok bool) {
		t.Helper()
		err := p.CheckOutput(out)
		if ok != (err == nil) {
			t.Errorf("CheckOutput(%s) = %v, want ok=%v", out, err, ok)
		}
	}
	test(filepath.Join(outside, "b.zip"), true)
	test(filepath.Join(root, "b.zip"), false)
	test(filepath.Join(root, "Windows/Temp/b.zip"), false)
	test(filepath.Join(root, "new-folder/b.zip"), false)
	test(filepath.Join(link, "b.zip"), false)
	test(existing, false)
	if _, err := p.Write(t.Context(), filepath.Join(root, "b.zip"), WriteOptions{}); err == nil {
		t.Error("Write wrote inside the evidence")
	}
	if _, err := os.Stat(filepath.Join(root, "b.zip.partial")); err == nil {
		t.Error("a partial bundle was left in the evidence")
	}
}

// TestCheckOutputLive: on a live system the bundle may not go into a
// folder being collected (temp folders, ProgramData, the drive root's
// files), but may go anywhere else on the drive.
func TestCheckOutputLive(t *testing.T) {
	mk := func(s string, rec bool) collectedDir {
		wp, err := parseWinPath(s)
		if err != nil {
			t.Fatal(err)
		}
		return collectedDir{wp, rec}
	}
	p := &Plan{dirs: []collectedDir{mk(`C:\Windows\Temp`, true), mk(`C:\ProgramData`, true), mk(`C:\`, false)}}
	test := func(out string, ok bool) {
		t.Helper()
		wp, _ := parseWinPath(out)
		if _, inside := p.insideCollected(wp); inside == ok {
			t.Errorf("%s: inside=%v, want ok=%v", out, inside, ok)
		}
	}
	test(`C:\triage\b.zip`, true)
	test(`D:\b.zip`, true)
	test(`C:\b.zip`, false)
	test(`c:\windows\TEMP\x\b.zip`, false)
	test(`C:\ProgramData\b.zip`, false)
}

func TestLiveEventExport(t *testing.T) {
	root := collecttest.SimulatedC(t)
	os.Remove(filepath.Join(root, "Windows/System32/winevt/Logs/Security.evtx"))
	fx := &fakeExporter{fail: map[string]error{"Microsoft-Windows-Sysmon/Operational": &fs.PathError{Op: "EvtExportLog", Err: fs.ErrPermission}}}
	src := Source{Live: true, Drives: map[string]string{"C": root}, Host: "EXCH01", Exporter: fx, Elevated: false}
	p, err := NewPlan(t.Context(), src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "not running as administrator") }) {
		t.Errorf("no admin warning: %q", p.Warnings)
	}
	b, err := p.Write(t.Context(), filepath.Join(t.TempDir(), "b.zip"), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := b.Manifest
	var sec *FileEntry
	for i, e := range m.Files {
		if e.Path == "C/Windows/System32/winevt/Logs/Security.evtx" {
			sec = &m.Files[i]
		}
	}
	// Security.evtx is not on disk: its channel is exported anyway (a
	// channel may log to another file). The export's hash is recorded.
	if sec == nil || sec.Method != "fake export" || sec.Channel != "Security" || sec.SHA256 != sha([]byte("exported Security")) || !strings.Contains(sec.Note, "hash is the export's") {
		t.Errorf("Security export: %+v", sec)
	}
	if m.Mode != "live" {
		t.Errorf("mode %q", m.Mode)
	}
	// MSExchange Management has no file either; its export fails: skipped,
	// saying what to do.
	var reasons []string
	for _, s := range m.Skipped {
		if strings.Contains(s.OriginalPath, "winevt") {
			reasons = append(reasons, s.OriginalPath+": "+s.Reason)
		}
	}
	if !slices.ContainsFunc(reasons, func(r string) bool {
		return strings.Contains(r, "MSExchange Management.evtx") && strings.Contains(r, "no such channel")
	}) {
		t.Errorf("skipped event logs: %q", reasons)
	}
	if !slices.Contains(fx.asked, "MSExchange Management") || slices.Contains(fx.asked, "Application") {
		t.Errorf("exports asked: %q (Application.evtx was readable and must be read, not exported)", fx.asked)
	}
}

type fakeExporter struct {
	fail  map[string]error
	asked []string
}

func (f *fakeExporter) Export(_ context.Context, channel, dst string) (string, error) {
	f.asked = append(f.asked, channel)
	if err := f.fail[channel]; err != nil {
		return "", err
	}
	if channel != "Security" {
		return "", &fs.PathError{Op: "EvtExportLog", Path: channel, Err: errNoChannel}
	}
	return "fake export", os.WriteFile(dst, []byte("exported "+channel), 0o600)
}

var errNoChannel = errorString("no such channel")

type errorString string

func (e errorString) Error() string { return string(e) }

// TestLiveChannelsWithoutFiles: on a live system whose winevt\Logs folder
// is elsewhere, the channels hunts need are still exported by name, and a
// folder target (--all-event-logs) never becomes a channel of its own.
func TestLiveChannelsWithoutFiles(t *testing.T) {
	src := Source{Live: true, Drives: map[string]string{"C": t.TempDir()}, Exporter: &fakeExporter{}, Elevated: true}
	p, err := NewPlan(t.Context(), src, Options{AllEventLogs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var channels []string
	for _, it := range p.Items {
		if it.Size != -1 || it.rel != "" {
			t.Errorf("%s: size %d, rel %q", it.Path, it.Size, it.rel)
		}
		channels = append(channels, it.Channel)
	}
	slices.Sort(channels)
	want := []string{"Application", "MSExchange Management", "Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-Sysmon/Operational",
		"Microsoft-Windows-Windows Defender/Operational", "Security", "System", "Windows PowerShell"}
	if !slices.Equal(channels, want) {
		t.Errorf("channels %q, want %q", channels, want)
	}
	if e := p.Estimate(); e.Unknown != len(want) || e.Bytes != 0 {
		t.Errorf("estimate %+v", e)
	}
}

// TestReason: what the user reads for a file that could not be read says
// what to do about it, on a live server and on a mounted disk.
func TestReason(t *testing.T) {
	denied := &fs.PathError{Op: "open", Path: "Security.evtx", Err: fs.ErrPermission}
	live := &Plan{sys: openSystem(Source{Live: true})}
	root := &Plan{sys: openSystem(Source{})}
	if r := live.reason(denied); !strings.Contains(r, "needs administrator rights (run exhunt from an elevated prompt)") {
		t.Errorf("live: %q", r)
	}
	if r := root.reason(denied); !strings.Contains(r, "run as root or make the folder readable") {
		t.Errorf("root: %q", r)
	}
	if _, err := RootSource(t.TempDir(), map[string]string{"c": t.TempDir()}, ""); err == nil {
		t.Error("--drive C accepted next to --root")
	}
	if _, err := RootSource(t.TempDir(), map[string]string{"DD": t.TempDir()}, ""); err == nil {
		t.Error("--drive DD accepted")
	}
}

// TestExSetupVersion: the file version of ExSetup.exe is read from its
// version resource, at plan time for the estimate and again from the
// bytes copied, into the manifest. The PE file is a real one
// (internal/peversion/testdata: distlib's launcher, file version
// 1.1.0.14, not an Exchange build; no Exchange binary can be shipped
// here); the simulated tree's ExSetup.exe, a stub, gives the reason
// instead.
func TestExSetupVersion(t *testing.T) {
	exe, err := os.ReadFile("../peversion/testdata/distlib-w32.exe")
	if err != nil {
		t.Fatal(err)
	}
	root := collecttest.SimulatedC(t)
	stub := plan(t, root, Options{})
	if stub.Exchange.ExSetupVersion != "" || !strings.Contains(stub.Exchange.BuildNote, "could not be read: peversion: not a PE file") {
		t.Errorf("stub ExSetup.exe: %+v", stub.Exchange)
	}
	if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(ex, "C/")), "bin/ExSetup.exe"), exe, 0o644); err != nil {
		t.Fatal(err)
	}
	p := plan(t, root, Options{})
	if p.Exchange.ExSetupVersion != "1.1.0.14" || p.Exchange.BuildNote != exsetupNote {
		t.Errorf("plan: %+v", p.Exchange)
	}
	b, err := p.Write(t.Context(), filepath.Join(t.TempDir(), "b.zip"), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Manifest.Exchange; got.ExSetupVersion != "1.1.0.14" || got.ExSetup != ex+"bin/ExSetup.exe" {
		t.Errorf("manifest: %+v", got)
	}
	rep, err := Verify(t.Context(), b.Path)
	if err != nil || !rep.OK() || rep.Manifest.Exchange.ExSetupVersion != "1.1.0.14" {
		t.Errorf("bundle read back: %v %+v", err, rep)
	}
}

// TestExcludeOwnFolder: a stand-in live system whose temp folder lies in
// the collected tree (as %TEMP% does on Windows: Users\*\AppData\Local\Temp
// is collected). A bundle in that folder is refused; in a folder of its own
// named by Options.Exclude it is written, the folder is listed as skipped,
// and nothing of it is collected.
func TestExcludeOwnFolder(t *testing.T) {
	root := collecttest.SimulatedC(t)
	temp := filepath.Join(root, "Users/Administrator/AppData/Local/Temp")
	own := filepath.Join(temp, "exhunt-live-1")
	if err := os.Mkdir(own, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(own, "old.zip"), []byte("PK\x05\x06"+strings.Repeat("\x00", 18)), 0o644)
	src := Source{Live: true, Drives: map[string]string{"C": root}, Host: "EXCH01", Exporter: &fakeExporter{}, Elevated: true}
	p, err := NewPlan(t.Context(), src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.CheckOutput(filepath.Join(own, "b.zip")); err == nil || !strings.Contains(err.Error(), `is inside C:\Users\Administrator\AppData\Local\Temp, which is being collected`) {
		t.Errorf("without Exclude: %v", err)
	}
	if !slices.ContainsFunc(p.Items, func(it Item) bool { return strings.HasSuffix(it.Path, "exhunt-live-1/old.zip") }) {
		t.Fatal("without Exclude the folder's files are collected: the test tree is wrong")
	}

	p2, err := NewPlan(t.Context(), src, Options{Exclude: []string{own}})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	out := filepath.Join(own, "b.zip")
	if err := p2.CheckOutput(out); err != nil {
		t.Fatal(err)
	}
	if err := p2.CheckOutput(filepath.Join(temp, "b.zip")); err == nil {
		t.Error("the temp folder itself was accepted")
	}
	b, err := p2.Write(t.Context(), out, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var skipped *Skipped
	for i, s := range b.Manifest.Skipped {
		if s.OriginalPath == `C:\Users\Administrator\AppData\Local\Temp\exhunt-live-1` {
			skipped = &b.Manifest.Skipped[i]
		}
	}
	if skipped == nil || skipped.Reason != reasonOwn || !skipped.ByChoice() {
		t.Errorf("own folder not listed as skipped by choice: %+v", b.Manifest.Skipped)
	}
	for _, e := range b.Manifest.Files {
		if strings.Contains(e.Path, "exhunt-live-1") {
			t.Errorf("collected from the own folder: %s", e.Path)
		}
	}
	if !slices.ContainsFunc(b.Manifest.Files, func(e FileEntry) bool { return strings.HasSuffix(e.Path, "Temp/procdump64.exe") }) {
		t.Error("the rest of the temp folder was not collected")
	}
}
