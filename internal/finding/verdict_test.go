package finding

import (
	"strings"
	"testing"
)

func TestJudge(t *testing.T) {
	f := func(sev Severity, out Outcome, kind Kind) Finding {
		return Finding{Severity: sev, Outcome: out, Kind: kind}
	}
	test := func(name string, want Verdict, fs ...Finding) {
		t.Helper()
		if got := Judge(fs); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	test("nothing", NoEvidence)
	test("low only", NoEvidence, f(Low, Succeeded, KindLog), f(Informational, Unknown, KindFile))
	test("ssrf answered 241", Compromised, f(Critical, Succeeded, KindLog))
	test("ssrf answered 500", ExploitationAttempted, f(Critical, Attempted, KindLog))
	test("indicator answered 200", ExploitationAttempted, f(Medium, Succeeded, KindLog))
	test("log indicator of unknown outcome", ExploitationAttempted, f(High, Unknown, KindLog))
	test("web shell on disk", Compromised, f(High, Unknown, KindFile))
	test("medium file", ExploitationAttempted, f(Medium, Unknown, KindFile))
	test("w3wp spawned cmd", Compromised, f(High, Unknown, KindEvent))
	test("attempt then success", Compromised, f(High, Attempted, KindLog), f(High, Succeeded, KindLog))
}

func TestParseSeverity(t *testing.T) {
	for in, want := range map[string]Severity{"HIGH": High, " critical ": Critical, "informational": Informational} {
		if got, err := ParseSeverity(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("severe accepted")
	}
}

func TestSort(t *testing.T) {
	fs := []Finding{{Rule: "b", Source: "x", Line: 2}, {Rule: "a", Source: "x", Line: 1}}
	Sort(fs)
	if fs[0].Line != 1 {
		t.Errorf("not sorted: %+v", fs)
	}
}

// A cleared Security log alone is suspicious, not proof; next to a
// proven compromise it changes nothing.
func TestJudgeClearedLog(t *testing.T) {
	cleared := Finding{Title: "Security Audit Log Cleared", Severity: High, Outcome: Unknown, Kind: KindEvent, Attack: []string{"T1070.001"}, Source: "Security.evtx", Line: 7}
	v, why := JudgeWhy([]Finding{cleared})
	if v != ExploitationAttempted || !strings.Contains(why, "no proof of compromise") || !strings.Contains(why, "Security.evtx:7") {
		t.Errorf("cleared log alone: %s, %q", v, why)
	}
	shell := Finding{Title: "web shell", Severity: High, Outcome: Unknown, Kind: KindFile, Attack: []string{"T1505.003"}, Source: "x.aspx"}
	if v, why := JudgeWhy([]Finding{cleared, shell}); v != Compromised || !strings.Contains(why, `"web shell"`) {
		t.Errorf("cleared log and web shell: %s, %q", v, why)
	}
	// A log-clearing rule that also names a CVE is not mere log clearing.
	cve := cleared
	cve.CVEs = []string{"CVE-2021-26857"}
	if v := Judge([]Finding{cve}); v != Compromised {
		t.Errorf("with a CVE: %s", v)
	}
	if v, why := JudgeWhy(nil); v != NoEvidence || why == "" {
		t.Errorf("nothing: %s %q", v, why)
	}
}
