package exchange

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// One test per finding of the independent audit of the knowledge base
// (shared/research/kb-audit-2026-12.md). Expected values come from
// Microsoft's CVE records, the build table and CISA's KEV catalog, as
// named in each case; they are not copied from the code's output.

// auditKB judges as of the audit's date.
func auditKB(t *testing.T) *KB { return kbAt(t, time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)) }

func mustAssess(t *testing.T, kb *KB, in string) Assessment {
	t.Helper()
	a, err := kb.Assess(in)
	if err != nil {
		t.Fatalf("%s: %v", in, err)
	}
	return a
}

func kevIDs(a Assessment) []string {
	var out []string
	for _, k := range a.KEVCVEs {
		out = append(out, k.CVE)
	}
	return out
}

// Audit 1: the knowledge stopped at Aug26SU; Microsoft's records name a
// Sep 8, an Oct 2 (out of band, "v2") and an Oct 13 2026 update.
func TestAuditNewestUpdates(t *testing.T) {
	kb := auditKB(t)
	for _, c := range []struct{ in, cu, update, date string }{
		{"15.1.2507.73", "CU23", "Sep26SU", "2026-09-08"},
		{"15.2.1544.46", "CU14", "Sep26SU", "2026-09-08"},
		{"15.2.1748.51", "CU15", "Sep26SU", "2026-09-08"},
		{"15.2.2562.49", "RTM", "Sep26SU", "2026-09-08"},
		{"15.1.2507.75", "CU23", "Sep26SUv2", "2026-10-02"},
		{"15.2.1544.48", "CU14", "Sep26SUv2", "2026-10-02"},
		{"15.2.1748.53", "CU15", "Sep26SUv2", "2026-10-02"},
		{"15.2.2562.53", "RTM", "Sep26SUv2", "2026-10-02"},
		{"15.1.2507.77", "CU23", "Oct26SU", "2026-10-13"},
		{"15.2.1544.50", "CU14", "Oct26SU", "2026-10-13"},
		{"15.2.1748.55", "CU15", "Oct26SU", "2026-10-13"},
		{"15.2.2562.56", "RTM", "Oct26SU", "2026-10-13"},
	} {
		a := mustAssess(t, kb, c.in)
		if !a.Known || a.CU != c.cu || a.Update != c.update || a.ReleaseDate != c.date {
			t.Errorf("%s: known=%v %s %s %s, want %s %s %s", c.in, a.Known, a.CU, a.Update, a.ReleaseDate, c.cu, c.update, c.date)
		}
	}
	// Each fixes what its CVE records say, and not more.
	sep := mustAssess(t, kb, "15.2.2562.49")
	if !slices.Contains(sep.CVEs, "CVE-2026-96940") || slices.Contains(sep.CVEs, "CVE-2026-69641") || slices.Contains(sep.CVEs, "CVE-2026-69355") {
		t.Errorf("SE Sep26SU: %v", sep.CVEs)
	}
	aug := mustAssess(t, kb, "15.2.2562.46")
	for _, c := range []string{"CVE-2026-69641", "CVE-2026-69355", "CVE-2026-96940"} {
		if !slices.Contains(aug.CVEs, c) {
			t.Errorf("SE Aug26SU should miss the Sep 2026 fix for %s: %v", c, aug.CVEs)
		}
	}
	newest := mustAssess(t, kb, "15.2.2562.56")
	if newest.Exposed() || len(newest.CVEs) != 0 || len(newest.MissingUpdates) != 0 {
		t.Errorf("SE Oct26SU is the newest update: exposed=%v %v missing %v", newest.Exposed(), newest.CVEs, newest.MissingUpdates)
	}
	if got := kb.DataDate().Format(time.DateOnly); got != "2026-10-13" {
		t.Errorf("data date %s, want 2026-10-13", got)
	}
	// 2016 CU23 SU builds of 2026 are ESU-only: the product ended its paid
	// updates after October 2026, so even its newest build is exposed.
	e16 := mustAssess(t, kb, "15.1.2507.77")
	if e16.UnsupportedSince != "2025-10-14" || !e16.Exposed() {
		t.Errorf("2016 CU23 Oct26SU in December 2026: unsupported_since %q exposed %v", e16.UnsupportedSince, e16.Exposed())
	}
}

