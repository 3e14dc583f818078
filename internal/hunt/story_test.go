package hunt

import (
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
)

func TestLinkProcesses(t *testing.T) {
	t0 := time.Date(2021, 3, 3, 12, 11, 0, 0, time.UTC)
	proc := func(at time.Duration, parent, cmd string) finding.Finding {
		return finding.Finding{Kind: finding.KindEvent, Time: t0.Add(at), Source: "Sysmon.evtx", Line: 7,
			Details: map[string]string{"parent_process": parent, "process": `C:\Windows\System32\cmd.exe`, "command_line": cmd}}
	}
	h := &hostHunt{findings: []finding.Finding{
		{Kind: finding.KindLog, Time: t0, Source: "u_ex210303.log", Line: 206, Attack: []string{"T1505.003"}, Evidence: "GET /aspnet_client/x.aspx p=whoami", Outcome: finding.Succeeded},
		proc(30*time.Second, `C:\Windows\System32\inetsrv\w3wp.exe`, "cmd /c whoami"),    // the story
		proc(10*time.Second, `C:\Windows\explorer.exe`, "cmd /c dir"),                    // near miss: not a web worker
		proc(time.Hour, `C:\Windows\System32\inetsrv\w3wp.exe`, "cmd /c ipconfig"),       // near miss: too late
		proc(-30*time.Second, `C:\Windows\System32\inetsrv\w3wp.exe`, "cmd /c hostname"), // near miss: before the request
	}}
	h.linkProcesses()
	f := h.findings
	if len(f[1].Related) != 1 || !strings.Contains(f[1].Related[0].Note, "30s before: web-shell request: GET /aspnet_client/x.aspx") {
		t.Errorf("process not tied to the request: %+v", f[1].Related)
	}
	for _, i := range []int{2, 3, 4} {
		if len(f[i].Related) != 0 {
			t.Errorf("near miss %d linked: %+v", i, f[i].Related)
		}
	}
	if len(f[0].Related) != 1 || !strings.Contains(f[0].Related[0].Note, "followed by process") || !strings.Contains(f[0].Related[0].Note, "cmd /c whoami") {
		t.Errorf("request not tied to the process: %+v", f[0].Related)
	}
}
