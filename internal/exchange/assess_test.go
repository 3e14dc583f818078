package exchange

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// testKB returns the embedded knowledge base judged as of 2026-11-25.
func testKB(t *testing.T) *KB { return kbAt(t, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)) }

// kbAt returns the embedded knowledge base judged as of day.
func kbAt(t *testing.T, day time.Time) *KB {
	t.Helper()
	kb, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	c := *kb
	c.Now = func() time.Time { return day }
	return &c
}

var (
	proxyLogon    = []string{"CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065"}
	proxyShell    = []string{"CVE-2021-31207", "CVE-2021-34473", "CVE-2021-34523"}
	proxyNotShell = []string{"CVE-2022-41040", "CVE-2022-41080", "CVE-2022-41082"}
)

func TestAssessRealBuilds(t *testing.T) {
	kb := testKB(t)
	// One line per real build: product, CU, update, release date, CVEs that
	// must be listed, CVEs that must not be listed. Expectations come from
	// Microsoft's build table and advisories, not from the code.
	test := func(in, product, cu, update, date string, want, notWant []string) {
		t.Helper()
		a, err := kb.Assess(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if a.Product != product || a.CU != cu || a.Update != update || a.ReleaseDate != date {
			t.Errorf("%s: got %q %q %q %q, want %q %q %q %q", in, a.Product, a.CU, a.Update, a.ReleaseDate, product, cu, update, date)
		}
		if !a.Known {
			t.Errorf("%s: known = false for a build in Microsoft's table", in)
		}
		for _, c := range want {
			if !slices.Contains(a.CVEs, c) {
				t.Errorf("%s: %s missing from cves %v", in, c, a.CVEs)
			}
		}
		for _, c := range notWant {
			if slices.Contains(a.CVEs, c) {
				t.Errorf("%s: %s wrongly in cves %v", in, c, a.CVEs)
			}
		}
		if !slices.IsSorted(a.CVEs) {
			t.Errorf("%s: cves not sorted: %v", in, a.CVEs)
		}
	}
	cat := func(ls ...[]string) []string { return slices.Concat(ls...) }

	// Exchange 2016 CU19 on each side of the March and April/May 2021 SUs.
	test("15.1.2176.2", "Exchange Server 2016", "CU19", "CU19", "2020-12-15", cat(proxyLogon, proxyShell, proxyNotShell), nil)
	test("15.1.2176.9", "Exchange Server 2016", "CU19", "Mar21SU", "2021-03-02", cat(proxyShell, proxyNotShell), proxyLogon)
	test("15.1.2176.12", "Exchange Server 2016", "CU19", "Apr21SU", "2021-04-13", []string{"CVE-2021-31207"}, cat(proxyLogon, []string{"CVE-2021-34473", "CVE-2021-34523"}))
	test("15.1.2176.14", "Exchange Server 2016", "CU19", "May21SU", "2021-05-11", proxyNotShell, cat(proxyLogon, proxyShell))
	// Exchange 2016 CU8 (oldest line that got the March 2021 SU) and CU20 (contains it).
	test("15.1.1415.2", "Exchange Server 2016", "CU8", "CU8", "2017-12-19", proxyLogon, nil)
	test("15.1.1415.10", "Exchange Server 2016", "CU8", "Mar21SU", "2021-03-02", proxyShell, proxyLogon)
	test("15.1.2242.4", "Exchange Server 2016", "CU20", "CU20", "2021-03-16", proxyShell, proxyLogon)
	test("15.1.2242.8", "Exchange Server 2016", "CU20", "Apr21SU", "2021-04-13", []string{"CVE-2021-31207"}, proxyLogon)
	test("15.1.2308.8", "Exchange Server 2016", "CU21", "CU21", "2021-06-29", proxyNotShell, cat(proxyLogon, proxyShell))
	test("15.1.2375.7", "Exchange Server 2016", "CU22", "CU22", "2021-09-28", proxyNotShell, proxyShell)
	test("15.1.2375.37", "Exchange Server 2016", "CU22", "Nov22SU", "2022-11-08", []string{"CVE-2024-21410"}, proxyNotShell)
	test("15.1.2507.6", "Exchange Server 2016", "CU23", "CU23", "2022-04-20", cat(proxyNotShell, []string{"CVE-2024-21410", "CVE-2025-53786"}), proxyShell)
	// Microsoft's record lists 2016 CU23 as affected by CVE-2024-21410 with no
	// fixed build (the remedy is Extended Protection): every CU23 build lists it.
	test("15.1.2507.16", "Exchange Server 2016", "CU23", "Nov22SU", "2022-11-08", []string{"CVE-2025-53786", "CVE-2024-21410"}, proxyNotShell)
	test("15.1.2507.55", "Exchange Server 2016", "CU23", "Apr25HU", "2025-04-18", []string{"CVE-2024-21410", "CVE-2026-42897"}, cat(proxyNotShell, []string{"CVE-2025-53786"}))
	// Exchange 2019.
	test("15.2.221.12", "Exchange Server 2019", "RTM", "RTM", "2018-10-22", proxyLogon, nil)
	test("15.2.221.18", "Exchange Server 2019", "RTM", "Mar21SU", "2021-03-02", proxyShell, proxyLogon)
	test("15.2.529.5", "Exchange Server 2019", "CU4", "CU4", "2019-12-17", proxyLogon, nil)
	test("15.2.529.13", "Exchange Server 2019", "CU4", "Mar21SU", "2021-03-02", proxyShell, proxyLogon)
	test("15.2.721.2", "Exchange Server 2019", "CU7", "CU7", "2020-09-15", proxyLogon, nil)
	test("15.2.721.13", "Exchange Server 2019", "CU7", "Mar21SU", "2021-03-02", proxyShell, proxyLogon)
	test("15.2.792.3", "Exchange Server 2019", "CU8", "CU8", "2020-12-15", cat(proxyLogon, proxyShell), nil)
	test("15.2.792.10", "Exchange Server 2019", "CU8", "Mar21SU", "2021-03-02", proxyShell, proxyLogon)
	test("15.2.858.5", "Exchange Server 2019", "CU9", "CU9", "2021-03-16", proxyShell, proxyLogon)
	test("15.2.986.5", "Exchange Server 2019", "CU11", "CU11", "2021-09-28", proxyNotShell, cat(proxyLogon, proxyShell))
	test("15.2.986.36", "Exchange Server 2019", "CU11", "Nov22SU", "2022-11-08", []string{"CVE-2024-21410"}, proxyNotShell)
	test("15.2.1118.20", "Exchange Server 2019", "CU12", "Nov22SU", "2022-11-08", []string{"CVE-2024-21410", "CVE-2025-53786"}, proxyNotShell)
	// CVE-2024-21410: Microsoft's record has 2019 CU13 affected below 15.2.1544.4 (CU14).
	test("15.2.1258.12", "Exchange Server 2019", "CU13", "CU13", "2023-05-03", []string{"CVE-2025-53786", "CVE-2024-21410"}, proxyNotShell)
	test("15.2.1544.4", "Exchange Server 2019", "CU14", "CU14", "2024-02-13", []string{"CVE-2025-53786"}, []string{"CVE-2024-21410"})
	test("15.2.1544.25", "Exchange Server 2019", "CU14", "Apr25HU", "2025-04-18", nil, []string{"CVE-2024-21410", "CVE-2025-53786"})
	test("15.2.1748.49", "Exchange Server 2019", "CU15", "Aug26SU", "2026-08-11", []string{"CVE-2026-69641", "CVE-2026-96940"}, cat(proxyLogon, proxyShell, proxyNotShell, []string{"CVE-2026-42897", "CVE-2026-62911"}))
	// Exchange 2013.
	test("15.0.1395.4", "Exchange Server 2013", "CU21", "CU21", "2018-06-19", proxyLogon, nil)
	test("15.0.1395.12", "Exchange Server 2013", "CU21", "Mar21SU", "2021-03-02", proxyShell, proxyLogon)
	test("15.0.1473.3", "Exchange Server 2013", "CU22", "CU22", "2019-02-12", proxyLogon, nil)
	test("15.0.1473.6", "Exchange Server 2013", "CU22", "Mar21SU", "2021-03-02", proxyShell, proxyLogon)
	test("15.0.1497.2", "Exchange Server 2013", "CU23", "CU23", "2019-06-18", cat(proxyLogon, proxyShell), nil)
	test("15.0.1497.12", "Exchange Server 2013", "CU23", "Mar21SU", "2021-03-02", proxyShell, proxyLogon)
	test("15.0.1497.44", "Exchange Server 2013", "CU23", "Nov22SU", "2022-11-08", nil, cat(proxyLogon, proxyShell, proxyNotShell))
	// 2013 SP1: Microsoft's records list it for CVE-2021-26857 and -27065 only.
	test("15.0.847.32", "Exchange Server 2013", "SP1", "SP1", "2014-02-25", []string{"CVE-2021-26857", "CVE-2021-27065"}, []string{"CVE-2021-26855", "CVE-2021-26858"})
	test("15.0.847.64", "Exchange Server 2013", "SP1", "Mar21SU", "2021-03-02", nil, proxyLogon)
	// Exchange SE.
	test("15.2.2562.17", "Exchange Server SE", "RTM", "RTM", "2025-07-01", []string{"CVE-2026-42897"}, cat(proxyLogon, proxyShell, proxyNotShell, []string{"CVE-2024-21410", "CVE-2025-53786"}))
	test("15.2.2562.46", "Exchange Server SE", "RTM", "Aug26SU", "2026-08-11", []string{"CVE-2026-69641", "CVE-2026-96940"}, cat(proxyLogon, proxyShell, proxyNotShell, []string{"CVE-2026-42897"}))
	test("15.2.2562.49", "Exchange Server SE", "RTM", "Sep26SU", "2026-09-08", []string{"CVE-2026-96940"}, []string{"CVE-2026-69641", "CVE-2026-69355", "CVE-2026-42897"})
	test("15.2.2562.53", "Exchange Server SE", "RTM", "Sep26SUv2", "2026-10-02", nil, []string{"CVE-2026-96940"})
	// The June 2026 CVEs: Microsoft's records (updated 2026-08-14) name the
	// July 2026 SU builds as the first fixed, on every line.
	jun26 := []string{"CVE-2026-45500", "CVE-2026-45501", "CVE-2026-45502", "CVE-2026-45503", "CVE-2026-45504", "CVE-2026-45583", "CVE-2026-47631"}
	test("15.2.2562.43", "Exchange Server SE", "RTM", "Jun26SU", "2026-06-09", jun26, []string{"CVE-2026-42897"})
	test("15.2.2562.45", "Exchange Server SE", "RTM", "Jul26SU", "2026-07-14", nil, jun26)
	test("15.1.2507.69", "Exchange Server 2016", "CU23", "Jun26SU", "2026-06-09", jun26, []string{"CVE-2026-42897"})
	test("15.1.2507.71", "Exchange Server 2016", "CU23", "Jul26SU", "2026-07-14", nil, jun26)
	test("15.2.1544.41", "Exchange Server 2019", "CU14", "Jun26SU", "2026-06-09", jun26, nil)
	test("15.2.1748.48", "Exchange Server 2019", "CU15", "Jul26SU", "2026-07-14", nil, jun26)
	// A line older than the fix's lines never got it.
	test("15.2.1258.12", "Exchange Server 2019", "CU13", "CU13", "2023-05-03", jun26, nil)

	// 2014-2017, from Microsoft's lists of affected versions (SOURCES.md item 6).
	// MS14-075 (2014-12-09): 2013 SP1 and CU6 affected, CU7 (same day) not listed;
	// 2010 SP3 fixed by update 2986475 = SP3 RU8 (v1 recalled, v2 re-released:
	// the same build line, so v2 reports the RU8v1 line with update RU8v2).
	ms14075 := []string{"CVE-2014-6319", "CVE-2014-6325", "CVE-2014-6326", "CVE-2014-6336"}
	test("15.0.995.29", "Exchange Server 2013", "CU6", "CU6", "2014-08-26", ms14075, nil)
	test("15.0.1044.25", "Exchange Server 2013", "CU7", "CU7", "2014-12-09", proxyLogon, ms14075)
	test("14.3.210.2", "Exchange Server 2010", "SP3 RU7", "SP3 RU7", "2014-08-26", []string{"CVE-2014-6319"}, ms14075[1:])
	test("14.3.224.1", "Exchange Server 2010", "SP3 RU8v1", "SP3 RU8v1", "2014-12-09", nil, ms14075)
	test("14.3.224.2", "Exchange Server 2010", "SP3 RU8v1", "SP3 RU8v2", "2014-12-12", nil, ms14075)
	test("14.3.235.1", "Exchange Server 2010", "SP3 RU9", "SP3 RU9", "2015-03-17", []string{"CVE-2021-26857"}, ms14075)
	// MS17-015 (2017-03-14): 2013 CU14 and 2016 CU3 affected; 2013 CU15 and 2016 CU4 not listed.
	test("15.0.1236.3", "Exchange Server 2013", "CU14", "CU14", "2016-09-20", []string{"CVE-2017-0110"}, ms14075)
	test("15.0.1263.5", "Exchange Server 2013", "CU15", "CU15", "2016-12-13", nil, []string{"CVE-2017-0110"})
	test("15.1.544.27", "Exchange Server 2016", "CU3", "CU3", "2016-09-20", []string{"CVE-2017-0110"}, nil)
	test("15.1.669.32", "Exchange Server 2016", "CU4", "CU4", "2016-12-13", nil, []string{"CVE-2017-0110"})
	// July 2017: 2013 CU16 and 2016 CU5 affected; 2013 CU17 and 2016 CU6 (2017-06-27) not listed.
	jul17 := []string{"CVE-2017-8559", "CVE-2017-8560", "CVE-2017-8621"}
	test("15.0.1293.2", "Exchange Server 2013", "CU16", "CU16", "2017-03-21", jul17, []string{"CVE-2017-0110"})
	test("15.0.1320.4", "Exchange Server 2013", "CU17", "CU17", "2017-06-27", proxyLogon, cat(jul17, []string{"CVE-2017-0110"}))
	test("15.1.845.34", "Exchange Server 2016", "CU5", "CU5", "2017-03-21", jul17, []string{"CVE-2017-0110"})
	test("15.1.1034.26", "Exchange Server 2016", "CU6", "CU6", "2017-06-27", proxyLogon, jul17)
	// A 2018 build is past every 2014-2017 fix of its code line.
	test("15.1.1415.2", "Exchange Server 2016", "CU8", "CU8", "2017-12-19", nil, cat(jul17, []string{"CVE-2017-0110"}))
}

// Every CU line that got the March 2021 SU: exposed to ProxyLogon at its CU
// build, not at the SU build. Data-driven over the knowledge base.
func TestMarch2021EachLine(t *testing.T) {
	kb := testKB(t)
	n := 0
	for _, su := range kb.Releases {
		if su.Name != "Mar21SU" {
			continue
		}
		n++
		base := kb.cuBase(su.Build)
		before := kb.AssessBuild(base)
		after := kb.AssessBuild(su.Build)
		if !slices.Contains(before.CVEs, "CVE-2021-26857") {
			t.Errorf("%s %s at %s: not exposed to CVE-2021-26857: %v", su.Product, su.CU, base, before.CVEs)
		}
		for _, c := range proxyLogon {
			if !kb.hasFix(c, su.Build) {
				continue // 2013 SP1's March package fixed 26857 and 27065 only
			}
			if slices.Contains(after.CVEs, c) {
				t.Errorf("%s %s Mar21SU %s: still exposed to %s", su.Product, su.CU, su.Build, c)
			}
		}
		if !slices.Contains(before.MissingUpdates, "Mar21SU") {
			t.Errorf("%s %s: Mar21SU not among missing updates %v", su.Product, su.CU, before.MissingUpdates)
		}
	}
	if n != 25 { // 2013 SP1, CU21-CU23; 2016 CU8-CU19; 2019 RTM-CU8
		t.Fatalf("only %d Mar21SU rows: the knowledge base lost data", n)
	}
}

func TestAssessInputForms(t *testing.T) {
	kb := testKB(t)
	ref, err := kb.Assess("15.1.2176.2")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"15.01.2176.002", "Version 15.1 (Build 2176.2)", "  15.1.2176.2\n", "version 15.1 (build 2176.2)"} {
		a, err := kb.Assess(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if a.Input != in || a.Build != ref.Build || a.Update != ref.Update || !slices.Equal(a.CVEs, ref.CVEs) {
			t.Errorf("%q: got build %s update %s cves %v; want same as 15.1.2176.2", in, a.Build, a.Update, a.CVEs)
		}
	}
}

func TestAssessThreePartBuild(t *testing.T) {
	kb := testKB(t)
	a, err := kb.Assess("15.1.2176")
	if err != nil {
		t.Fatal(err)
	}
	if a.Build != "15.1.2176" || a.CU != "CU19" || a.Update != "" {
		t.Errorf("got %s %s %q", a.Build, a.CU, a.Update)
	}
	// Which SU is installed decides ProxyLogon and ProxyShell...
	for _, c := range slices.Concat(proxyLogon, proxyShell) {
		if !slices.Contains(a.SUDependent, c) || slices.Contains(a.CVEs, c) {
			t.Errorf("%s should be SU-dependent: cves %v su %v", c, a.CVEs, a.SUDependent)
		}
	}
	// ...but no CU19 SU ever fixed ProxyNotShell.
	for _, c := range proxyNotShell {
		if !slices.Contains(a.CVEs, c) {
			t.Errorf("%s should be exposed whatever the SU: %v", c, a.CVEs)
		}
	}
	if !a.Exposed() {
		t.Error("a.b.c with SU-dependent CVEs must count as exposed")
	}
	// A CU whose release already contains a fix is not SU-dependent for it.
	b, _ := kb.Assess("15.2.858")
	for _, c := range proxyLogon {
		if slices.Contains(b.SUDependent, c) || slices.Contains(b.CVEs, c) {
			t.Errorf("2019 CU9 contains the ProxyLogon fix, but %s listed: %v %v", c, b.CVEs, b.SUDependent)
		}
	}
	if !slices.Contains(b.SUDependent, "CVE-2021-34473") {
		t.Errorf("2019 CU9 needs Apr21SU for ProxyShell: %v", b.SUDependent)
	}
}

func TestAssessUnknownBuilds(t *testing.T) {
	kb := testKB(t)
	// Between CU19 Mar21SU (.9) and Apr21SU (.12): past ProxyLogon, not ProxyShell.
	a, _ := kb.Assess("15.1.2176.11")
	if a.Known || a.CU != "CU19" || !strings.Contains(a.Bracket, "15.1.2176.9 (Mar21SU)") || !strings.Contains(a.Bracket, "15.1.2176.12 (Apr21SU)") {
		t.Errorf("bracket: known=%v cu=%s %q", a.Known, a.CU, a.Bracket)
	}
	joined := strings.Join(a.Notes, "\n")
	if !regexp.MustCompile(`at or above every fix for [^;]*ProxyLogon`).MatchString(joined) || !regexp.MustCompile(`below the fixes for [^;]*ProxyShell`).MatchString(joined) {
		t.Errorf("implication missing: %s", joined)
	}
	if slices.Contains(a.CVEs, "CVE-2021-26855") || !slices.Contains(a.CVEs, "CVE-2021-34473") {
		t.Errorf("cves %v", a.CVEs)
	}
	// An a.b.c no CU has: bracketed by CUs, never guessed.
	b, _ := kb.Assess("15.1.2200.1")
	if b.Known || b.CU != "" || !strings.Contains(b.Bracket, "CU19") || !strings.Contains(b.Bracket, "CU20") {
		t.Errorf("unknown CU: %+v", b)
	}
	// Newer than everything: say so, and judge by the known fixes.
	c, _ := kb.Assess("15.2.2562.99")
	if c.Known || len(c.CVEs) != 0 || !strings.Contains(c.Bracket, "newer than the newest known update") {
		t.Errorf("future SE build: %+v", c)
	}
}

func TestSupportAndLatest(t *testing.T) {
	kb := testKB(t)
	se, _ := kb.Assess("15.2.2562.17")
	if !se.LineSupported || se.LatestInLine != "15.2.2562.56" || se.LatestUpdate != "Oct26SU" {
		t.Errorf("SE RTM: supported=%v latest=%s %s", se.LineSupported, se.LatestInLine, se.LatestUpdate)
	}
	if len(se.MissingUpdates) == 0 || se.MissingUpdates[len(se.MissingUpdates)-1] != "Oct26SU" {
		t.Errorf("SE RTM missing updates: %v", se.MissingUpdates)
	}
	e19, _ := kb.Assess("15.2.1748.49")
	if e19.LineSupported {
		t.Error("Exchange 2019 left support on 2025-10-14")
	}
	old := *kb
	old.Now = func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }
	e19b := old.AssessBuild(Build{15, 2, 1748, 10})
	e19c := old.AssessBuild(Build{15, 2, 1118, 7})
	if !e19b.LineSupported || e19c.LineSupported {
		t.Errorf("as of 2025: CU15 supported=%v (want true), CU12 supported=%v (want false)", e19b.LineSupported, e19c.LineSupported)
	}
}