// Audit 2 and the first case: Exchange SE RTM and 2019 CU15
// Apr25HU were "not exposed" though CVE-2026-42897 (OWA zero-day, CISA KEV
// 2026-05-15) is fixed only by Jun26SU (Microsoft's record: 2019 CU14 <
// 15.2.1544.41, CU15 < 15.2.1748.46, SE < 15.2.2562.43, 2016 CU23 <
// 15.1.2507.69).
func TestAuditOWAZeroDay2026(t *testing.T) {
	kb := auditKB(t)
	for in, exposed := range map[string]bool{
		"15.2.2562.17": true, "15.2.1748.24": true, "15.2.2562.41": true, "15.1.2507.66": true,
		"15.2.2562.43": false, "15.2.1748.46": false, "15.2.1544.41": false, "15.1.2507.69": false,
	} {
		a := mustAssess(t, kb, in)
		if slices.Contains(a.CVEs, "CVE-2026-42897") != exposed || slices.Contains(kevIDs(a), "CVE-2026-42897") != exposed {
			t.Errorf("%s: CVE-2026-42897 exposed=%v, want %v (kev %v)", in, slices.Contains(a.CVEs, "CVE-2026-42897"), exposed, kevIDs(a))
		}
		if exposed && !a.Exposed() {
			t.Errorf("%s: not exposed", in)
		}
	}
	se := mustAssess(t, kb, "15.2.2562.17")
	var k KEVEntry
	for _, e := range se.KEVCVEs {
		if e.CVE == "CVE-2026-42897" {
			k = e
		}
	}
	if k.DateAdded != "2026-05-15" {
		t.Errorf("KEV entry %+v, want date added 2026-05-15", k)
	}
}

// Audit 2: KEV CVEs of 2020-2021 missing for builds from 2021.
func TestAuditKEV2021(t *testing.T) {
	kb := auditKB(t)
	test := func(in string, want, notWant []string) {
		t.Helper()
		a := mustAssess(t, kb, in)
		kev := kevIDs(a)
		for _, c := range want {
			if !slices.Contains(a.CVEs, c) || !slices.Contains(kev, c) {
				t.Errorf("%s: %s missing (cves %d, kev %v)", in, c, len(a.CVEs), kev)
			}
		}
		for _, c := range notWant {
			if slices.Contains(a.CVEs, c) {
				t.Errorf("%s: %s listed, but the build carries its fix", in, c)
			}
		}
	}
	// 2016 CU8 Mar21SU: a 2021 build of a CU that never got Feb20SU,
	// Jul21SU or Nov21SU, nor the April 2021 fix of ProxyToken.
	test("15.1.1415.10", []string{"CVE-2020-0688", "CVE-2021-31196", "CVE-2021-33766", "CVE-2021-42321", "CVE-2018-8581"}, proxyLogon)
	// 2019 CU8 Mar21SU: past Feb20SU (CU8 is from December 2020).
	test("15.2.792.10", []string{"CVE-2021-31196", "CVE-2021-33766", "CVE-2021-42321"}, []string{"CVE-2020-0688", "CVE-2018-8581"})
	// Nov21SU fixes CVE-2021-42321 (HealthChecker: 2308.20, 2375.17, 922.19, 986.14).
	test("15.1.2375.12", []string{"CVE-2021-42321"}, []string{"CVE-2021-31196", "CVE-2021-33766"})
	test("15.1.2375.17", nil, []string{"CVE-2021-42321"})
	test("15.2.986.14", nil, []string{"CVE-2021-42321"})
	// CVE-2021-33766 per Microsoft's record: fixed by Apr21SU.
	test("15.2.858.6", []string{"CVE-2021-33766"}, nil)
	test("15.2.858.10", nil, []string{"CVE-2021-33766"})
	// CVE-2021-31196 per Microsoft's record: 2019 CU9 < 15.2.858.15.
	test("15.2.858.12", []string{"CVE-2021-31196"}, nil)
	test("15.2.858.15", nil, []string{"CVE-2021-31196"})
}

