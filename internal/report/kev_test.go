package report

import (
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/finding"
)

// CVEs on CISA's KEV list lead the exposure list and the plan, and make
// patching urgent today; a build exposed only to CVEs not known to be
// exploited gets "this week".
func TestKEVFirst(t *testing.T) {
	k := kb(t)
	h := &Host{Result: finding.HostResult{Host: "EX10", Verdict: finding.NoEvidence, Build: "15.2.2562.17"}}
	e := Assess(k, h)
	if len(e.CVEs) < 10 || e.CVEs[0].ID != "CVE-2026-42897" || e.CVEs[0].KEVAdded != "2026-05-15" || !e.CVEs[0].Exploited {
		t.Fatalf("first CVE %+v of %d", e.CVEs[0], len(e.CVEs))
	}
	for _, c := range e.CVEs[1:] {
		if c.KEVAdded != "" {
			t.Errorf("KEV CVE %s after a non-KEV one", c.ID)
		}
	}
	plan := Plan(k, h, &e)
	if len(plan) == 0 || plan[0].Urgency != Today || !strings.Contains(plan[0].Why, "exposed to CVE-2026-42897, ") {
		t.Errorf("plan: %+v", plan)
	}
	h2 := &Host{Result: finding.HostResult{Host: "EX11", Verdict: finding.NoEvidence, Build: "15.2.2562.46"}}
	e2 := Assess(k, h2)
	plan2 := Plan(k, h2, &e2)
	if len(plan2) == 0 || plan2[0].Urgency != ThisWeek || e2.CVEs[0].Exploited {
		t.Errorf("no KEV exposure: %+v %+v", plan2, e2.CVEs)
	}
}
