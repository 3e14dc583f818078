package exchange

import (
	"encoding/csv"
	"os"
	"strings"
	"testing"
)

// TestCrossCheckSecondSource compares the fixed builds of cve-fixes.csv
// with a second source kept in testdata/second-source.csv: the explicit
// fixed-build lists of an older HealthChecker (before it derived them from
// SU names, so independent of builds.csv) and the "affected below" builds
// of Microsoft's CVE records. Every second-source row must match a fix row
// of the same CVE and CU line, except the rows marked "differs" (known
// disagreements, each resolved in SOURCES.md), which must still differ.
// Fix rows of CVEs the second source covers must all be matched; the
// remaining CVEs are counted and listed in the log (their source is
// HealthChecker's SU table or MSRC data alone).
func TestCrossCheckSecondSource(t *testing.T) {
	kb, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/second-source.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		cve  string
		line Build // a.b.c of the fixed build
	}
	lineOf := func(b Build) Build { return Build{b.Major, b.Minor, b.Build, -1} }
	ours := map[key]Fix{}
	for _, fx := range kb.Fixes {
		if !fx.NoBuild {
			ours[key{fx.CVE, lineOf(fx.Build)}] = fx
		}
	}
	checked := map[key]bool{}
	covered := map[string]bool{}
	agree, differ := 0, 0
	for _, r := range rows[1:] {
		cve, want, expect := r[0], r[1], r[3]
		b, err := ParseBuild(want)
		if err != nil {
			t.Fatalf("second source %v: %v", r, err)
		}
		covered[cve] = true
		k := key{cve, lineOf(b)}
		got, ok := ours[k]
		switch {
		case !ok && expect != "same":
			differ++ // the knowledge deliberately has no row for that line
		case !ok:
			t.Errorf("%s: the second source (%s) has fixed build %s, cve-fixes.csv has no row for that CU line", cve, r[2], want)
		case expect == "same" && got.Build.Compare(b) != 0:
			t.Errorf("%s %s %s: cve-fixes.csv says %s, the second source (%s) says %s", cve, got.Product, got.CU, got.Build, r[2], want)
		case expect == "same":
			agree++
			checked[k] = true
		case got.Build.Compare(b) == 0:
			t.Errorf("%s %s: marked as a known difference (%s) but now equal", cve, want, expect)
		default:
			differ++
		}
	}
	var unchecked []string
	otherCVEs := map[string]bool{}
	for k, fx := range ours {
		if checked[k] {
			continue
		}
		if covered[k.cve] {
			// A line the second source knows nothing of, for a CVE it covers:
			// only later CUs' releases may be missing from an older list.
			if !strings.Contains(fx.Update, "CU") && fx.Update != "not affected" && !strings.HasPrefix(fx.CU, "SP3 RU") && !strings.Contains(fx.Source, "kb-audit") {
				unchecked = append(unchecked, fx.CVE+" "+fx.Product+" "+fx.CU+" "+fx.Build.String()+" ("+fx.Update+")")
			}
			continue
		}
		otherCVEs[k.cve] = true
	}
	t.Logf("second source: %d fixed builds agree, %d known differences; %d CVEs of %d have no second source", agree, differ, len(otherCVEs), len(otherCVEs)+len(covered))
	if agree != 486 || differ != 11 || len(otherCVEs) != 70 { // the numbers SOURCES.md and the README state
		t.Errorf("agree %d (want 486), known differences %d (want 11), CVEs without a second source %d (want 70)", agree, differ, len(otherCVEs))
	}
	for _, u := range unchecked {
		t.Logf("not in the second source: %s", u)
	}
}
