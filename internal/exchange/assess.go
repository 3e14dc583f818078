package exchange

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Assessment answers "which build is this, and what is it missing?" for one
// input. Its JSON form is the public contract of `exhunt build --format json`
// (issue #2); fields may be added, none renamed.
type Assessment struct {
	Input          string        `json:"input"`
	Build          string        `json:"build"`
	Product        string        `json:"product"`
	CU             string        `json:"cu"`
	Update         string        `json:"update"`
	KB             string        `json:"kb,omitempty"`
	ReleaseDate    string        `json:"release_date"`
	Known          bool          `json:"known"`
	LatestInLine   string        `json:"latest_in_line"`
	LatestUpdate   string        `json:"latest_in_line_update"`
	LineSupported  bool          `json:"line_supported"`
	MissingUpdates []string      `json:"missing_updates"`
	Missing        []Release     `json:"-"`
	CVEs           []string      `json:"cves"`
	SUDependent    []string      `json:"su_dependent_cves,omitempty"`
	Conditional    []Conditional `json:"conditional_cves,omitempty"`
	// KEVCVEs are the CVEs of cves and su_dependent_cves that CISA lists as
	// exploited in the wild, with the date added and ransomware use.
	KEVCVEs []KEVEntry `json:"kev_cves"`
	// UnsupportedSince is the end of support of a product that no longer
	// gets security updates from Microsoft at all (2010, 2013; 2016 and
	// 2019 once their paid extended updates ended): such a build is
	// exposed whatever its CVE list says, since later CVEs are not even
	// assessed for it.
	UnsupportedSince string `json:"unsupported_since,omitempty"`
	// IsExposed is Exposed(): the verdict the exit status follows.
	IsExposed bool     `json:"exposed"`
	Bracket   string   `json:"bracket,omitempty"`
	Notes     []string `json:"notes,omitempty"`
}

// Conditional is a CVE whose fix also needs configuration (Extended
// Protection, the dedicated hybrid app): the build alone cannot say.
type Conditional struct {
	CVE       string `json:"cve"`
	Condition string `json:"condition"`
	Note      string `json:"note"`
	KEV       bool   `json:"kev,omitempty"` // on CISA's KEV list
}

// Exposed says whether the build is, or may be, exposed to a known CVE, or
// runs a product Microsoft no longer fixes at all.
func (a *Assessment) Exposed() bool {
	return len(a.CVEs) > 0 || len(a.SUDependent) > 0 || a.UnsupportedSince != ""
}

// ExposedKEV says whether the build is, or may be, exposed to a CVE that
// CISA lists as exploited in the wild.
func (a *Assessment) ExposedKEV() bool { return len(a.KEVCVEs) > 0 }

// KEVFirst returns ids with the CISA KEV CVEs first, each group in its
// original order.
func (a *Assessment) KEVFirst(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, pass := range []bool{true, false} {
		for _, id := range ids {
			if a.isKEV(id) == pass {
				out = append(out, id)
			}
		}
	}
	return out
}

func (a *Assessment) isKEV(id string) bool {
	return slices.ContainsFunc(a.KEVCVEs, func(k KEVEntry) bool { return k.CVE == id })
}

// Assess parses input and assesses it. Only a malformed input is an error.
func (kb *KB) Assess(input string) (Assessment, error) {
	b, err := ParseBuild(input)
	if err != nil {
		return Assessment{Input: input}, err
	}
	a := kb.AssessBuild(b)
	a.Input = input
	return a, nil
}

