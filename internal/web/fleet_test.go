package web

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/store"
	"github.com/exhunt/exhunt/internal/store/result"
)

// fleetBuilds mixes exposed (ProxyLogon-era), patched and unknown builds;
// the newest SE build is the knowledge base's own, so that one host stays
// not exposed whatever updates the knowledge base learns of.
var fleetBuilds = []string{"15.1.2176.2", "15.2.792.3", "15.0.1497.2", newestSE(), "15.1.2507.72", "15.2.986.36", "", "99.9.9.9"}

func newestSE() string {
	kb, err := exchange.Default()
	if err != nil {
		panic(err)
	}
	a, err := kb.Assess("15.2.2562")
	if err != nil || a.LatestInLine == "" {
		panic(fmt.Sprint("no SE line in the knowledge base: ", err))
	}
	return a.LatestInLine
}

// seedFleet saves n hosts: a scan each (build from fleetBuilds), a hunt for
// every third (verdicts in turn, findings with shared attacker IPs).
func seedFleet(t testing.TB, st *store.Store, n int, hostsPerBatch int) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(n), 7))
	verdicts := []finding.Verdict{finding.Compromised, finding.ExploitationAttempted, finding.NoEvidence}
	var batch []result.Doc
	flush := func() {
		if _, err := st.Save(t.Context(), batch...); err != nil {
			t.Fatal(err)
		}
		batch = batch[:0]
	}
	for i := range n {
		host := fmt.Sprintf("ex%06d.corp.example", i)
		build := fleetBuilds[r.IntN(len(fleetBuilds))]
		raw := fmt.Sprintf(`{"target":%q,"ip":"10.%d.%d.%d","port":443,"exchange":%v,"build":%q,"cves":[],"error":""}`,
			host, i>>16&255, i>>8&255, i&255, build != "", build)
		d, ok, err := result.Classify(json.RawMessage(raw))
		if err != nil || !ok {
			t.Fatal(err)
		}
		batch = append(batch, d)
		if i%3 == 0 {
			h := finding.HostResult{Host: host, Verdict: verdicts[(i/3)%3], Build: build,
				Finished: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)}
			for j := range (i / 3) % 4 {
				h.Findings = append(h.Findings, finding.Finding{Rule: fmt.Sprintf("rule-%d", j), Severity: finding.High, Outcome: finding.Attempted,
					Line: int64(j), Details: map[string]string{"client_ip": fmt.Sprintf("203.0.113.%d", r.IntN(50)), "user_agent": fmt.Sprintf("ua-%d", r.IntN(200))}})
			}
			raw, _ := json.Marshal(h)
			batch = append(batch, result.Doc{Kind: result.Hunt, Hunt: &h, Raw: raw})
		}
		if len(batch) >= hostsPerBatch {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
}

func kevFor(t testing.TB) func(string) bool {
	t.Helper()
	// The CVEs of CISA's KEV list that the fleet's builds are exposed to.
	kev := map[string]bool{"CVE-2021-26855": true, "CVE-2021-34473": true, "CVE-2022-41082": true, "CVE-2024-21410": true}
	return func(c string) bool { return kev[c] }
}

func fleetServer(t *testing.T, dsn string, n int) (*fixture, *Server) {
	t.Helper()
	st, err := store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seedFleet(t, st, n, 500)
	s := &Server{Store: st, Tokens: []string{token}, Version: "test", KEV: kevFor(t)}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &fixture{st: st, srv: srv}, s
}

func TestFleetPages(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { fleetPages(t, filepath.Join(t.TempDir(), "fleet.db")) })
	t.Run("postgres", func(t *testing.T) { fleetPages(t, pgDSN(t)) })
}