func TestConditionalCVEs(t *testing.T) {
	kb := testKB(t)
	a, _ := kb.Assess("15.2.1544.4") // 2019 CU14: the fix, with Extended Protection on
	found := false
	for _, c := range a.Conditional {
		if c.CVE == "CVE-2024-21410" && c.Condition == "ExtendedProtection" && c.KEV {
			found = true
		}
	}
	if !found || slices.Contains(a.CVEs, "CVE-2024-21410") {
		t.Errorf("CVE-2024-21410 should depend on Extended Protection (KEV): %+v %v", a.Conditional, a.CVEs)
	}
	// 2016 CU23: Microsoft lists it as affected with no fixed build, so
	// even the newest 2016 build lists the CVE, with the remedy.
	b, _ := kb.Assess("15.1.2507.77")
	if !slices.Contains(b.CVEs, "CVE-2024-21410") || !strings.Contains(strings.Join(b.Notes, "\n"), "Extended Protection") {
		t.Errorf("2016 CU23: %v %v", b.CVEs, b.Notes)
	}
	// The newest SE build: fixed in code, Extended Protection must stay on.
	c, _ := kb.Assess("15.2.2562.56")
	if slices.Contains(c.CVEs, "CVE-2024-21410") || !slices.ContainsFunc(c.Conditional, func(x Conditional) bool { return x.CVE == "CVE-2024-21410" }) {
		t.Errorf("SE: %v %+v", c.CVEs, c.Conditional)
	}
}

func (kb *KB) hasFix(cve string, b Build) bool {
	for _, f := range kb.Fixes {
		if f.CVE == cve && f.Build.sameLine(b) {
			return true
		}
	}
	return false
}

func BenchmarkAssess(b *testing.B) {
	kb, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	inputs := []string{"15.1.2176.2", "15.01.2176.002", "15.1.2176", "Version 15.2 (Build 1118.7)", "15.2.2562.46"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := kb.Assess(inputs[i%len(inputs)]); err != nil {
			b.Fatal(err)
		}
	}
}
