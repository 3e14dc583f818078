package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/jsonfmt"
	"github.com/exhunt/exhunt/internal/report"
	"github.com/exhunt/exhunt/internal/store"
)

// The fleet pages page, sort and filter in the database (store.HostPage),
// so they cost the same at 100,000 hosts as at ten. Exposure, KEV and
// product are properties of a build: each distinct build is judged once
// with the knowledge base (a fleet has a few hundred at most) and those
// filters become lists of builds.

// judged is what the knowledge base says about one build.
type judged struct {
	Build    string
	Release  string // e.g. "Exchange Server 2016 CU19"
	Product  string // e.g. "Exchange Server 2016"
	Exposure string // exposed, not exposed, unknown build
	CVEs     []string
	KEV      []string
}

// judgements caches the knowledge base's verdict per build for the life of
// the server (the knowledge base does not change under it).
type judgements struct {
	mu sync.Mutex
	m  map[string]judged
}

func (s *Server) judge(build string) (judged, error) {
	s.judgedOnce.mu.Lock()
	defer s.judgedOnce.mu.Unlock()
	if j, ok := s.judgedOnce.m[build]; ok {
		return j, nil
	}
	kb, err := s.kb()
	if err != nil {
		return judged{}, err
	}
	j := judged{Build: build, Exposure: "unknown build"}
	if a, err := kb.Assess(build); build != "" && err == nil {
		j.Release, j.Product = report.ReleaseName(&a), a.Product
		j.CVEs = append(append([]string{}, a.CVEs...), a.SUDependent...)
		j.Exposure = "not exposed"
		if a.Exposed() { // a CVE, an SU-dependent one, or an unsupported product
			j.Exposure = "exposed"
		}
		for _, c := range j.CVEs {
			if s.KEV != nil && s.KEV(c) {
				j.KEV = append(j.KEV, c)
			}
		}
	}
	if s.judgedOnce.m == nil {
		s.judgedOnce.m = map[string]judged{}
	}
	s.judgedOnce.m[build] = j
	return j, nil
}

// fleetQuery is the host list's URL query.
type fleetQuery struct {
	Search, Verdict, Exposure, Build, Product string
	KEV                                       bool
	Sort                                      string
	Desc                                      bool
	Page, Per                                 int
}

// Verdict filter values; "not-hunted" is the store's "".
var verdictNames = []string{string(finding.Compromised), string(finding.ExploitationAttempted), string(finding.NoEvidence), "not-hunted"}

var exposureNames = []string{"exposed", "not-exposed", "unknown-build"}

const maxPer = 500

func parseFleetQuery(v url.Values) (fleetQuery, error) {
	q := fleetQuery{Search: strings.TrimSpace(v.Get("q")), Verdict: v.Get("verdict"), Exposure: v.Get("exposure"),
		Build: strings.TrimSpace(v.Get("build")), Product: v.Get("product"), KEV: v.Get("kev") != "" && v.Get("kev") != "0",
		Sort: cmp.Or(v.Get("sort"), "host"), Desc: v.Get("dir") == "desc", Page: 1, Per: 50}
	if q.Verdict != "" && !slices.Contains(verdictNames, q.Verdict) {
		return q, fmt.Errorf("verdict %q: want one of %s", q.Verdict, strings.Join(verdictNames, ", "))
	}
	if q.Exposure != "" && !slices.Contains(exposureNames, q.Exposure) {
		return q, fmt.Errorf("exposure %q: want one of %s", q.Exposure, strings.Join(exposureNames, ", "))
	}
	if !slices.Contains(store.HostSorts, q.Sort) {
		return q, fmt.Errorf("sort %q: want one of %s", q.Sort, strings.Join(store.HostSorts, ", "))
	}
	if d := v.Get("dir"); d != "" && d != "asc" && d != "desc" {
		return q, fmt.Errorf("dir %q: want asc or desc", d)
	}
	for _, p := range []struct {
		name string
		dst  *int
		max  int
	}{{"page", &q.Page, 1 << 30}, {"per", &q.Per, maxPer}} {
		if s := v.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > p.max {
				return q, fmt.Errorf("%s %q: want a number from 1 to %d", p.name, s, p.max)
			}
			*p.dst = n
		}
	}
	if len(q.Search) > 255 {
		return q, fmt.Errorf("q: at most 255 characters")
	}
	return q, nil
}

// values gives q back as URL values, with changes applied.
func (q fleetQuery) values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", q.Search)
	set("verdict", q.Verdict)
	set("exposure", q.Exposure)
	set("build", q.Build)
	set("product", q.Product)
	if q.KEV {
		v.Set("kev", "1")
	}
	if q.Sort != "host" {
		v.Set("sort", q.Sort)
	}
	if q.Desc {
		v.Set("dir", "desc")
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if q.Per != 50 {
		v.Set("per", strconv.Itoa(q.Per))
	}
	return v
}