// AssessBuild assesses a parsed build.
func (kb *KB) AssessBuild(b Build) Assessment {
	a := Assessment{Input: b.String(), Build: b.String(), Product: ProductOf(b), MissingUpdates: []string{}, CVEs: []string{}}
	line := kb.line(b)
	if len(line) == 0 {
		kb.bracketLines(b, &a)
	} else {
		cu := line[0]
		a.CU = cu.CU
		a.Product = cu.Product
		if last, ok := kb.latestIn(line); ok {
			a.LatestInLine, a.LatestUpdate = last.Build.String(), last.Name
		}
		kb.placeInLine(b, line, &a)
	}
	a.LineSupported = kb.supported(a.Product, a.CU)
	if !a.LineSupported {
		a.Notes = append(a.Notes, kb.supportNote(a.Product, a.CU))
	}
	if since, ok := kb.unsupportedSince(a.Product); ok {
		a.UnsupportedSince = since
	}
	kb.judgeCVEs(b, &a)
	for _, id := range slices.Concat(a.CVEs, a.SUDependent) {
		if k, ok := kb.KEV[id]; ok {
			a.KEVCVEs = append(a.KEVCVEs, k)
		}
	}
	if a.KEVCVEs == nil {
		a.KEVCVEs = []KEVEntry{}
	}
	slices.SortFunc(a.KEVCVEs, func(x, y KEVEntry) int { return strings.Compare(x.CVE, y.CVE) })
	for i := range a.Conditional {
		_, a.Conditional[i].KEV = kb.KEV[a.Conditional[i].CVE]
	}
	a.IsExposed = a.Exposed()
	return a
}

// unsupportedSince reports the end of support of a product that gets no
// security updates any more, not even paid ones.
func (kb *KB) unsupportedSince(product string) (string, bool) {
	lc, ok := kb.Lifecycle[product]
	if !ok || lc.EndOfSupport.IsZero() {
		return "", false
	}
	last := lc.EndOfSupport
	if lc.UpdatesEnd.After(last) {
		last = lc.UpdatesEnd
	}
	if !kb.now().After(last.AddDate(0, 0, 1)) {
		return "", false
	}
	return lc.EndOfSupport.Format(time.DateOnly), true
}

// line returns the releases of b's CU line (same a.b.c), CU first.
func (kb *KB) line(b Build) []Release {
	var out []Release
	for _, r := range kb.Releases {
		if r.Build.sameLine(b) {
			out = append(out, r)
		}
	}
	return out
}

func (kb *KB) placeInLine(b Build, line []Release, a *Assessment) {
	if !b.HasRevision() {
		a.Update = ""
		a.Known = true
		a.Notes = append(a.Notes, fmt.Sprintf("CU known (%s %s), security update unknown: the input has no fourth build part", a.Product, a.CU))
		return
	}
	var below, above *Release
	for i := range line {
		r := &line[i]
		c := r.Build.Compare(b)
		switch {
		case c == 0:
			a.Known = true
			a.Update = r.Name
			a.KB = r.KB
			if !r.Date.IsZero() {
				a.ReleaseDate = r.Date.Format("2006-01-02")
			}
		case c < 0:
			below = r
		case c > 0 && above == nil:
			above = r
		}
		if c > 0 {
			a.MissingUpdates = append(a.MissingUpdates, r.Name)
			a.Missing = append(a.Missing, *r)
		}
	}
	if a.Known {
		return
	}
	switch {
	case below != nil && above != nil:
		a.Bracket = fmt.Sprintf("unknown build between %s (%s) and %s (%s)", below.Build, below.Name, above.Build, above.Name)
	case below != nil:
		a.Bracket = fmt.Sprintf("unknown build newer than the newest known update of %s %s, %s (%s)", a.Product, a.CU, below.Build, below.Name)
	default:
		a.Bracket = fmt.Sprintf("unknown build older than %s %s itself (%s)", a.Product, a.CU, above.Build)
	}
}

// bracketLines handles an a.b.c that no CU in the knowledge base has.
func (kb *KB) bracketLines(b Build, a *Assessment) {
	var below, above *Release
	for i := range kb.Releases {
		r := &kb.Releases[i]
		if !r.IsCU() || !r.Build.sameCodeLine(b) {
			continue
		}
		if r.Build.Build < b.Build {
			below = r
		} else if above == nil {
			above = r
		}
	}
	switch {
	case below != nil && above != nil:
		a.Bracket = fmt.Sprintf("unknown CU: newer than %s %s (%s), older than %s (%s)", below.Product, below.CU, below.Build, above.CU, above.Build)
		a.Product = below.Product
	case below != nil:
		a.Bracket = fmt.Sprintf("unknown CU: newer than every known CU of %s (newest %s, %s); the knowledge base may be out of date (use --kb)", below.Product, below.CU, below.Build)
		a.Product = below.Product
	case above != nil:
		a.Bracket = fmt.Sprintf("unknown CU: older than %s %s (%s)", above.Product, above.CU, above.Build)
	}
}

