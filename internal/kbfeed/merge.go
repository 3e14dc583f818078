package kbfeed

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/exchange"
)

// Report says what an update found: what it added, what the feeds
// contradict in the knowledge in use (kept as it was), and documents or
// statements it could not use.
type Report struct {
	Documents      int      // feed documents read
	NewCVEs        []string // CVEs the knowledge did not have
	NewFixes       int      // fix rows added
	NewBuilds      []string // builds added to builds.csv
	NewKEV         []string // KEV entries added
	ChangedKEV     []string // KEV entries whose ransomware use changed
	Contradictions []string // feed says otherwise than the knowledge: kept, reported
	Skipped        []string // malformed documents, with the reason
	Notes          []string // statements without a usable build
}

// Merge applies CVE record statements and KEV entries to a copy of base.
// New lines and CVEs are added; a statement that contradicts a row of
// base (another fixed build for the same CVE and CU line) is reported and
// base's row kept. source names the feed for the rows' source column.
func Merge(base *exchange.KB, affected []Affected, kev *KEVCatalog, fetched time.Time, rep *Report) *exchange.KB {
	kb := base.Clone()
	type key struct{ cve, product, cu string }
	rows := map[key]int{}
	known := map[string]bool{}
	for i, f := range kb.Fixes {
		rows[key{f.CVE, f.Product, f.CU}] = i
		known[f.CVE] = true
	}
	day := fetched.UTC().Format(time.DateOnly)
	for _, a := range affected {
		k := key{a.CVE, a.Product, a.CU}
		i, ok := rows[k]
		if ok {
			old := kb.Fixes[i]
			switch {
			case a.NoBuild && old.NoBuild:
			case a.NoBuild:
				rep.Contradictions = append(rep.Contradictions, fmt.Sprintf("%s %s %s: Microsoft's record lists no fixed build, the knowledge in use says %s (%s); kept", a.CVE, a.Product, a.CU, old.Build, old.Update))
			case old.NoBuild:
				rep.Contradictions = append(rep.Contradictions, fmt.Sprintf("%s %s %s: Microsoft's record says fixed in %s, the knowledge in use says no build fixes it; kept", a.CVE, a.Product, a.CU, a.Build))
			case old.Build.Compare(a.Build) != 0:
				rep.Contradictions = append(rep.Contradictions, fmt.Sprintf("%s %s %s: Microsoft's record says fixed in %s, the knowledge in use says %s (%s); kept", a.CVE, a.Product, a.CU, a.Build, old.Build, old.Update))
			}
			continue
		}
		if !a.NoBuild && slices.ContainsFunc(kb.Fixes, func(f exchange.Fix) bool {
			return f.CVE == a.CVE && !f.NoBuild && f.Build.Compare(a.Build) == 0
		}) {
			continue // the fix of a later CU line (2019 CU13 "below 15.2.1544.4" = upgrade to CU14): known
		}
		src := fmt.Sprintf("Microsoft CVE record %s (CVE JSON 5, fetched %s)", a.CVE, day)
		f := exchange.Fix{CVE: a.CVE, Product: a.Product, CU: a.CU, Condition: "build", Source: src}
		if a.NoBuild {
			f.NoBuild = true
			f.Condition = "config:MicrosoftAdvisory"
			f.Notes = "Microsoft lists this line as affected with no fixed build: follow the advisory's mitigation (https://msrc.microsoft.com/update-guide/vulnerability/" + a.CVE + ")"
		} else {
			f.Build = a.Build
			f.Update = releaseName(kb, a, rep)
		}
		if !known[a.CVE] {
			known[a.CVE] = true
			rep.NewCVEs = append(rep.NewCVEs, a.CVE)
		}
		rows[k] = len(kb.Fixes)
		kb.Fixes = append(kb.Fixes, f)
		rep.NewFixes++
	}
	kb.SortReleases()
	if kev != nil {
		for _, e := range kev.Exchange {
			e.Source = fmt.Sprintf("CISA KEV catalog %s (fetched %s)", kev.Version, day)
			old, ok := kb.KEV[e.CVE]
			switch {
			case !ok:
				rep.NewKEV = append(rep.NewKEV, e.CVE)
				kb.KEV[e.CVE] = e
			case old.DateAdded != e.DateAdded:
				rep.Contradictions = append(rep.Contradictions, fmt.Sprintf("%s: CISA's catalog says added %s, the knowledge in use says %s; kept", e.CVE, e.DateAdded, old.DateAdded))
			case old.Ransomware != e.Ransomware:
				rep.ChangedKEV = append(rep.ChangedKEV, fmt.Sprintf("%s: known ransomware use %s (was %s)", e.CVE, e.Ransomware, old.Ransomware))
				kb.KEV[e.CVE] = e
			}
		}
	}
	slices.Sort(rep.NewCVEs)
	slices.Sort(rep.NewKEV)
	return kb
}

// releaseName names the release a fixed build is: the known one, or a new
// builds.csv row named after the record's month as Microsoft names its
// security updates (Sep26SU), said to be derived in its notes.
func releaseName(kb *exchange.KB, a Affected, rep *Report) string {
	for _, r := range kb.Releases {
		if r.Build.Compare(a.Build) == 0 {
			return r.Name
		}
	}
	name := "unknown update"
	var date time.Time
	if !a.Published.IsZero() {
		date = a.Published.Truncate(24 * time.Hour)
		name = a.Published.Format("Jan06") + "SU"
	}
	for _, r := range kb.Releases {
		if r.Product == a.Product && r.CU == a.CU && r.Name == name {
			name += " (" + a.Build.String() + ")" // two builds under one month: keep both, told apart
			break
		}
	}
	kb.Releases = append(kb.Releases, exchange.Release{
		Product: a.Product, CU: a.CU, Name: name, Build: a.Build, Date: date,
		Notes: "from Microsoft's CVE record " + a.CVE + ": the fixed build; name derived from the record's publication month, KB not given by the record",
	})
	rep.NewBuilds = append(rep.NewBuilds, a.Build.String()+" ("+a.Product+" "+a.CU+" "+name+")")
	return name
}

// Summary is the report in a few lines for a terminal.
func (r *Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d documents read; %d new CVEs, %d new fix rows, %d new builds, %d new KEV entries\n",
		r.Documents, len(r.NewCVEs), r.NewFixes, len(r.NewBuilds), len(r.NewKEV))
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s (%d):\n", title, len(items))
		for _, it := range items {
			fmt.Fprintf(&b, "  %s\n", it)
		}
	}
	list("new CVEs", r.NewCVEs)
	list("new builds", r.NewBuilds)
	list("new KEV entries", r.NewKEV)
	list("KEV changes", r.ChangedKEV)
	list("CONTRADICTIONS (the knowledge in use was kept; check the sources)", r.Contradictions)
	list("SKIPPED documents", r.Skipped)
	list("statements without a usable build", r.Notes)
	return b.String()
}