func (q fleetQuery) url(path string) string {
	if e := q.values().Encode(); e != "" {
		return path + "?" + e
	}
	return path
}

// fleet is what the overview and the host API show.
type fleet struct {
	Total    int // hosts in the store
	Matching int // hosts the filters keep
	Rows     []hostRow
	Builds   []buildRow // every distinct build, most CVEs first
	Verdicts []count
	Exposure []count
	Products []string
}

// loadFleet runs q: the counts of the whole fleet, and one page of hosts.
func (s *Server) loadFleet(ctx context.Context, q fleetQuery) (*fleet, error) {
	st := s.Store
	counts, err := st.HostCounts(ctx)
	if err != nil {
		return nil, err
	}
	f := &fleet{}
	byBuild, byVerdict := map[string]int{}, map[string]int{}
	for _, c := range counts {
		byBuild[c.Build] += c.Hosts
		byVerdict[c.Verdict] += c.Hosts
	}
	verdict := strings.TrimSuffix(q.Verdict, "not-hunted") // the store's "" is never hunted
	buildFilter := q.Exposure != "" || q.KEV || q.Product != "" || q.Build != ""
	exposure := map[string]int{}
	products := map[string]bool{}
	kept := map[string]bool{} // builds the build-level filters keep
	for b, n := range byBuild {
		j, err := s.judge(b)
		if err != nil {
			return nil, err
		}
		f.Total += n
		exposure[j.Exposure] += n
		if j.Product != "" {
			products[j.Product] = true
		}
		if j.Release != "" {
			f.Builds = append(f.Builds, buildRow{Build: b, Release: j.Release, CVEs: j.CVEs, KEV: j.KEV, Count: n})
		}
		if (q.Exposure == "" || strings.ReplaceAll(j.Exposure, " ", "-") == q.Exposure) && (!q.KEV || len(j.KEV) > 0) &&
			(q.Product == "" || j.Product == q.Product) && (q.Build == "" || b == q.Build) {
			kept[b] = true
		}
	}
	// Without a text search the counts say how many hosts match.
	for _, c := range counts {
		if kept[c.Build] && (q.Verdict == "" || c.Verdict == verdict) {
			f.Matching += c.Hosts
		}
	}
	slices.SortFunc(f.Builds, func(a, b buildRow) int {
		return cmp.Or(len(b.CVEs)-len(a.CVEs), b.Count-a.Count, strings.Compare(store.BuildKey(a.Build), store.BuildKey(b.Build)))
	})
	for _, v := range verdictNames {
		name := v
		if v == "not-hunted" {
			name = "not hunted"
			v = ""
		}
		f.Verdicts = append(f.Verdicts, count{name, verdictClass(name), byVerdict[v]})
	}
	for _, e := range []string{"exposed", "not exposed", "unknown build"} {
		f.Exposure = append(f.Exposure, count{e, strings.ReplaceAll(e, " ", "-"), exposure[e]})
	}
	for p := range products {
		f.Products = append(f.Products, p)
	}
	slices.Sort(f.Products)

	hq := store.HostQuery{Search: q.Search, Sort: q.Sort, Desc: q.Desc, Limit: q.Per, Offset: (q.Page - 1) * q.Per}
	if buildFilter {
		hq.Builds = []string{}
		for b := range kept {
			hq.Builds = append(hq.Builds, b)
		}
		slices.Sort(hq.Builds)
	}
	if q.Verdict != "" {
		hq.Verdicts = []string{verdict}
	}
	if q.Search != "" {
		if f.Matching, err = st.CountHosts(ctx, hq); err != nil {
			return nil, err
		}
	}
	rows, err := st.HostRows(ctx, hq)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		j, err := s.judge(r.Build)
		if err != nil {
			return nil, err
		}
		row := hostRow{Host: r.Host, Verdict: cmp.Or(r.Verdict, "not hunted"), Build: r.Build, Product: j.Release,
			Exposure: j.Exposure, CVEs: j.CVEs, KEV: j.KEV, Findings: r.Findings, LastHunt: r.LastHunt, LastScan: r.LastScan}
		f.Rows = append(f.Rows, row)
	}
	return f, nil
}

// pager is the navigation of one page of a list.
type pager struct {
	Page, Pages, Total, From, To int
	First, Prev, Next, Last      string // URLs; "" when there is none
}

func newPager(page, per, total int, at func(page int) string) pager {
	p := pager{Page: page, Total: total, Pages: max(1, (total+per-1)/per)}
	p.From, p.To = min(total, (page-1)*per+1), min(total, page*per)
	if page > 1 {
		p.First, p.Prev = at(1), at(min(page-1, p.Pages))
	}
	if page < p.Pages {
		p.Next, p.Last = at(page+1), at(p.Pages)
	}
	return p
}