func fleetPages(t *testing.T, dsn string) {
	f, _ := fleetServer(t, dsn, 300)
	kb, _ := exchange.Default()
	kev := kevFor(t)
	api := func(query string) FleetPage {
		t.Helper()
		code, body, _ := f.do(t, "GET", "/api/v1/fleet?"+query, token, "")
		if code != 200 {
			t.Fatalf("GET /api/v1/fleet?%s: %d %s", query, code, body)
		}
		var p FleetPage
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Every host once, over all pages, in name order.
	var all []FleetHost
	for page := 1; ; page++ {
		p := api(fmt.Sprintf("per=40&page=%d", page))
		if p.Total != 300 {
			t.Fatalf("total %d, want 300", p.Total)
		}
		if len(p.Hosts) == 0 {
			break
		}
		all = append(all, p.Hosts...)
	}
	if len(all) != 300 || !slices.IsSortedFunc(all, func(a, b FleetHost) int { return strings.Compare(a.Host, b.Host) }) {
		t.Fatalf("paging gave %d hosts", len(all))
	}
	// Each filter agrees with the knowledge base's verdict on every host.
	check := func(query string, keep func(h FleetHost, a *exchange.Assessment) bool) {
		t.Helper()
		var want []string
		for _, h := range all {
			a, err := kb.Assess(h.Build)
			var ap *exchange.Assessment
			if h.Build != "" && err == nil {
				ap = &a
			}
			if keep(h, ap) {
				want = append(want, h.Host)
			}
		}
		p := api(query + "&per=500")
		var got []string
		for _, h := range p.Hosts {
			got = append(got, h.Host)
		}
		if p.Total != len(want) || !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%s: %d hosts (total %d), want %d", query, len(got), p.Total, len(want))
		}
	}
	exposed := func(a *exchange.Assessment) bool { return a != nil && a.Exposed() }
	check("verdict=compromised", func(h FleetHost, _ *exchange.Assessment) bool { return h.Verdict == "compromised" })
	check("verdict=not-hunted", func(h FleetHost, _ *exchange.Assessment) bool { return h.Verdict == "" })
	check("exposure=exposed", func(_ FleetHost, a *exchange.Assessment) bool { return exposed(a) })
	check("exposure=not-exposed", func(_ FleetHost, a *exchange.Assessment) bool { return a != nil && !exposed(a) })
	check("exposure=unknown-build", func(_ FleetHost, a *exchange.Assessment) bool { return a == nil })
	check("kev=1", func(_ FleetHost, a *exchange.Assessment) bool {
		return a != nil && slices.ContainsFunc(append(a.CVEs, a.SUDependent...), kev)
	})
	check("product=Exchange+Server+2016&verdict=no-evidence", func(h FleetHost, a *exchange.Assessment) bool {
		return a != nil && a.Product == "Exchange Server 2016" && h.Verdict == "no-evidence"
	})
	check("build=15.2.792.3", func(h FleetHost, _ *exchange.Assessment) bool { return h.Build == "15.2.792.3" })
	check("q=00012", func(h FleetHost, _ *exchange.Assessment) bool { return strings.Contains(h.Host, "00012") })
	if p := api("q=%00%ff%25"); p.Total != 0 {
		t.Errorf("a search with NUL, invalid UTF-8 and %% matched %d hosts", p.Total)
	}
	// Sorting.
	p := api("sort=findings&dir=desc&per=500")
	if !slices.IsSortedFunc(p.Hosts, func(a, b FleetHost) int { return b.Findings - a.Findings }) || p.Hosts[0].Findings != 3 {
		t.Errorf("sort by findings, descending: first %+v", p.Hosts[0])
	}
	p = api("sort=build&per=500")
	if !slices.IsSortedFunc(p.Hosts, func(a, b FleetHost) int { return strings.Compare(store.BuildKey(a.Build), store.BuildKey(b.Build)) }) {
		t.Error("sort by build is not numeric")
	}
	for _, bad := range []string{"sort=doc", "verdict=pwned", "per=0", "per=501", "page=-1", "dir=up", "exposure=maybe"} {
		if code, body, _ := f.do(t, "GET", "/api/v1/fleet?"+bad, token, ""); code != 400 {
			t.Errorf("%s: %d %s, want 400", bad, code, body)
		}
		if code, _, _ := f.do(t, "GET", "/?"+bad, "", ""); code != 400 {
			t.Errorf("page ?%s: %d, want 400", bad, code)
		}
	}

	// The page: one page of rows, the pager, links that keep the filters.
	code, body, _ := f.do(t, "GET", "/?exposure=exposed&per=25&page=2&sort=findings&dir=desc", "", "")
	if code != 200 {
		t.Fatalf("page: %d", code)
	}
	nExposed := api("exposure=exposed&per=1").Total
	for _, want := range []string{
		fmt.Sprintf("%d of 300 hosts match; 26–50 shown.", nExposed),
		fmt.Sprintf("page 2 of %d", (nExposed+24)/25),
		`<a href="/?dir=desc&amp;exposure=exposed&amp;page=3&amp;per=25&amp;sort=findings" rel="next">`,
		`<a href="/?exposure=exposed&amp;per=25&amp;sort=findings">Findings</a> ▼`,
		`<option selected>exposed</option>`, `<span class="kev">`, `<a href="/?build=15.1.2176.2">`,
		`<a href="/correlations">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(body, `<tr><td><a href="/hosts/`); n != 25 {
		t.Errorf("page shows %d hosts, want 25", n)
	}
	// Correlations, a page at a time.
	code, body, _ = f.do(t, "GET", "/correlations?per=10&page=2", "", "")
	if code != 200 || strings.Count(body, "<tr><td>") != 10 || !strings.Contains(body, "page 2 of") {
		t.Errorf("correlations page: %d, %d rows", code, strings.Count(body, "<tr><td>"))
	}
	if code, _, _ := f.do(t, "GET", "/correlations?page=x", "", ""); code != 400 {
		t.Errorf("correlations?page=x: %d", code)
	}
}
