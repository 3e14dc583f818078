package hunt

import (
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
)

func TestAnchorFileTimes(t *testing.T) {
	logEnd := time.Date(2021, 3, 10, 23, 0, 0, 0, time.UTC)
	copied := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
	created := time.Date(2021, 3, 3, 12, 14, 32, 0, time.UTC)
	old := time.Date(2021, 3, 3, 9, 0, 0, 0, time.UTC)
	h := &hostHunt{coverage: map[string]*cover{"iis": {last: logEnd}}, findings: []finding.Finding{
		{Kind: finding.KindFile, Source: "root/lsass.dmp", Time: copied},
		{Kind: finding.KindFile, Source: "ProgramData/dump.7z", Time: copied},
		{Kind: finding.KindFile, Source: "inetpub/wwwroot/aspnet_client/x.aspx", Time: old},
		{Kind: finding.KindEvent, Source: "Sysmon.evtx", Line: 48226, Time: created, Title: "LSASS Memory Dump File Written",
			Details: map[string]string{"target_filename": `C:\root\lsass.dmp`, "process": `C:\Windows\System32\rundll32.exe`}},
		{Kind: finding.KindEvent, Source: "Sysmon.evtx", Line: 1, Time: created, Title: "near miss",
			Details: map[string]string{"target_filename": `C:\other\lsass.dmp`}},
	}}
	h.anchorFileTimes()
	f := h.findings
	if !f[0].Time.Equal(created) || len(f[0].Related) != 1 || !strings.HasPrefix(f[0].Related[0].Note, "created by C:\\Windows\\System32\\rundll32.exe") {
		t.Errorf("dump: time %v related %+v", f[0].Time, f[0].Related)
	}
	if f[0].Details["mtime"] != "2026-11-26T02:00:00Z" {
		t.Errorf("mtime not kept: %v", f[0].Details)
	}
	if !f[1].Time.IsZero() || !strings.Contains(f[1].Details["time_source"], "probably the time the evidence was copied") {
		t.Errorf("archive with a copy-time mtime: %v %v", f[1].Time, f[1].Details)
	}
	if !f[2].Time.Equal(old) || f[2].Details["time_source"] != "" {
		t.Errorf("a plausible mtime must stay: %v %v", f[2].Time, f[2].Details)
	}
}