func (kb *KB) supported(product, cu string) bool {
	lc, ok := kb.Lifecycle[product]
	if !ok || cu == "" {
		return false
	}
	if !lc.EndOfSupport.IsZero() && kb.now().After(lc.EndOfSupport) {
		return false
	}
	return slices.Contains(kb.supportedCUs(product), cu)
}

func (kb *KB) supportNote(product, cu string) string {
	lc, ok := kb.Lifecycle[product]
	switch {
	case !ok:
		return product + " has no lifecycle data"
	case !lc.EndOfSupport.IsZero() && kb.now().After(lc.EndOfSupport) && lc.UpdatesEnd.After(kb.now()):
		return fmt.Sprintf("%s left extended support on %s: security updates only for paid Extended Security Update customers, until %s; move to Exchange Server SE", product, lc.EndOfSupport.Format(time.DateOnly), lc.UpdatesEnd.Format(time.DateOnly))
	case !lc.EndOfSupport.IsZero() && kb.now().After(lc.EndOfSupport):
		last := ""
		if !lc.UpdatesEnd.IsZero() {
			last = fmt.Sprintf(" (its last security updates came out until %s)", lc.UpdatesEnd.Format(time.DateOnly))
		}
		return fmt.Sprintf("%s is unsupported since %s%s: Microsoft no longer fixes or even assesses it, so it is exposed to vulnerabilities published since; move to Exchange Server SE", product, lc.EndOfSupport.Format(time.DateOnly), last)
	case cu == "":
		return "CU unknown, so support cannot be judged"
	case !kb.asOf.IsZero():
		return fmt.Sprintf("on %s, %s %s was not a supported CU (supported then: %s): it got no security updates; the newest CU was the way out", kb.asOf.Format(time.DateOnly), product, cu, strings.Join(kb.supportedCUs(product), ", "))
	default:
		return fmt.Sprintf("%s %s is not a supported CU (supported: %s): it gets no security updates; install the newest CU", product, cu, strings.Join(lc.SupportedCUs, ", "))
	}
}

