package hunt

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/safetext"
)

// maxTextFindings bounds the findings the text report prints per host.
const maxTextFindings = 300

// WriteText writes the human report: verdict first, then the timeline of
// findings with file:line evidence, coverage, and next steps.
func WriteText(w io.Writer, results []finding.HostResult, kb *exchange.KB) {
	for i := range results {
		if i > 0 {
			fmt.Fprintln(w)
		}
		writeHost(w, &results[i], kb)
	}
}

func writeHost(w io.Writer, r *finding.HostResult, kb *exchange.KB) {
	verdict := strings.ToUpper(string(r.Verdict))
	if r.FilesExamined == 0 {
		verdict += " (NOTHING COULD BE EXAMINED)"
	} else if len(r.NotExamined) > 0 {
		verdict += " (EVIDENCE INCOMPLETE)"
	}
	fmt.Fprintf(w, "%s: %s\n", oneLine(r.Host, 100), verdict)
	if r.VerdictReason != "" {
		fmt.Fprintf(w, "  why        %s\n", oneLine(r.VerdictReason, 600))
	}
	var a *exchange.Assessment
	if r.Build != "" && kb != nil {
		if as, err := kb.Assess(r.Build); err == nil {
			a = &as
			exp := "not exposed to a known CVE"
			if n := len(as.CVEs); n > 0 {
				exp = fmt.Sprintf("exposed to %d CVEs: %s", n, strings.Join(as.CVEs, ", "))
			}
			fmt.Fprintf(w, "  build      %s (%s %s %s, from %s); %s\n", safetext.Line(r.Build), as.Product, as.CU, updateLabel(as), buildOrigin(r), exp)
		}
	}
	sev := map[finding.Severity]int{}
	for _, f := range r.Findings {
		sev[f.Severity]++
	}
	fmt.Fprintf(w, "  findings   %d (critical %d, high %d, medium %d, low %d, informational %d)\n", len(r.Findings),
		sev[finding.Critical], sev[finding.High], sev[finding.Medium], sev[finding.Low], sev[finding.Informational])
	fmt.Fprintf(w, "  evidence   %d files examined, %d read whole with their SHA-256 recorded", r.FilesExamined, len(r.Evidence))
	if n := len(r.NotExamined); n > 0 {
		fmt.Fprintf(w, "; %d not examined or only in part (below)", n)
	}
	fmt.Fprintln(w)
	if r.FileScope != "" {
		fmt.Fprintf(w, "  file scope %s (%s)\n", r.FileScope, r.ScopeReason)
	}

	if len(r.Findings) > 0 {
		fmt.Fprintf(w, "\nTimeline\n")
		groups := groupByPlace(r.Findings)
		printed, skipped := 0, 0
		for i, g := range groups {
			// Past the first maxTextFindings, only what succeeded is
			// printed: the one request that worked must not drown in a
			// flood of refused ones.
			if i >= maxTextFindings && (!groupSucceeded(g) || printed >= 2*maxTextFindings) {
				skipped++
				continue
			}
			if skipped > 0 {
				fmt.Fprintf(w, "  ... %d more, none succeeded\n", skipped)
				skipped = 0
			}
			writeGroup(w, g)
			printed++
		}
		if skipped > 0 {
			fmt.Fprintf(w, "  ... %d more: use --format json for all\n", skipped)
		}
	}
	writeCapped(w, r.Capped)

	fmt.Fprintf(w, "\nLog coverage\n")
	fmt.Fprintf(w, "  %-22s %5s %10s  %-10s  %-10s\n", "source", "files", "lines", "first", "last")
	for _, c := range r.Coverage {
		fmt.Fprintf(w, "  %-22s %5d %10d  %-10s  %-10s\n", safetext.Line(c.Source), c.Files, c.Records, day(c), dayLast(c))
		for _, wr := range c.Warnings {
			fmt.Fprintf(w, "      ! %s\n", safetext.Line(wr))
		}
	}
	writeNotExamined(w, r.NotExamined)
	if len(r.Warnings) > 0 {
		fmt.Fprintf(w, "\nWarnings (%d)\n", len(r.Warnings))
		for i, wr := range r.Warnings {
			if i == 20 {
				fmt.Fprintf(w, "  ... %d more (see --format json)\n", len(r.Warnings)-i)
				break
			}
			fmt.Fprintf(w, "  - %s\n", oneLine(wr, 600))
		}
	}
	fmt.Fprintf(w, "\nNext steps\n")
	for _, s := range NextSteps(r, a, kb) {
		fmt.Fprintf(w, "  - %s\n", safetext.Line(s))
	}
}

