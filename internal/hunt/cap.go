package hunt

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/exhunt/exhunt/internal/finding"
)

// maxPerRule bounds how many findings one rule may add for one host (one
// evidence tree): the first maxPerRule in capOrder are kept, whatever
// order the workers delivered them in. Every match of a rule over the
// bound is still counted, by outcome, client IP and URL (see capSummary),
// so the report says what was dropped and from whom.
var maxPerRule = 10000

// maxCapValues bounds the distinct client IPs, and URLs, counted for one
// capped rule; past it that list is given up (and said so) rather than
// kept in part, so that what is reported never depends on the order the
// workers delivered the matches in.
var maxCapValues = 20000

// maxCapListed is how many client IPs or URLs a capped rule lists, besides
// every one with a succeeded match.
const maxCapListed = 1000

// outcomeRank orders outcomes for the cap: a request that worked is kept
// before one that may have, before one that was refused.
func outcomeRank(o finding.Outcome) int {
	switch o {
	case finding.Succeeded:
		return 0
	case finding.Attempted:
		return 2
	}
	return 1
}

// capOrder is the order in which a rule's findings are kept: succeeded,
// then unknown, then attempted, each in finding.Compare order (earliest
// first). A flood of refused scanner requests can then never push the
// one that succeeded out of the report.
func capOrder(a, b *finding.Finding) int {
	return cmp.Or(outcomeRank(a.Outcome)-outcomeRank(b.Outcome), finding.Compare(a, b))
}

// keepLocked appends f unless its rule already holds maxPerRule findings
// that all come before it in capOrder, and returns f's index in
// h.findings, or -1 when it was not kept. A rule's findings may grow to
// a quarter over the bound between trims (each trim then costs a quarter
// of the bound's adds, so a finding's share stays constant), so memory
// stays bounded and the kept set does not depend on the order workers
// finish in.
func (h *hostHunt) keepLocked(f finding.Finding) int {
	if s := h.capped[f.Rule]; s != nil {
		s.count(&f)
	}
	if w := h.worst[f.Rule]; w != nil && capOrder(&f, w) >= 0 {
		h.dropped[f.Rule]++
		return -1
	}
	h.findings = append(h.findings, f)
	at := len(h.findings) - 1
	h.perRule[f.Rule]++
	if h.perRule[f.Rule] >= maxPerRule+maxPerRule/4 {
		at = h.trim(f.Rule)[at]
	}
	return at
}

// trim keeps the first maxPerRule findings of rule in capOrder, counts
// the rest as dropped and renumbers the file findings that point into
// h.findings. It returns the old → new index map (-1: dropped), nil when
// nothing moved. The first trim of a rule starts its summary with every
// match so far (none was dropped before).
func (h *hostHunt) trim(rule string) []int {
	var idx []int
	for i := range h.findings {
		if h.findings[i].Rule == rule {
			idx = append(idx, i)
		}
	}
	if len(idx) <= maxPerRule {
		return nil
	}
	if h.capped == nil {
		h.capped = map[string]*capSummary{}
	}
	if h.capped[rule] == nil {
		s := &capSummary{title: h.findings[idx[0]].Title}
		for _, i := range idx {
			s.count(&h.findings[i])
		}
		h.capped[rule] = s
	}
	slices.SortFunc(idx, func(a, b int) int { return capOrder(&h.findings[a], &h.findings[b]) })
	drop := make([]bool, len(h.findings))
	for _, i := range idx[maxPerRule:] {
		drop[i] = true
	}
	last := h.findings[idx[maxPerRule-1]]
	h.worst[rule] = &last
	h.dropped[rule] += len(idx) - maxPerRule
	h.perRule[rule] = maxPerRule

	newIndex := make([]int, len(h.findings))
	kept := h.findings[:0]
	for i := range h.findings {
		if drop[i] {
			newIndex[i] = -1
			continue
		}
		newIndex[i] = len(kept)
		kept = append(kept, h.findings[i])
	}
	clear(h.findings[len(kept):])
	h.findings = kept
	web := h.webFiles[:0]
	for _, wf := range h.webFiles {
		if n := newIndex[wf.index]; n >= 0 {
			wf.index = n
			web = append(web, wf)
		}
	}
	h.webFiles = web
	return newIndex
}

