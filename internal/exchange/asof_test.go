package exchange

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The CUs that got security updates on a past day, from the release table
// (builds.csv) and the N/N-1 policy. Expected lists reviewed against the
// table: 2016 CU23 came out 2022-04-20, and CU22's last update was Nov22SU
// (CU23 alone got Jan23SU on 2023-01-10); 2013 CU23 came out 2019-06-18
// and CU22's last regular update was Jun19SU (CU23 alone got Jul19SU);
// 2019 CU15 came out 2025-02-10 and CU14 is still listed as supported.
func TestSupportedCUsAt(t *testing.T) {
	kb := testKB(t)
	for _, c := range []struct {
		product, day string
		want         []string
	}{
		{"Exchange Server 2016", "2022-04-19", []string{"CU22", "CU21"}},
		{"Exchange Server 2016", "2022-04-20", []string{"CU23", "CU22"}},
		{"Exchange Server 2016", "2023-01-09", []string{"CU23", "CU22"}},
		{"Exchange Server 2016", "2023-01-10", []string{"CU23"}},
		{"Exchange Server 2013", "2019-06-30", []string{"CU23", "CU22"}},
		{"Exchange Server 2013", "2019-07-15", []string{"CU23"}},
		{"Exchange Server 2013", "2021-03-10", []string{"CU23"}}, // the March 2021 package for CU22 was no return to support
		{"Exchange Server 2019", "2024-04-19", []string{"CU14", "CU13"}},
		{"Exchange Server 2019", "2025-06-19", []string{"CU15", "CU14"}},
		{"Exchange Server SE", "2025-08-01", []string{"RTM"}},
	} {
		if got := kb.supportedCUsAt(c.product, day(c.day)); !slices.Equal(got, c.want) {
			t.Errorf("%s on %s: %v, want %v", c.product, c.day, got, c.want)
		}
	}
}

// AssessAt judges latest_in_line and line_supported on the day, not today
// (they were today's before). Builds of real mail hops
// (internal/mailhdr/testdata): Qualcomm's 2019 CU14 Mar24SU seen
// 2024-04-19, four days before Apr24HU; Realtek's 2016 CU21 Jan22SU seen
// 2022-04-29, nine days after 2016 CU23 came out.
func TestAssessAtLatestAndSupport(t *testing.T) {
	kb := testKB(t)
	at := func(build, when string) Assessment {
		b, err := ParseBuild(build)
		if err != nil {
			t.Fatal(err)
		}
		return kb.AssessAt(b, day(when))
	}
	q := at("15.2.1544.9", "2024-04-19")
	if q.LatestInLine != "15.2.1544.9" || q.LatestUpdate != "Mar24SU" || len(q.MissingUpdates) != 0 || !q.LineSupported {
		t.Errorf("2019 CU14 Mar24SU on 2024-04-19: latest %s %s, missing %v, supported %v; want itself, nothing missing, supported",
			q.LatestInLine, q.LatestUpdate, q.MissingUpdates, q.LineSupported)
	}
	q = at("15.2.1544.9", "2024-04-24")
	if q.LatestInLine != "15.2.1544.11" || q.LatestUpdate != "Apr24HU" || !slices.Equal(q.MissingUpdates, []string{"Apr24HU"}) {
		t.Errorf("2019 CU14 Mar24SU on 2024-04-24: latest %s %s, missing %v", q.LatestInLine, q.LatestUpdate, q.MissingUpdates)
	}
	if today, _ := kb.Assess("15.2.1544.9"); today.LatestInLine != "15.2.1544.50" || today.LatestUpdate != "Oct26SU" || today.LineSupported {
		t.Errorf("2019 CU14 today: latest %s %s, supported %v (2019 left support 2025-10-14)", today.LatestInLine, today.LatestUpdate, today.LineSupported)
	}

	r := at("15.1.2308.21", "2022-04-19")
	if !r.LineSupported || r.LatestInLine != "15.1.2308.27" || slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "not a supported CU") }) {
		t.Errorf("2016 CU21 on 2022-04-19 (N-1): supported %v, latest %s, notes %v", r.LineSupported, r.LatestInLine, r.Notes)
	}
	r = at("15.1.2308.21", "2022-04-29")
	if r.LineSupported || !slices.ContainsFunc(r.Notes, func(n string) bool {
		return n == "on 2022-04-29, Exchange Server 2016 CU21 was not a supported CU (supported then: CU23, CU22): it got no security updates; the newest CU was the way out"
	}) {
		t.Errorf("2016 CU21 on 2022-04-29 (N-2): supported %v, notes %v", r.LineSupported, r.Notes)
	}
	// What was open and missing that day (Mar22SU fixed both), and notes
	// that name nothing from later (they named 2026 CVEs and Oct26SU).
	if !slices.Equal(r.CVEs, []string{"CVE-2022-23277", "CVE-2022-24463"}) || !slices.Equal(r.MissingUpdates, []string{"Mar22SU"}) ||
		slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "CVE-2023") || strings.Contains(n, "26SU") }) {
		t.Errorf("2016 CU21 on 2022-04-29: cves %v, missing %v, notes %v", r.CVEs, r.MissingUpdates, r.Notes)
	}
	// Nothing of the line out yet (a date before the CU): no latest.
	if e := at("15.2.1544.4", "2024-01-01"); e.LatestInLine != "" || e.LineSupported {
		t.Errorf("2019 CU14 before its release: latest %q, supported %v", e.LatestInLine, e.LineSupported)
	}
}
