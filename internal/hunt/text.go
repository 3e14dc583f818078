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
	fmt.Fprintf(w, "%s: %s\n", safetext.Line(r.Host), verdict)
	var a *exchange.Assessment
	if r.Build != "" && kb != nil {
		if as, err := kb.Assess(r.Build); err == nil {
			a = &as
			exp := "not exposed to a known CVE"
			if n := len(as.CVEs); n > 0 {
				exp = fmt.Sprintf("exposed to %d CVEs: %s", n, strings.Join(as.CVEs, ", "))
			}
			fmt.Fprintf(w, "  build      %s (%s %s %s, from log headers); %s\n", safetext.Line(r.Build), as.Product, as.CU, updateLabel(as), exp)
		}
	}
	sev := map[finding.Severity]int{}
	for _, f := range r.Findings {
		sev[f.Severity]++
	}
	fmt.Fprintf(w, "  findings   %d (critical %d, high %d, medium %d, low %d, informational %d)\n", len(r.Findings),
		sev[finding.Critical], sev[finding.High], sev[finding.Medium], sev[finding.Low], sev[finding.Informational])
	fmt.Fprintf(w, "  evidence   %d files read, SHA-256 of each recorded\n", len(r.Evidence))

	if len(r.Findings) > 0 {
		fmt.Fprintf(w, "\nTimeline\n")
		groups := groupByPlace(r.Findings)
		for i, g := range groups {
			if i == maxTextFindings {
				fmt.Fprintf(w, "  ... %d more: use --format json for all\n", len(groups)-i)
				break
			}
			writeGroup(w, g)
		}
	}

	fmt.Fprintf(w, "\nLog coverage\n")
	fmt.Fprintf(w, "  %-22s %5s %10s  %-10s  %-10s\n", "source", "files", "lines", "first", "last")
	for _, c := range r.Coverage {
		fmt.Fprintf(w, "  %-22s %5d %10d  %-10s  %-10s\n", safetext.Line(c.Source), c.Files, c.Records, day(c), dayLast(c))
		for _, wr := range c.Warnings {
			fmt.Fprintf(w, "      ! %s\n", safetext.Line(wr))
		}
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintf(w, "\nWarnings (%d)\n", len(r.Warnings))
		for i, wr := range r.Warnings {
			if i == 20 {
				fmt.Fprintf(w, "  ... %d more (see --format json)\n", len(r.Warnings)-i)
				break
			}
			fmt.Fprintf(w, "  - %s\n", safetext.Line(wr))
		}
	}
	fmt.Fprintf(w, "\nNext steps\n")
	for _, s := range NextSteps(r, a, kb) {
		fmt.Fprintf(w, "  - %s\n", safetext.Line(s))
	}
}

// NextSteps derives what to do now from the verdict, the findings and the
// build.
func NextSteps(r *finding.HostResult, a *exchange.Assessment, kb *exchange.KB) []string {
	var steps []string
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
		for _, f := range r.Findings {
			if f.Kind == finding.KindFile && !slices.Contains(files, f.Source) {
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
