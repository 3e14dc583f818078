package exchange

import (
	"slices"
	"strings"
	"time"
)

// Judging a build as it stood on a past day (AssessAt) needs what was
// known and supported on that day, not today: the newest update of the CU
// line released by then, and the CUs that still got security updates
// then. Today's supported CUs come from lifecycle.csv; those of a past day
// are derived from the release table with Microsoft's servicing policy:
// security updates go to the two newest CUs (N and N-1) of a product.

// releasedBy says whether r was out on day at. A release without a date
// (Microsoft's table does not date the SUs before 2021) counts as out, as
// AssessAt counts it for missing updates and CVE fixes.
func releasedBy(r Release, at time.Time) bool {
	return r.Date.IsZero() || !r.Date.After(at)
}

// latestIn gives the newest release of a CU line (CU first, by build),
// today or, for an as-of judgement, on kb.asOf. ok is false when none of
// it was out then.
func (kb *KB) latestIn(line []Release) (Release, bool) {
	for i := len(line) - 1; i >= 0; i-- {
		if kb.asOf.IsZero() || releasedBy(line[i], kb.asOf) {
			return line[i], true
		}
	}
	return Release{}, false
}

// supportedCUs lists the CUs of product that get security updates: today
// (lifecycle.csv), or on kb.asOf (supportedCUsAt).
func (kb *KB) supportedCUs(product string) []string {
	if kb.asOf.IsZero() {
		return kb.Lifecycle[product].SupportedCUs
	}
	return kb.supportedCUsAt(product, kb.asOf)
}

// supportedCUsAt lists the CUs of product that got security updates on
// day at: the newest CU released by then (N), and the one before it (N-1)
// unless Microsoft had by then shipped an update for N that N-1 did not
// get (N-1 dropped: e.g. 2013 CU22 from Jul19SU, two years before the
// special March 2021 package for old CUs; 2016 CU22 from Jan23SU). A CU
// today's lifecycle data lists as supported keeps N-1 status. The end of
// the product's support is judged apart (supported).
func (kb *KB) supportedCUsAt(product string, at time.Time) []string {
	var cus []Release
	for _, r := range kb.Releases {
		if r.Product == product && r.IsCU() && releasedBy(r, at) {
			cus = append(cus, r)
		}
	}
	// Releases are sorted by build; a product's CUs come out in build order.
	if len(cus) == 0 {
		return nil
	}
	n := cus[len(cus)-1]
	out := []string{n.CU}
	if len(cus) < 2 {
		return out
	}
	prev := cus[len(cus)-2]
	if slices.Contains(kb.Lifecycle[product].SupportedCUs, prev.CU) {
		return append(out, prev.CU)
	}
	got := map[string]bool{}
	for _, r := range kb.Releases {
		if r.Product == product && r.CU == prev.CU {
			got[r.Name] = true
		}
	}
	for _, r := range kb.Releases {
		if r.Product != product || r.CU != n.CU || r.IsCU() || got[r.Name] {
			continue
		}
		if d, ok := updateMonth(r); ok && !d.After(at) {
			return out // an update N-1 did not get was out: N-1 was dropped
		}
	}
	return append(out, prev.CU)
}

// updateMonth is a release's date, or for an undated SU or HU the first
// day of the month its name gives (Jul19SU: 2019-07-01).
func updateMonth(r Release) (time.Time, bool) {
	if !r.Date.IsZero() {
		return r.Date, true
	}
	name := r.Name
	if len(name) < 7 || !(strings.HasPrefix(name[5:], "SU") || strings.HasPrefix(name[5:], "HU")) {
		return time.Time{}, false
	}
	t, err := time.Parse("Jan06", name[:5])
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
