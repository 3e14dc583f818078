package report

import (
	"slices"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/finding"
)

func titles(steps []Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.Urgency.String()+": "+s.Title)
	}
	return out
}

// TestPlan pairs each remediation trigger with a near miss that must not
// trigger it.
func TestPlan(t *testing.T) {
	k := kb(t)
	test := func(name, build string, verdict finding.Verdict, fs []finding.Finding, want, notWant []string) {
		t.Helper()
		h := &Host{Result: finding.HostResult{Host: "EX09", Verdict: verdict, Build: build, Findings: fs,
			Coverage: []finding.Coverage{{Source: "iis", Records: 10}}}}
		e := Assess(k, h)
		got := strings.Join(titles(Plan(k, h, &e)), "\n")
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: plan lacks %q:\n%s", name, w, got)
			}
		}
		for _, w := range notWant {
			if strings.Contains(got, w) {
				t.Errorf("%s: plan has %q:\n%s", name, w, got)
			}
		}
	}
	shell := finding.Finding{Rule: "webshell-china-chopper", Title: "China Chopper web shell", Severity: finding.Critical, Kind: finding.KindFile, Source: "aspnet_client/x.aspx"}
	benignASPX := finding.Finding{Rule: "aspx-recently-modified", Title: "ASPX file changed after install", Severity: finding.Medium, Kind: finding.KindFile, Source: "owa/auth/logon.aspx"}
	dump := finding.Finding{Rule: "lsass-dump-comsvcs", Title: "LSASS dumped with comsvcs.dll MiniDump", Severity: finding.Critical, Kind: finding.KindEvent,
		Evidence: "rundll32 comsvcs.dll MiniDump 624 C:\\temp\\l.dmp full", Details: map[string]string{"target_file": `C:\temp\l.dmp`}}
	lsassRead := finding.Finding{Rule: "lsass-handle-audit", Title: "Handle to lsass.exe opened by the antivirus", Severity: finding.Low, Kind: finding.KindEvent, Evidence: "MsMpEng.exe opened lsass.exe"}
	probe := finding.Finding{Rule: "proxyshell-autodiscover", Title: "ProxyShell probe", Severity: finding.High, Kind: finding.KindLog, Outcome: finding.Attempted}
	patched := "15.2.2562.56" // Exchange SE, newest update in the knowledge base
	test("web shell", patched, finding.Compromised, []finding.Finding{shell}, []string{"now: Contain EX09", "now: Remove the web shells", "this week: Decide whether to rebuild"}, []string{"Reset the credentials", "Install"})
	test("benign aspx change", patched, finding.ExploitationAttempted, []finding.Finding{benignASPX}, nil, []string{"Remove the web shells", "Contain", "rebuild"})
	test("lsass dump", patched, finding.Compromised, []finding.Finding{dump}, []string{"now: Remove memory dumps", "this week: Reset the credentials LSASS held", "this week: Rebuild the server"}, nil)
	test("lsass handle only", patched, finding.NoEvidence, []finding.Finding{lsassRead}, nil, []string{"Reset the credentials", "Remove memory dumps", "Rebuild"})
	test("attempt on exposed build", "15.1.2176.2", finding.ExploitationAttempted, []finding.Finding{probe},
		[]string{"today: Install Exchange Server 2016 CU23", "today: Mitigate until the update is installed"}, []string{"Contain", "Rebuild", "Decide whether"})
	test("attempt on patched build", patched, finding.ExploitationAttempted, []finding.Finding{probe}, nil, []string{"Install", "Mitigate", "Contain"})
	test("unknown build", "", finding.NoEvidence, nil, []string{"this week: Find the exact Exchange build"}, nil)
	test("malformed build", "15.x", finding.NoEvidence, nil, []string{"Find the exact Exchange build"}, nil)
}

func TestPlanOrderAndGaps(t *testing.T) {
	k := kb(t)
	h := &fleet(t)[0]
	e := Assess(k, h)
	steps := Plan(k, h, &e)
	if !slices.IsSortedFunc(steps, func(a, b Step) int { return int(a.Urgency) - int(b.Urgency) }) {
		t.Errorf("plan not ordered by urgency: %q", titles(steps))
	}
	last := steps[len(steps)-1]
	if last.Urgency != Later || !slices.Contains(last.Items, "evtx/security: log cleared (event 1102)") {
		t.Errorf("last step = %+v, want the coverage gaps", last)
	}
}

func TestMitigationsPerWave(t *testing.T) {
	k := kb(t)
	h := &Host{Result: finding.HostResult{Host: "EX09", Build: "15.2.858.5"}} // 2019 CU9: ProxyShell onwards
	e := Assess(k, h)
	m := strings.Join(mitigations(&e, e.Assessment), "\n")
	for _, w := range []string{"ProxyShell:", "ProxyNotShell:", "OWASSRF:", "NTLM relay:"} {
		if !strings.Contains(m, w) {
			t.Errorf("mitigations lack %q:\n%s", w, m)
		}
	}
	if strings.Contains(m, "ProxyLogon:") {
		t.Error("2019 CU9 contains the ProxyLogon fixes: no EOMT mitigation expected")
	}
}