// sortLink is a column header: a link that sorts by it, or flips the order.
type sortLink struct {
	Label, URL, Mark string
}

type overviewPage struct {
	Version      string
	Q            fleetQuery
	Fleet        *fleet
	Pager        pager
	Sorts        []sortLink
	Correlations []store.SharedIndicator
	MoreCorr     int
	VerdictOpts  []string
	ExposureOpts []string
	PerOpts      []int
	Elapsed      time.Duration
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	q, err := parseFleetQuery(r.URL.Query())
	if err != nil {
		http.Error(w, "bad query: "+err.Error(), http.StatusBadRequest)
		return
	}
	f, err := s.loadFleet(r.Context(), q)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	corr, ncorr, err := s.Store.CorrelationPage(r.Context(), 2, 10, 10, 0)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d := overviewPage{Version: s.Version, Q: q, Fleet: f, Correlations: corr, MoreCorr: ncorr - len(corr),
		VerdictOpts: verdictNames, ExposureOpts: exposureNames, PerOpts: []int{25, 50, 100, 250, 500}}
	d.Pager = newPager(q.Page, q.Per, f.Matching, func(p int) string { c := q; c.Page = p; return c.url("/") })
	for _, c := range []struct{ key, label string }{{"host", "Host"}, {"verdict", "Verdict"}, {"build", "Build"},
		{"findings", "Findings"}, {"last_hunt", "Last hunt"}, {"last_scan", "Last scan"}} {
		c2 := q
		c2.Page, c2.Sort, c2.Desc = 1, c.key, false
		mark := ""
		if q.Sort == c.key {
			c2.Desc = !q.Desc
			mark = "▲"
			if q.Desc {
				mark = "▼"
			}
		}
		d.Sorts = append(d.Sorts, sortLink{c.label, c2.url("/"), mark})
	}
	d.Elapsed = time.Since(start).Round(time.Millisecond)
	s.render(w, r, "overview", d)
}

type correlationsPage struct {
	Version string
	Rows    []store.SharedIndicator
	Pager   pager
	Min     int
}

// correlations pages through the indicators seen on several hosts.
func (s *Server) correlations(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	page, per, minHosts := 1, 100, 2
	for _, p := range []struct {
		name string
		dst  *int
		max  int
	}{{"page", &page, 1 << 30}, {"per", &per, maxPer}, {"min", &minHosts, 1 << 30}} {
		if s := v.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > p.max {
				http.Error(w, fmt.Sprintf("bad query: %s %q: want a number from 1 to %d", p.name, s, p.max), http.StatusBadRequest)
				return
			}
			*p.dst = n
		}
	}
	rows, total, err := s.Store.CorrelationPage(r.Context(), minHosts, 20, per, (page-1)*per)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	at := func(p int) string {
		u := url.Values{"page": {strconv.Itoa(p)}}
		if per != 100 {
			u.Set("per", strconv.Itoa(per))
		}
		if minHosts != 2 {
			u.Set("min", strconv.Itoa(minHosts))
		}
		return "/correlations?" + u.Encode()
	}
	s.render(w, r, "correlations", correlationsPage{Version: s.Version, Rows: rows, Pager: newPager(page, per, total, at), Min: minHosts})
}

// FleetHost is one host of the paged host API.
type FleetHost struct {
	Host     string    `json:"host"`
	Verdict  string    `json:"verdict"` // "" when never hunted
	Build    string    `json:"build"`
	Release  string    `json:"release,omitempty"`
	Exposure string    `json:"exposure"` // exposed, not exposed, unknown build
	CVEs     []string  `json:"cves"`
	KEVCVEs  []string  `json:"kev_cves"`
	Findings int       `json:"findings"`
	LastHunt time.Time `json:"last_hunt"`
	LastScan time.Time `json:"last_scan"`
}

// FleetPage is the answer of GET /api/v1/fleet.
type FleetPage struct {
	Total int         `json:"total"` // hosts matching the filters
	Page  int         `json:"page"`
	Per   int         `json:"per"`
	Hosts []FleetHost `json:"hosts"`
}

func (s *Server) apiFleet(w http.ResponseWriter, r *http.Request) {
	q, err := parseFleetQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	f, err := s.loadFleet(r.Context(), q)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := FleetPage{Total: f.Matching, Page: q.Page, Per: q.Per, Hosts: []FleetHost{}}
	for _, h := range f.Rows {
		out.Hosts = append(out.Hosts, FleetHost{Host: h.Host, Verdict: strings.TrimSuffix(h.Verdict, "not hunted"), Build: h.Build,
			Release: h.Product, Exposure: h.Exposure, CVEs: jsonfmt.NonNil(h.CVEs), KEVCVEs: jsonfmt.NonNil(h.KEV), Findings: h.Findings,
			LastHunt: h.LastHunt, LastScan: h.LastScan})
	}
	writeJSON(w, http.StatusOK, out)
}
