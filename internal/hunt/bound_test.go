package hunt

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
)

// TestPerRuleBoundKeepsTheSameFindingsInAnyOrder feeds the same findings
// in many orders, as parallel workers would, and checks that the kept set
// is the earliest maxPerRule of each rule every time, that the rest are
// counted (the capped summary too), and that file findings still point at
// their own finding.
func TestPerRuleBoundKeepsTheSameFindingsInAnyOrder(t *testing.T) {
	defer func(n int) { maxPerRule = n }(maxPerRule)
	maxPerRule = 5

	base := time.Date(2021, 3, 2, 0, 0, 0, 0, time.UTC)
	var all []finding.Finding
	for i := range 40 {
		all = append(all, finding.Finding{Rule: "noisy", Source: fmt.Sprintf("web/f%02d.aspx", i), Time: base.Add(time.Duration(i) * time.Minute)})
	}
	for i := range 3 {
		all = append(all, finding.Finding{Rule: "rare", Source: fmt.Sprintf("web/r%d.aspx", i), Time: base.Add(time.Duration(i) * time.Hour)})
	}
	// Two findings that differ only in evidence: both are ordered, not tied.
	all = append(all,
		finding.Finding{Rule: "noisy", Source: "web/f00.aspx", Time: base, Evidence: "b"},
		finding.Finding{Rule: "noisy", Source: "web/f00.aspx", Time: base, Evidence: "a"})

	var want []string
	var wantCapped string
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		order := slices.Clone(all)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		h := &hostHunt{perRule: map[string]int{}, worst: map[string]*finding.Finding{}, dropped: map[string]int{}}
		for _, f := range order {
			if at := h.keepLocked(f); at >= 0 {
				h.webFiles = append(h.webFiles, fileFinding{index: at, name: f.Source + "|" + f.Evidence})
			}
		}
		for rule, n := range h.perRule {
			if n > maxPerRule {
				_ = h.trim(rule)
			}
		}
		for _, wf := range h.webFiles {
			f := h.findings[wf.index]
			if f.Source+"|"+f.Evidence != wf.name {
				t.Fatalf("round %d: file finding %q points at %q", round, wf.name, f.Source+"|"+f.Evidence)
			}
		}
		if len(h.webFiles) != len(h.findings) {
			t.Fatalf("round %d: %d file findings for %d findings", round, len(h.webFiles), len(h.findings))
		}
		finding.Sort(h.findings)
		var got []string
		for _, f := range h.findings {
			got = append(got, f.Rule+" "+f.Source+" "+f.Evidence)
		}
		if h.dropped["noisy"] != 42-maxPerRule || h.dropped["rare"] != 0 {
			t.Fatalf("round %d: dropped %v, want noisy=%d", round, h.dropped, 42-maxPerRule)
		}
		capped := fmt.Sprintf("%+v", h.cappedRules())
		if round == 0 {
			want, wantCapped = got, capped
			continue
		}
		if capped != wantCapped {
			t.Fatalf("round %d capped summary\n%s\nround 0\n%s", round, capped, wantCapped)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("round %d kept\n%q\nround 0 kept\n%q", round, got, want)
		}
	}
	wantFirst := []string{"noisy web/f00.aspx ", "noisy web/f00.aspx a", "noisy web/f00.aspx b", "rare web/r0.aspx ", "noisy web/f01.aspx "}
	if !slices.Equal(want[:5], wantFirst) || len(want) != maxPerRule+3 {
		t.Errorf("kept %q, want the earliest five noisy findings and the three rare ones (%q first)", want, wantFirst)
	}
}