// buildOrigin names the source of the reported build.
func buildOrigin(r *finding.HostResult) string {
	for _, s := range r.BuildSources {
		if s.Reliability == "ignored" {
			continue
		}
		if b, err := exchange.ParseBuild(s.Build); err == nil && b.String() == r.Build {
			return s.Source
		}
	}
	return "the evidence"
}

// writeNotExamined lists what was not examined, grouped by reason.
func writeNotExamined(w io.Writer, list []finding.Unexamined) {
	if len(list) == 0 {
		return
	}
	fmt.Fprintf(w, "\nNot examined (%d)\n", len(list))
	var reasons []string
	byReason := map[string][]string{}
	for _, u := range list {
		if _, ok := byReason[u.Reason]; !ok {
			reasons = append(reasons, u.Reason)
		}
		byReason[u.Reason] = append(byReason[u.Reason], u.Path)
	}
	for i, reason := range reasons {
		if i == 20 {
			fmt.Fprintf(w, "  ... %d more reasons (see --format json)\n", len(reasons)-i)
			break
		}
		paths := byReason[reason]
		fmt.Fprintf(w, "  %s (%d)\n", oneLine(reason, 300), len(paths))
		for j, p := range paths {
			if j == 5 {
				fmt.Fprintf(w, "      ... %d more\n", len(paths)-j)
				break
			}
			fmt.Fprintf(w, "      %s\n", oneLine(p, 300))
		}
	}
}

// NextSteps derives what to do now from the verdict, the findings and the
// build.
func NextSteps(r *finding.HostResult, a *exchange.Assessment, kb *exchange.KB) []string {
	var steps []string
	switch {
	case r.FilesExamined == 0:
		return []string{"nothing could be examined: fix what the \"Not examined\" list says (permissions, formats, a complete copy of the logs) and hunt again; this result is no all-clear"}
	case len(r.NotExamined) > 0:
		steps = append(steps, fmt.Sprintf("%d inputs were not examined or only in part (see \"Not examined\"): the verdict covers only what was read", len(r.NotExamined)))
	}
	has := func(prefix string) bool {
		for _, f := range r.Findings {
			for _, t := range f.Attack {
				if strings.HasPrefix(t, prefix) {
					return true
				}
			}
		}
		return false
	}
	switch r.Verdict {
	case finding.Compromised:
		steps = append(steps, "treat the server as compromised: isolate it from the internet, keep this evidence (hashes above), and involve incident response")
		var files []string
		seen := map[string]bool{}
		for _, f := range r.Findings {
			if f.Kind == finding.KindFile && !seen[f.Source] {
				seen[f.Source] = true
				files = append(files, f.Source)
			}
		}
		if len(files) > 0 {
			steps = append(steps, "after preserving copies, remove the flagged files: "+strings.Join(files, ", "))
		}
		if has("T1003") {
			steps = append(steps, "LSASS was dumped: reset the passwords of every account that logged on to this server (and krbtgt twice if a domain controller credential may be exposed)")
		}
		steps = append(steps, "consider rebuilding the server: attackers who ran code as SYSTEM may have left persistence the evidence does not show")
	case finding.ExploitationAttempted:
		steps = append(steps, "exploitation was attempted: confirm the server is patched, and check the attempts' times against your patch history")
	default:
		steps = append(steps, "no evidence of exploitation in what was read: check the coverage above, absence of evidence is only as good as the logs' reach")
	}
	if a != nil && len(a.CVEs) > 0 && kb != nil {
		if len(a.MissingUpdates) > 0 {
			steps = append(steps, fmt.Sprintf("install the missing updates for %s %s: %s (newest: %s %s)", a.Product, a.CU, strings.Join(a.MissingUpdates, ", "), a.LatestUpdate, a.LatestInLine))
		}
		for _, n := range a.Notes {
			steps = append(steps, n)
		}
	}
	return steps
}

func orUnknown(s string) string {
	if s == "" {
		return "update unknown"
	}
	return s
}

// updateLabel names the installed update: "Mar21SU", or "no SU" when the
// build is the CU release itself.
func updateLabel(a exchange.Assessment) string {
	if a.Update != "" && a.Update == a.CU {
		return "no security update"
	}
	return orUnknown(a.Update)
}

func day(c finding.Coverage) string {
	if c.First.IsZero() {
		return "-"
	}
	return c.First.Format("2006-01-02")
}

func dayLast(c finding.Coverage) string {
	if c.Last.IsZero() {
		return "-"
	}
	return c.Last.Format("2006-01-02")
}