// judgeCVEs applies the HealthChecker rule per CVE over the fixes of b's
// code line (major.minor): fixed if b ≥ the newest fixed build of the code
// line, or b's own CU line has a fix row and b ≥ it; a line without a row
// that is older than the newest fix never got the fix. A row without a
// fixed build (Microsoft lists the line as affected, the remedy is
// configuration) leaves every build of its line exposed.
func (kb *KB) judgeCVEs(b Build, a *Assessment) {
	byCVE := map[string][]Fix{}
	var order []string
	for _, f := range kb.Fixes {
		pos := kb.fixPos(f)
		if pos.Major == 0 || !pos.sameCodeLine(b) {
			continue
		}
		if _, ok := byCVE[f.CVE]; !ok {
			order = append(order, f.CVE)
		}
		byCVE[f.CVE] = append(byCVE[f.CVE], f)
	}
	cuBase := kb.cuBase(b)
	var noFix []string
	seenNote := map[string]bool{}
	for _, cve := range order {
		fixes := byCVE[cve]
		newest := fixes[0]
		var own *Fix
		for i := range fixes {
			if kb.fixPos(fixes[i]).Compare(kb.fixPos(newest)) > 0 {
				newest = fixes[i]
			}
			if kb.fixPos(fixes[i]).sameLine(b) {
				own = &fixes[i]
			}
		}
		ref := newest
		if own != nil {
			ref = *own
		}
		newestPos := kb.fixPos(newest)
		lowest := b // the lowest build this input can be
		if !b.HasRevision() {
			lowest = cuBase
		}
		var state string // exposed, fixed, su
		switch {
		case own != nil && own.NoBuild:
			state = "exposed"
		case !b.HasRevision() && b.Build > newestPos.Build:
			state = "fixed"
		case b.HasRevision() && b.Compare(newestPos) >= 0 && !(newest.NoBuild && newestPos.sameLine(b)):
			state = "fixed"
		case own == nil:
			state = "exposed"
		case lowest.Build != 0 && lowest.Compare(own.Build) >= 0:
			state = "fixed"
		case !b.HasRevision():
			state = "su"
		default:
			state = "exposed"
		}
		buildOnly := ref.Condition == "build"
		configOnly := strings.HasPrefix(ref.Condition, "config:")
		switch {
		case state == "fixed" && !buildOnly:
			a.Conditional = append(a.Conditional, Conditional{CVE: cve, Condition: strings.TrimPrefix(strings.TrimPrefix(ref.Condition, "build+"), "config:"), Note: ref.Notes})
		case state == "exposed" && own != nil && own.NoBuild:
			a.CVEs = append(a.CVEs, cve)
			a.Notes = append(a.Notes, fmt.Sprintf("%s: Microsoft lists %s %s as affected with no fixed build; %s", cve, own.Product, own.CU, own.Notes))
		case state == "exposed" && configOnly && own != nil:
			a.CVEs = append(a.CVEs, cve)
			a.Notes = append(a.Notes, fmt.Sprintf("%s: this build cannot run the fix (%s); install %s or later and %s", cve, ref.Condition, ref.Update, strings.TrimPrefix(ref.Condition, "config:")))
		case state == "exposed":
			a.CVEs = append(a.CVEs, cve)
			if own == nil {
				noFix = append(noFix, cve)
			} else if own.Notes != "" && !seenNote[own.Notes] {
				seenNote[own.Notes] = true
				a.Notes = append(a.Notes, fmt.Sprintf("%s: fixed in %s %s by %s (%s): %s", cve, own.Product, own.CU, own.Update, own.Build, own.Notes))
			}
		case state == "su":
			a.SUDependent = append(a.SUDependent, cve)
		}
	}
	slices.Sort(a.CVEs)
	slices.Sort(a.SUDependent)
	if len(noFix) > 0 {
		slices.Sort(noFix)
		line := "this CU line"
		if a.CU != "" {
			line = a.Product + " " + a.CU
		}
		a.Notes = append(a.Notes, fmt.Sprintf("%s never received a fix for %s: install %s", line, strings.Join(noFix, ", "), kb.upgradeTarget(b)))
	}
	if len(a.SUDependent) > 0 {
		a.Notes = append(a.Notes, "exposed to su_dependent_cves unless the fixing security update is installed: read the exact build from ExSetup.exe or the X-OWA-Version header")
	}
	if a.Bracket != "" {
		a.Notes = append(a.Notes, a.Bracket+"; "+kb.implication(b, a))
	}
}

// fixPos is where a fix row sits among builds: its fixed build, or for a
// row without one, the CU release of its line (zero when unknown).
func (kb *KB) fixPos(f Fix) Build {
	if !f.NoBuild {
		return f.Build
	}
	for _, r := range kb.Releases {
		if r.Product == f.Product && r.CU == f.CU && r.IsCU() {
			return r.Build
		}
	}
	return Build{}
}

// cuBase returns the CU release build of b's line, or the zero Build.
func (kb *KB) cuBase(b Build) Build {
	for _, r := range kb.Releases {
		if r.Build.sameLine(b) && r.IsCU() {
			return r.Build
		}
	}
	return Build{}
}

// implication tells, for an unknown build, which waves it is past.
func (kb *KB) implication(b Build, a *Assessment) string {
	exposed := map[string]bool{}
	for _, c := range a.CVEs {
		exposed[kb.CVEs[c].Wave] = true
	}
	var past, not []string
	seen := map[string]bool{}
	for _, f := range kb.Fixes {
		w := kb.CVEs[f.CVE].Wave
		if w == "" || seen[w] || !kb.fixPos(f).sameCodeLine(b) {
			continue
		}
		seen[w] = true
		if exposed[w] {
			not = append(not, w)
		} else {
			past = append(past, w)
		}
	}
	var parts []string
	if len(past) > 0 {
		parts = append(parts, "at or above every fix for "+strings.Join(past, ", "))
	}
	if len(not) > 0 {
		parts = append(parts, "below the fixes for "+strings.Join(not, ", "))
	}
	if len(parts) == 0 {
		return "no fix data for this code line"
	}
	return "judged by comparison with the known fixed builds: " + strings.Join(parts, "; ")
}