// capSummary counts every match of a capped rule.
type capSummary struct {
	title    string
	matched  int
	outcomes finding.OutcomeCounts
	clients  valueCounts
	urls     valueCounts
}

func (s *capSummary) count(f *finding.Finding) {
	s.matched++
	countOutcome(&s.outcomes, f.Outcome)
	s.clients.count(f.Details["client_ip"], f)
	s.urls.count(capURL(f), f)
}

// capURL is what a finding is counted under in a capped rule's urls: its
// URL path, or for a file finding its path in the evidence.
func capURL(f *finding.Finding) string {
	if f.Kind == finding.KindFile {
		return f.Source
	}
	return f.Details["url"]
}

func countOutcome(c *finding.OutcomeCounts, o finding.Outcome) {
	switch o {
	case finding.Succeeded:
		c.Succeeded++
	case finding.Attempted:
		c.Attempted++
	default:
		c.Unknown++
	}
}

// valueCounts counts matches per value, up to maxCapValues values.
type valueCounts struct {
	m    map[string]*finding.ValueCount
	over bool // more than maxCapValues distinct values: not counted
}

func (v *valueCounts) count(value string, f *finding.Finding) {
	if value == "" || v.over {
		return
	}
	c := v.m[value]
	if c == nil {
		if len(v.m) >= maxCapValues {
			v.over, v.m = true, nil
			return
		}
		if v.m == nil {
			v.m = map[string]*finding.ValueCount{}
		}
		// A copy: the value may point into a whole log line.
		value = strings.Clone(value)
		c = &finding.ValueCount{Value: value}
		v.m[value] = c
	}
	c.Matched++
	countOutcome(&c.OutcomeCounts, f.Outcome)
	if t := f.Time; !t.IsZero() {
		if c.First.IsZero() || t.Before(c.First) {
			c.First = t
		}
		if t.After(c.Last) {
			c.Last = t
		}
	}
}

// list returns the counts, those with a succeeded match first, then by
// count and value: at most maxCapListed besides the succeeded ones. kept
// counts, per value, the findings reported.
func (v *valueCounts) list(kept map[string]int) ([]finding.ValueCount, int) {
	if v.over {
		return []finding.ValueCount{}, -1
	}
	out := make([]finding.ValueCount, 0, len(v.m))
	for _, c := range v.m {
		c.Kept = kept[c.Value]
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b finding.ValueCount) int {
		return cmp.Or(b.Succeeded-a.Succeeded, b.Matched-a.Matched, strings.Compare(a.Value, b.Value))
	})
	n := len(out)
	succeeded, _ := slices.BinarySearchFunc(out, 0, func(c finding.ValueCount, _ int) int {
		if c.Succeeded > 0 {
			return -1
		}
		return 1
	})
	return out[:min(n, max(maxCapListed, succeeded))], n
}

// cappedRules reports the capped rules over the findings kept (call it
// after the last trim).
func (h *hostHunt) cappedRules() []finding.CappedRule {
	var out []finding.CappedRule
	for _, rule := range slices.Sorted(maps.Keys(h.capped)) {
		s := h.capped[rule]
		keptClients, keptURLs := map[string]int{}, map[string]int{}
		kept := 0
		for i := range h.findings {
			if f := &h.findings[i]; f.Rule == rule {
				kept++
				keptClients[f.Details["client_ip"]]++
				keptURLs[capURL(f)]++
			}
		}
		cr := finding.CappedRule{Rule: rule, Title: s.title, Matched: s.matched, Kept: kept, Dropped: s.matched - kept, Outcomes: s.outcomes}
		cr.ClientIPs, cr.ClientIPsDistinct = s.clients.list(keptClients)
		cr.URLs, cr.URLsDistinct = s.urls.list(keptURLs)
		var notes []string
		for _, d := range []struct {
			name   string
			listed int
			all    int
		}{{"client IPs", len(cr.ClientIPs), cr.ClientIPsDistinct}, {"URLs", len(cr.URLs), cr.URLsDistinct}} {
			switch {
			case d.all < 0:
				notes = append(notes, fmt.Sprintf("more than %d distinct %s matched: not counted", maxCapValues, d.name))
			case d.listed < d.all:
				notes = append(notes, fmt.Sprintf("%d of %d %s listed", d.listed, d.all, d.name))
			}
		}
		cr.Note = strings.Join(notes, "; ")
		out = append(out, cr)
	}
	return out
}