// Audit 3: CVE-2024-21410 as Microsoft's record has it.
func TestAuditCVE202421410(t *testing.T) {
	kb := auditKB(t)
	cu13 := mustAssess(t, kb, "15.2.1258.32") // 2019 CU13 Mar24SU
	if !slices.Contains(cu13.CVEs, "CVE-2024-21410") || !slices.Contains(kevIDs(cu13), "CVE-2024-21410") {
		t.Errorf("2019 CU13 is affected below 15.2.1544.4: %v", cu13.CVEs)
	}
	cu14 := mustAssess(t, kb, "15.2.1544.4")
	if slices.Contains(cu14.CVEs, "CVE-2024-21410") {
		t.Errorf("2019 CU14 carries the fix: %v", cu14.CVEs)
	}
	e16 := mustAssess(t, kb, "15.1.2507.37")
	if !slices.Contains(e16.CVEs, "CVE-2024-21410") {
		t.Errorf("2016 CU23 has no fixed build: %v", e16.CVEs)
	}
}

// Audit 4: 2013 SP1 and the March 2021 CVEs.
func TestAudit2013SP1(t *testing.T) {
	kb := auditKB(t)
	a := mustAssess(t, kb, "15.0.847.64")
	for _, c := range proxyLogon {
		if slices.Contains(a.CVEs, c) {
			t.Errorf("2013 SP1 Mar21SU: %s listed; Microsoft's records do not list SP1 for 26855/26858 and the SP1 update fixes 26857/27065", c)
		}
	}
	if strings.Contains(strings.Join(a.Notes, "\n"), "never received a fix for CVE-2021-26855") {
		t.Errorf("note still claims no fix: %v", a.Notes)
	}
	if a.UnsupportedSince != "2023-04-11" || !a.Exposed() {
		t.Errorf("2013 is unsupported since 2023-04-11: %q %v", a.UnsupportedSince, a.Exposed())
	}
}

// Audit 5: 2016 CU8/CU9 March 2021 builds. Microsoft's CVE record for
// CVE-2021-26858 has CU8 < 15.01.1415.010 and CU9 < 15.01.1466.016, as the
// build table; HealthChecker's 15.1.1415.8 / 15.1.1466.13 are below it.
func TestAudit2016CU8CU9(t *testing.T) {
	kb := auditKB(t)
	for _, in := range []string{"15.1.1415.8", "15.1.1466.13"} {
		a := mustAssess(t, kb, in)
		if a.Known {
			t.Errorf("%s is not in Microsoft's table", in)
		}
		if !slices.Contains(a.CVEs, "CVE-2021-26855") {
			t.Errorf("%s: below Microsoft's fixed build, should list ProxyLogon: %v", in, a.CVEs)
		}
		if !strings.Contains(strings.Join(a.Notes, "\n"), "HealthChecker") {
			t.Errorf("%s: the note should explain the HealthChecker difference: %v", in, a.Notes)
		}
	}
	for _, in := range []string{"15.1.1415.10", "15.1.1466.16"} {
		if a := mustAssess(t, kb, in); slices.ContainsFunc(proxyLogon, func(c string) bool { return slices.Contains(a.CVEs, c) }) {
			t.Errorf("%s: Mar21SU still lists ProxyLogon: %v", in, a.CVEs)
		}
	}
}

