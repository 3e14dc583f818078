package hunt

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/finding"
)

// minGapDays is the shortest run of missing days reported as a gap.
const minGapDays = 2

// cover accumulates one log source's coverage.
type cover struct {
	files            int
	records, lines   int64
	malformed        int64
	first, last      time.Time
	days             map[time.Time]bool
	malformedByFiles []string
}

// fileCover is what one log file covers, kept per file while the tree is
// read so that coverage can follow the file to its host.
type fileCover struct {
	path, source              string
	first, last               time.Time
	days                      []time.Time
	records, lines, malformed int64
	notes                     []string
}

func (h *hostHunt) cover(source string, f *evidence.File, first, last time.Time, days []time.Time, records, lines, malformed int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.covers = append(h.covers, fileCover{path: f.Path, source: source, first: first, last: last, days: days, records: records, lines: lines, malformed: malformed})
}

// coverNote adds a coverage warning about the file cover recorded last
// for source (call it right after cover, from the same worker).
func (h *hostHunt) coverNote(source, text string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.covers) - 1; i >= 0; i-- {
		if h.covers[i].source == source {
			h.covers[i].notes = append(h.covers[i].notes, text)
			return
		}
	}
}

// timeSpan is the time of a log file's first and last record.
type timeSpan struct{ first, last time.Time }

// addCover folds one file's coverage into the host's per-source totals,
// and keeps the file's time span for the RequestId join (nearFindings).
func (h *hostHunt) addCover(fc fileCover) {
	if !fc.first.IsZero() && !fc.last.IsZero() {
		if h.spans == nil {
			h.spans = map[string]timeSpan{}
		}
		sp, ok := h.spans[fc.path]
		if !ok || fc.first.Before(sp.first) {
			sp.first = fc.first
		}
		if fc.last.After(sp.last) {
			sp.last = fc.last
		}
		h.spans[fc.path] = sp
	}
	c := h.coverage[fc.source]
	if c == nil {
		c = &cover{days: map[time.Time]bool{}}
		h.coverage[fc.source] = c
	}
	c.files++
	c.records += fc.records
	c.lines += fc.lines
	c.malformed += fc.malformed
	if fc.malformed > 0 && len(c.malformedByFiles) < 20 {
		c.malformedByFiles = append(c.malformedByFiles, fmt.Sprintf("%s: %d malformed lines", fc.path, fc.malformed))
	}
	for _, n := range fc.notes {
		if len(c.malformedByFiles) < 40 {
			c.malformedByFiles = append(c.malformedByFiles, n)
		}
	}
	if !fc.first.IsZero() && (c.first.IsZero() || fc.first.Before(c.first)) {
		c.first = fc.first
	}
	if fc.last.After(c.last) {
		c.last = fc.last
	}
	for _, d := range fc.days {
		c.days[dayOf(d)] = true
	}
}

func sortedDays(m map[time.Time]bool) []time.Time {
	out := make([]time.Time, 0, len(m))
	for d := range m {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// gaps returns runs of at least minGapDays days without records.
func gaps(days []time.Time) []finding.Gap {
	var out []finding.Gap
	for i := 1; i < len(days); i++ {
		missing := int(days[i].Sub(days[i-1]).Hours()/24) - 1
		if missing >= minGapDays {
			out = append(out, finding.Gap{From: days[i-1].AddDate(0, 0, 1), To: days[i].AddDate(0, 0, -1)})
		}
	}
	return out
}

func (h *hostHunt) coverageList() []finding.Coverage {
	out := []finding.Coverage{}
	for src, c := range h.coverage {
		cv := finding.Coverage{Source: src, Files: c.files, Records: c.lines, Malformed: c.malformed,
			First: c.first.UTC(), Last: c.last.UTC(), Gaps: gaps(sortedDays(c.days)), Warnings: c.malformedByFiles}
		if c.first.IsZero() {
			cv.First, cv.Last = time.Time{}, time.Time{}
		}
		for _, g := range cv.Gaps {
			cv.Warnings = append(cv.Warnings, fmt.Sprintf("no records from %s to %s (%d days)", g.From.Format("2006-01-02"), g.To.Format("2006-01-02"), int(g.To.Sub(g.From).Hours()/24)+1))
		}
		out = append(out, cv)
	}
	slices.SortFunc(out, func(a, b finding.Coverage) int { return strings.Compare(a.Source, b.Source) })
	return out
}

// sourceCVEs says which CVEs each log source can show exploitation of.
func sourceCVEs(source string) []string {
	switch {
	case source == "iis", strings.HasPrefix(source, "httpproxy"):
		return []string{"CVE-2021-26855", "CVE-2021-34473", "CVE-2022-41040", "CVE-2022-41080"}
	case source == "ecp":
		return []string{"CVE-2021-27065"}
	case source == "oabgenerator":
		return []string{"CVE-2021-26858"}
	case source == "cmdlet":
		return []string{"CVE-2021-31207", "CVE-2022-41082"}
	case source == "evtx/application":
		return []string{"CVE-2021-26857"}
	}
	return nil
}

// coverageWarnings warns when a source starts after the first known
// exploitation of a CVE it covers and the build was (or may have been)
// exposed to it: an earlier compromise would leave no trace there
// (CSS-Exchange issue #98: Test-ProxyLogon never said so).
func (h *hostHunt) coverageWarnings(res *finding.HostResult) {
	kb := h.opt.KB
	if kb == nil {
		return
	}
	var exposed map[string]bool
	if res.Build != "" {
		if a, err := kb.Assess(res.Build); err == nil {
			exposed = map[string]bool{}
			for _, c := range slices.Concat(a.CVEs, a.SUDependent) {
				exposed[c] = true
			}
		}
	}
	for i := range res.Coverage {
		cv := &res.Coverage[i]
		if cv.First.IsZero() {
			cv.Warnings = append(cv.Warnings, "no timestamped records")
			continue
		}
		var late []string
		for _, cve := range sourceCVEs(cv.Source) {
			info, ok := kb.CVEs[cve]
			if !ok || info.ExploitedSince.IsZero() || (exposed != nil && !exposed[cve]) {
				continue
			}
			if cv.First.After(info.ExploitedSince) {
				late = append(late, fmt.Sprintf("%s (%s, exploited since %s)", cve, info.Wave, info.ExploitedSince.Format("2006-01-02")))
			}
		}
		if len(late) > 0 {
			cv.Warnings = append(cv.Warnings, fmt.Sprintf("starts %s, after the first known exploitation of %s: earlier attacks would leave no trace here", cv.First.Format("2006-01-02"), strings.Join(late, ", ")))
		}
	}
}