// oneLine escapes control characters visibly (safetext.Line) so evidence
// cannot forge report lines or send terminal escapes, and cuts s to about
// n bytes on a character boundary.
func oneLine(s string, n int) string {
	s = safetext.Line(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func groupSucceeded(g []finding.Finding) bool {
	return slices.ContainsFunc(g, func(f finding.Finding) bool { return f.Outcome == finding.Succeeded })
}

// writeCapped says, for each rule over the findings cap, how many matches
// were dropped and who and what they came from, succeeded ones first.
func writeCapped(w io.Writer, capped []finding.CappedRule) {
	if len(capped) == 0 {
		return
	}
	fmt.Fprintf(w, "\nCapped rules (%d): more matches than findings kept; every match counted\n", len(capped))
	for _, c := range capped {
		fmt.Fprintf(w, "  %s (%s)\n", oneLine(c.Title, 200), oneLine(c.Rule, 120))
		fmt.Fprintf(w, "      matched %d, kept %d, dropped %d; succeeded %d, attempted %d, unknown %d\n",
			c.Matched, c.Kept, c.Dropped, c.Outcomes.Succeeded, c.Outcomes.Attempted, c.Outcomes.Unknown)
		for _, d := range []struct {
			name string
			list []finding.ValueCount
			all  int
		}{{"client IPs", c.ClientIPs, c.ClientIPsDistinct}, {"URLs", c.URLs, c.URLsDistinct}} {
			if d.all < 0 {
				fmt.Fprintf(w, "      %s: too many distinct to count\n", d.name)
				continue
			}
			var parts []string
			for i, v := range d.list {
				if i == 5 && v.Succeeded == 0 || i == 20 {
					break
				}
				what := fmt.Sprintf("%d attempted", v.Attempted)
				if v.Succeeded > 0 {
					what = fmt.Sprintf("%d SUCCEEDED, %d attempted", v.Succeeded, v.Attempted)
				}
				if v.Unknown > 0 {
					what += fmt.Sprintf(", %d unknown", v.Unknown)
				}
				parts = append(parts, fmt.Sprintf("%s ×%d (%s; %d kept)", oneLine(v.Value, 120), v.Matched, what, v.Kept))
			}
			if len(parts) < d.all {
				parts = append(parts, fmt.Sprintf("%d more", d.all-len(parts)))
			}
			fmt.Fprintf(w, "      %s (%d): %s\n", d.name, d.all, strings.Join(parts, ", "))
		}
	}
}

// groupByPlace merges findings of the same evidence line (several rules
// often fire on one request) so the timeline shows each line once.
func groupByPlace(fs []finding.Finding) [][]finding.Finding {
	var out [][]finding.Finding
	index := map[string]int{}
	for _, f := range fs {
		key := fmt.Sprintf("%s\x00%d\x00%d", f.Source, f.Line, f.Time.UnixNano())
		if f.Line == 0 && f.Kind != finding.KindFile {
			key += "\x00" + f.Rule
		}
		if i, ok := index[key]; ok {
			out[i] = append(out[i], f)
			continue
		}
		index[key] = len(out)
		out = append(out, []finding.Finding{f})
	}
	return out
}

func writeGroup(w io.Writer, g []finding.Finding) {
	top := g[0]
	for _, f := range g[1:] {
		if f.Severity.Rank() > top.Severity.Rank() {
			top = f
		}
	}
	when := "(no time)          "
	if !top.Time.IsZero() {
		when = top.Time.UTC().Format("2006-01-02 15:04:05")
	}
	var tags []string
	for _, f := range g {
		for _, t := range slices.Concat(f.CVEs, f.Attack) {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
	}
	fmt.Fprintf(w, "  %s  %-8s %-9s %s [%s]\n", when, top.Severity, top.Outcome, oneLine(top.Title, 200), oneLine(strings.Join(tags, " "), 300))
	for _, f := range g {
		if f.Rule != top.Rule {
			fmt.Fprintf(w, "      also: %s (%s, %s)\n", oneLine(f.Title, 200), f.Severity, f.Outcome)
		}
	}
	loc := top.Source
	if top.Line > 0 {
		loc = fmt.Sprintf("%s:%d", top.Source, top.Line)
	}
	fmt.Fprintf(w, "      %s\n      %s\n", oneLine(loc, 300), oneLine(top.Evidence, 300))
	var related []finding.Ref
	for _, f := range g {
		for _, r := range f.Related {
			related = addRef(related, r)
		}
	}
	for j, rel := range related {
		if j == 5 {
			fmt.Fprintf(w, "      ↳ ... %d more related records\n", len(related)-j)
			break
		}
		relLoc := rel.Source
		if rel.Line > 0 {
			relLoc = fmt.Sprintf("%s:%d", rel.Source, rel.Line)
		}
		fmt.Fprintf(w, "      ↳ %s (%s)\n", oneLine(rel.Note, 200), oneLine(relLoc, 200))
	}
}