// Audit 6: Exchange 2010 is judged, unsupported since 2020-10-13 and
// exposed; RU32 got the March 2021 fix for CVE-2021-26857.
func TestAuditExchange2010(t *testing.T) {
	kb := auditKB(t)
	for _, in := range []string{"14.3.442.0", "14.3.452.0", "14.3.461.1", "14.3.468.0", "14.3.496.0", "14.3.509.0", "14.3.513.0", "14.03.0513.000", "Version 14.3 (Build 513.0)"} {
		a := mustAssess(t, kb, in)
		if a.Product != "Exchange Server 2010" || !a.Known || a.UnsupportedSince != "2020-10-13" || !a.Exposed() || !a.IsExposed {
			t.Errorf("%s: product %q known %v unsupported_since %q exposed %v", in, a.Product, a.Known, a.UnsupportedSince, a.Exposed())
		}
	}
	ru31 := mustAssess(t, kb, "14.3.509.0")
	if !slices.Contains(ru31.CVEs, "CVE-2021-26857") || slices.Contains(ru31.CVEs, "CVE-2020-17144") {
		t.Errorf("RU31: %v", ru31.CVEs)
	}
	// The way out names the rollup once: 2010 rollups carry no update on top.
	if notes := strings.Join(ru31.Notes, "\n"); !strings.Contains(notes, "install Exchange Server 2010 SP3 RU32 (14.3.513.0) or later") {
		t.Errorf("RU31 notes: %v", ru31.Notes)
	}
	ru32 := mustAssess(t, kb, "14.3.513.0")
	if slices.Contains(ru32.CVEs, "CVE-2021-26857") || ru32.Update != "SP3 RU32" || ru32.KB != "KB5000978" {
		t.Errorf("RU32: %v %s %s", ru32.CVEs, ru32.Update, ru32.KB)
	}
	ru26 := mustAssess(t, kb, "14.3.442.0")
	for _, c := range []string{"CVE-2020-0688", "CVE-2020-17144", "CVE-2021-26857"} {
		if !slices.Contains(kevIDs(ru26), c) {
			t.Errorf("RU26: KEV %s missing: %v", c, kevIDs(ru26))
		}
	}
	if !strings.Contains(strings.Join(ru32.Notes, "\n"), "unsupported since 2020-10-13") {
		t.Errorf("RU32 notes: %v", ru32.Notes)
	}
}

// Audit 8: SE has no fixed end date (Modern Lifecycle Policy).
func TestAuditSELifecycle(t *testing.T) {
	kb := auditKB(t)
	lc := kb.Lifecycle["Exchange Server SE"]
	if !lc.EndOfSupport.IsZero() {
		t.Errorf("SE end of support %v: Microsoft gives none", lc.EndOfSupport)
	}
	far := *kb
	far.Now = func() time.Time { return time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC) }
	if a := far.AssessBuild(Build{15, 2, 2562, 56}); a.UnsupportedSince != "" {
		t.Errorf("SE unsupported since %q", a.UnsupportedSince)
	}
}

// KEV entries and their order.
func TestKEVFirst(t *testing.T) {
	kb := auditKB(t)
	a := mustAssess(t, kb, "15.1.2176.2")
	got := a.KEVFirst(a.CVEs)
	nKEV := len(a.KEVCVEs)
	if nKEV < 10 || len(got) != len(a.CVEs) {
		t.Fatalf("kev %d, cves %d, ordered %d", nKEV, len(a.CVEs), len(got))
	}
	for i, c := range got {
		if _, isKEV := kb.KEV[c]; isKEV != (i < nKEV) {
			t.Errorf("position %d %s: kev=%v", i, c, isKEV)
		}
	}
	for _, k := range a.KEVCVEs {
		if k.DateAdded == "" || (k.Ransomware != "Known" && k.Ransomware != "Unknown") {
			t.Errorf("KEV entry %+v", k)
		}
	}
	clean := mustAssess(t, kb, "15.2.2562.56")
	if clean.ExposedKEV() || clean.KEVCVEs == nil {
		t.Errorf("newest SE: kev %v", clean.KEVCVEs)
	}
}
