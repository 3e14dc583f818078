package collect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const corpus = "../../../shared/corpus/"

// realTree maps where each real third-party file goes in a simulated C:\
// (folder case scrambled as copies of real servers have it) to its corpus
// path: a real 2021 incident's IIS, HttpProxy and ECP logs (helsecert), a
// lab ProxyShell run's cmdlet logs, lab EVTX captures of web-shell
// activity, the real Exchange 2019 applicationHost.config and a real web
// shell. Sources: ../shared/corpus/SOURCES.md and
// real-exchange-evidence/SOURCES.md.
var realTree = map[string]string{
	"INETPUB/Logs/logfiles/w3svc1/u_ex210305.log":                                                   "real-exchange-evidence/helsecert/assembled/EXCH/inetpub/logs/LogFiles/W3SVC1/u_ex210305.log",
	"INETPUB/Logs/logfiles/w3svc1/u_ex210308.log":                                                   "real-exchange-evidence/helsecert/assembled/EXCH/inetpub/logs/LogFiles/W3SVC1/u_ex210308.log",
	"PROGRAM FILES/Microsoft/Exchange Server/V15/logging/httpproxy/OWA/HttpProxy_2021030503-1.LOG":  "real-exchange-evidence/helsecert/assembled/EXCH/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/HttpProxy_2021030503-1.LOG",
	"PROGRAM FILES/Microsoft/Exchange Server/V15/logging/httpproxy/ECP/HttpProxy_2021030306-1.LOG":  "real-exchange-evidence/helsecert/assembled/EXCH/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG",
	"PROGRAM FILES/Microsoft/Exchange Server/V15/logging/ecp/server/ECPServer20210303-1.LOG":        "real-exchange-evidence/helsecert/assembled/EXCH/Program Files/Microsoft/Exchange Server/V15/Logging/ECP/Server/ECPServer20210303-1.LOG",
	"PROGRAM FILES/Microsoft/Exchange Server/V15/logging/cmdletinfra/Powershell-Proxy/Cmdlet/r.LOG": "real-exchange-evidence/proxyshell-lab/Program Files/Microsoft/Exchange Server/V15/Logging/CmdletInfra/Powershell-Proxy/Cmdlet/Rps_Cmdlet_2023110922-1.LOG",
	"windows/system32/winevt/logs/Microsoft-Windows-Sysmon%4Operational.evtx":                       "real-exchange-evidence/eas/Lateral_Movement_LM_typical_IIS_webshell_sysmon_1_10_traces.evtx",
	"windows/system32/winevt/logs/Microsoft-Windows-PowerShell%4Operational.evtx":                   "real-exchange-evidence/eas/Credential_Access_Powershell_4104_MiniDumpWriteDump_Lsass.evtx",
	"windows/system32/winevt/logs/SECURITY.EVTX":                                                    "real-exchange-evidence/eas/Privilege_Escalation_Runas_4624_4648_Webshell_CreateProcessAsUserA.evtx",
	"windows/system32/inetsrv/CONFIG/applicationHost.config":                                        "benign-css-exchange/Diagnostics/HealthChecker/Tests/DataCollection/E19/Exchange/IIS/applicationHost.config",
	"inetpub/WWWROOT/aspnet_client/system_web/a.aspx":                                               "tennc-webshell/aspx/a.aspx",
}

// TestCollectRealEvidence: every real file placed in the simulated tree
// arrives in the bundle byte for byte (its SHA-256 in the manifest is the
// corpus file's), under its Windows path, and the bundle verifies.
func TestCollectRealEvidence(t *testing.T) {
	if _, err := os.Stat(corpus); err != nil {
		t.Skip("shared corpus not present")
	}
	root := t.TempDir()
	want := map[string]string{} // bundle path → SHA-256 of the corpus file
	for dst, src := range realTree {
		data, err := os.ReadFile(filepath.Join(corpus, src))
		if err != nil {
			t.Fatal(err)
		}
		full := filepath.Join(root, filepath.FromSlash(dst))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
		want["C/"+dst] = sha(data)
	}
	p := plan(t, root, Options{})
	out := filepath.Join(t.TempDir(), "real.zip")
	b, err := p.Write(t.Context(), out, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]FileEntry{}
	for _, e := range b.Manifest.Files {
		got[e.Path] = e
	}
	for path, sum := range want {
		e, ok := got[path]
		if !ok {
			t.Errorf("%s not collected", path)
			continue
		}
		if e.SHA256 != sum || e.OriginalPath != `C:\`+strings.ReplaceAll(strings.TrimPrefix(path, "C/"), "/", `\`) {
			t.Errorf("%s: %+v, want SHA-256 %s", path, e, sum)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d files collected, %d placed", len(got), len(want))
	}
	if b.Manifest.Exchange.FoundFrom != "applicationHost.config" {
		t.Errorf("exchange: %+v", b.Manifest.Exchange)
	}
	rep, err := Verify(t.Context(), out)
	if err != nil || !rep.OK() || rep.Files != len(want)+1 {
		t.Errorf("verify: %+v %v", rep, err)
	}
}