// upgradeTarget names the newest update of the newest CU of b's code line.
func (kb *KB) upgradeTarget(b Build) string {
	var newest *Release
	for i := range kb.Releases {
		r := &kb.Releases[i]
		if r.Build.sameCodeLine(b) && (newest == nil || r.Build.Compare(newest.Build) > 0) {
			newest = r
		}
	}
	if newest == nil {
		return "a newer CU"
	}
	if newest.Name == newest.CU { // a CU (or a 2010 rollup) with no update on top
		return fmt.Sprintf("%s %s (%s) or later", newest.Product, newest.CU, newest.Build)
	}
	return fmt.Sprintf("%s %s with %s (%s) or later", newest.Product, newest.CU, newest.Name, newest.Build)
}

// AssessAt judges b as it stood on a past day: only the updates and CVE
// fixes released by then count, and only the KEV entries CISA had added
// by then; latest_in_line is the newest update of the line out by then,
// line_supported whether the CU got security updates then, and the notes
// name only what was out then. A CVE whose fixing updates carry no release date (the pre-2021
// SUs Microsoft's table does not date) is counted: it is older than every
// dated update.
func (kb *KB) AssessAt(b Build, at time.Time) Assessment {
	first := kb.firstFixDates()
	known := func(id string) bool { d := first[id]; return d.IsZero() || !d.After(at) }
	// The knowledge of that day: the releases out by then (the newest of
	// the line, the way out a note names) and the CVEs with a fix by then
	// (so notes name no later CVE); the supported CUs of that day (asof.go).
	c := *kb
	c.Now = func() time.Time { return at }
	c.asOf = at
	c.Releases = slices.DeleteFunc(slices.Clone(kb.Releases), func(r Release) bool { return !releasedBy(r, at) })
	c.Fixes = slices.DeleteFunc(slices.Clone(kb.Fixes), func(f Fix) bool { return !known(f.CVE) })
	a := c.AssessBuild(b)
	a.CVEs = slices.DeleteFunc(a.CVEs, func(id string) bool { return !known(id) })
	a.SUDependent = slices.DeleteFunc(a.SUDependent, func(id string) bool { return !known(id) })
	a.Conditional = slices.DeleteFunc(a.Conditional, func(x Conditional) bool { return !known(x.CVE) })
	day := at.Format(time.DateOnly)
	a.KEVCVEs = slices.DeleteFunc(a.KEVCVEs, func(k KEVEntry) bool {
		return k.DateAdded > day || (!slices.Contains(a.CVEs, k.CVE) && !slices.Contains(a.SUDependent, k.CVE))
	})
	var missing []Release
	var names []string
	for _, r := range a.Missing {
		if r.Date.IsZero() || !r.Date.After(at) {
			missing = append(missing, r)
			names = append(names, r.Name)
		}
	}
	a.Missing, a.MissingUpdates = missing, names
	if names == nil {
		a.MissingUpdates = []string{}
	}
	a.IsExposed = a.Exposed()
	return a
}

// firstFixDates gives, per CVE, the release date of its earliest dated
// fixing update (zero when none of its fixing builds is dated).
func (kb *KB) firstFixDates() map[string]time.Time {
	dated := make(map[Build]time.Time, len(kb.Releases))
	for _, r := range kb.Releases {
		if !r.Date.IsZero() {
			dated[r.Build] = r.Date
		}
	}
	out := map[string]time.Time{}
	for _, f := range kb.Fixes {
		d, ok := dated[f.Build]
		if f.NoBuild || !ok {
			if _, seen := out[f.CVE]; !seen {
				out[f.CVE] = time.Time{}
			}
			continue
		}
		if cur := out[f.CVE]; cur.IsZero() || d.Before(cur) {
			out[f.CVE] = d
		}
	}
	return out
}
