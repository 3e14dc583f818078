package store

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pressly/goose/v3"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/store/result"
)

// TestFleetConformance runs the fleet-scale queries on every backend.
func TestFleetConformance(t *testing.T) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *Store)
	}{
		{"SummaryMatchesHosts", testSummaryMatchesHosts},
		{"HostPageFilters", testHostPageFilters},
		{"CorrelationPage", testCorrelationPage},
		{"QueuedScans", testQueuedScans},
		{"LatestScans", testLatestScans},
		{"BundleHunts", testBundleHunts},
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					s, _ := b.open(t)
					tc.fn(t, s)
				})
			}
		})
	}
}

// clock makes the store's ingest times advance one second per call.
func clock(s *Store) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	s.now = func() time.Time { n++; return t0.Add(time.Duration(n) * time.Second) }
}

func scanDoc(t *testing.T, target string, port int, build, note string) result.Doc {
	t.Helper()
	raw := fmt.Sprintf(`{"target":%q,"ip":"127.0.0.1","port":%d,"exchange":%v,"build":%q,"cves":[],"error":%q}`,
		target, port, build != "", build, note)
	d, ok, err := result.Classify(json.RawMessage(raw))
	if err != nil || !ok {
		t.Fatalf("Classify(%s): %v %v", raw, ok, err)
	}
	return d
}

// randomFleet saves hunts and scans of 12 hosts in random order, times and
// builds (some scans without a build, names in mixed case): the summary
// table must agree with Hosts, which reads every run.
func randomFleet(t *testing.T, s *Store) {
	t.Helper()
	clock(s)
	r := rand.New(rand.NewPCG(17, 1))
	builds := []string{"15.1.2176.2", "15.2.986.5", "15.2.1118.7", "15.2.2562.46", "", "15.0.1497.2"}
	verdicts := []finding.Verdict{finding.Compromised, finding.ExploitationAttempted, finding.NoEvidence}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 80 {
		h := r.IntN(12)
		name := fmt.Sprintf("ex%02d.corp", h)
		if r.IntN(3) == 0 {
			name = strings.ToUpper(name)
		}
		if r.IntN(2) == 0 {
			hr := finding.HostResult{Host: name, Verdict: verdicts[r.IntN(3)], Build: builds[r.IntN(len(builds))],
				Finished: base.Add(time.Duration(r.IntN(1000)) * time.Hour)}
			for j := range r.IntN(4) {
				hr.Findings = append(hr.Findings, finding.Finding{Rule: fmt.Sprintf("r%d", j), Severity: finding.High,
					Outcome: finding.Attempted, Line: int64(i), Details: map[string]string{"client_ip": fmt.Sprintf("203.0.113.%d", r.IntN(5))}})
			}
			if _, err := s.SaveHunt(t.Context(), hr); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := s.Save(t.Context(), scanDoc(t, strings.ToLower(name), 443, builds[r.IntN(len(builds))], fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
}

func testSummaryMatchesHosts(t *testing.T, s *Store) {
	randomFleet(t, s)
	if _, err := s.Save(t.Context(), append(readDocs(t, "testdata/fleet.jsonl"), readDocs(t, "testdata/scan.jsonl")...)...); err != nil {
		t.Fatal(err)
	}
	checkSummary(t, s)
}

// checkSummary compares HostPage with Hosts, the reference that reads
// every run.
func checkSummary(t *testing.T, s *Store) {
	t.Helper()
	hosts, err := s.Hosts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var want []HostRow
	for _, h := range hosts {
		w := HostRow{Host: h.Host, Verdict: h.Verdict, Build: h.Build, Findings: h.Findings, Runs: h.Runs}
		if h.Hunt != nil {
			w.LastHunt = h.Hunt.RunTime
		}
		if h.Scan != nil {
			w.LastScan = h.Scan.RunTime
		}
		want = append(want, w)
	}
	got, total, err := s.HostPage(t.Context(), HostQuery{Limit: MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	if total != len(want) {
		t.Errorf("HostPage total = %d, Hosts = %d", total, len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HostPage disagrees with Hosts (-Hosts +HostPage):\n%s", diff)
	}
}

func testHostPageFilters(t *testing.T, s *Store) {
	randomFleet(t, s)
	all, total, err := s.HostPage(t.Context(), HostQuery{Limit: MaxPage})
	if err != nil || total != 12 || len(all) != 12 {
		t.Fatalf("all hosts: %d of %d, %v", len(all), total, err)
	}
	page := func(q HostQuery) ([]string, int) {
		t.Helper()
		rows, n, err := s.HostPage(t.Context(), q)
		if err != nil {
			t.Fatalf("HostPage(%+v): %v", q, err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, strings.ToLower(r.Host))
		}
		return out, n
	}
	// Pages of 5 cover everything once, in host order.
	var paged []string
	for off := 0; off < total; off += 5 {
		p, n := page(HostQuery{Limit: 5, Offset: off})
		if n != total || len(p) > 5 {
			t.Errorf("page at %d: %d rows, total %d", off, len(p), n)
		}
		paged = append(paged, p...)
	}
	if !slices.IsSorted(paged) || len(paged) != total {
		t.Errorf("paged hosts = %v", paged)
	}
	if p, n := page(HostQuery{Search: "X0_"}); n != 0 || len(p) != 0 {
		t.Errorf("search X0_ (underscore is literal) = %v", p)
	}
	if p, n := page(HostQuery{Search: "X01"}); n != 1 || p[0] != "ex01.corp" {
		t.Errorf("search X01 = %v, %d", p, n)
	}
	// Filters agree with the full list.
	want := func(keep func(HostRow) bool) []string {
		var out []string
		for _, r := range all {
			if keep(r) {
				out = append(out, strings.ToLower(r.Host))
			}
		}
		return out
	}
	if p, n := page(HostQuery{Verdicts: []string{"compromised", ""}}); n != len(p) ||
		cmp.Diff(want(func(r HostRow) bool { return r.Verdict == "compromised" || r.Verdict == "" }), p) != "" {
		t.Errorf("verdict filter = %v", p)
	}
	if p, _ := page(HostQuery{Builds: []string{"15.2.986.5", ""}}); cmp.Diff(want(func(r HostRow) bool { return r.Build == "15.2.986.5" || r.Build == "" }), p) != "" {
		t.Errorf("build filter = %v", p)
	}
	if p, n := page(HostQuery{Builds: []string{}}); n != 0 || p != nil {
		t.Errorf("empty build list matched %v", p)
	}
	// Builds sort by number: 15.2.986 before 15.2.1118.
	rows, _, err := s.HostPage(t.Context(), HostQuery{Sort: "build", Limit: MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range rows {
		keys = append(keys, BuildKey(r.Build))
	}
	if !slices.IsSorted(keys) {
		t.Errorf("sort by build: %v", keys)
	}
	rows, _, err = s.HostPage(t.Context(), HostQuery{Sort: "findings", Desc: true, Limit: 3})
	if err != nil || len(rows) != 3 || !slices.IsSortedFunc(rows, func(a, b HostRow) int { return b.Findings - a.Findings }) {
		t.Errorf("sort by findings desc: %+v %v", rows, err)
	}
	if _, _, err := s.HostPage(t.Context(), HostQuery{Sort: "doc; DROP TABLE runs"}); err == nil {
		t.Error("unknown sort accepted")
	}
}

func TestBuildKey(t *testing.T) {
	for in, want := range map[string]string{
		"":             "",
		"15.2.986.5":   "000015.000002.000986.000005",
		"15.2.1118":    "000015.000002.001118",
		"15.x":         "~15.x",
		"1.2.3.4.5":    "~1.2.3.4.5",
		"15.2.99999.1": "000015.000002.099999.000001",
	} {
		if got := BuildKey(in); got != want {
			t.Errorf("BuildKey(%q) = %q, want %q", in, got, want)
		}
	}
	if !(BuildKey("15.2.986.5") < BuildKey("15.2.1118.7")) {
		t.Error("15.2.986 does not sort before 15.2.1118")
	}
}

func testCorrelationPage(t *testing.T, s *Store) {
	randomFleet(t, s)
	if _, err := s.Save(t.Context(), readDocs(t, "testdata/fleet.jsonl")...); err != nil {
		t.Fatal(err)
	}
	for _, minHosts := range []int{1, 2, 5} {
		ref, err := s.Correlate(t.Context(), minHosts)
		if err != nil {
			t.Fatal(err)
		}
		got, total, err := s.CorrelationPage(t.Context(), minHosts, 100, MaxPage, 0)
		if err != nil {
			t.Fatal(err)
		}
		if total != len(ref) || len(got) != len(ref) {
			t.Fatalf("min %d: CorrelationPage %d of %d, Correlate %d", minHosts, len(got), total, len(ref))
		}
		// Hosts compare by name, case-insensitively: the page lists them
		// in that order, Correlate in byte order.
		lower := func(hs []string) []string {
			out := make([]string, len(hs))
			for i, h := range hs {
				out[i] = strings.ToLower(h)
			}
			return out
		}
		fold := func(hs []string) []string { out := lower(hs); slices.Sort(out); return out }
		byInd := map[Indicator][]string{}
		for _, c := range ref {
			byInd[c.Indicator] = fold(c.Hosts)
		}
		for i, c := range got {
			if i > 0 && got[i-1].HostCount < c.HostCount {
				t.Errorf("min %d: not most widespread first at %d", minHosts, i)
			}
			if c.HostCount != len(c.Hosts) || cmp.Diff(byInd[c.Indicator], fold(c.Hosts)) != "" || !slices.IsSorted(lower(c.Hosts)) {
				t.Errorf("min %d: %v: hosts %v (count %d), Correlate says %v", minHosts, c.Indicator, c.Hosts, c.HostCount, byInd[c.Indicator])
			}
		}
	}
	few, total, err := s.CorrelationPage(t.Context(), 1, 2, 3, 1)
	if err != nil || len(few) != 3 || total < 4 {
		t.Fatalf("page of 3 at 1: %d of %d, %v", len(few), total, err)
	}
	for _, c := range few {
		if len(c.Hosts) > 2 || c.HostCount < len(c.Hosts) {
			t.Errorf("hostsShown 2: %+v", c)
		}
	}
}

func testQueuedScans(t *testing.T, s *Store) {
	clock(s)
	item := func(i int, note string) ScanItem {
		return ScanItem{Doc: scanDoc(t, fmt.Sprintf("10.0.0.%d", i), 443, "15.1.2176.2", note), Ordinal: int64(i)}
	}
	if added, err := s.AddScan(t.Context(), ScanInfo{ID: "s1", Targets: 6, Chunks: 2, Options: json.RawMessage(`{"active":false}`)}); err != nil || !added {
		t.Fatalf("AddScan = %v, %v", added, err)
	}
	if added, err := s.AddScan(t.Context(), ScanInfo{ID: "s1", Targets: 6, Chunks: 2, Options: json.RawMessage(`{}`)}); err != nil || added {
		t.Errorf("AddScan again = %v, %v; want not added", added, err)
	}
	n, err := s.SaveScans(t.Context(), "s1", []ScanItem{item(3, ""), item(0, ""), item(1, ""), item(2, "")})
	if err != nil || n != 4 {
		t.Fatalf("SaveScans = %d, %v", n, err)
	}
	// A redone chunk whose results differ (timing, a flaky host) stores
	// nothing for the targets already recorded.
	n, err = s.SaveScans(t.Context(), "s1", []ScanItem{item(2, "redo"), item(3, "redo"), item(4, ""), item(5, "")})
	if err != nil || n != 2 {
		t.Fatalf("SaveScans of an overlapping chunk = %d, %v; want 2", n, err)
	}
	if r, _ := counts(t, s); r != 6 {
		t.Errorf("%d runs stored for 6 targets", r)
	}
	got, err := s.Scanned(t.Context(), "s1", []string{"10.0.0.1:443", "10.0.0.9:443", "10.0.0.5:443"})
	if err != nil || !got["10.0.0.1:443"] || got["10.0.0.9:443"] || !got["10.0.0.5:443"] || len(got) != 2 {
		t.Errorf("Scanned = %v, %v", got, err)
	}
	var order []string
	if err := s.ScanDocs(t.Context(), "s1", func(doc json.RawMessage) error {
		var sr result.ScanResult
		json.Unmarshal(doc, &sr)
		if sr.Error != "" {
			t.Errorf("%s: the redone result replaced the first: %s", sr.Target, sr.Error)
		}
		order = append(order, sr.Target)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"}; cmp.Diff(want, order) != "" {
		t.Errorf("ScanDocs order = %v", order)
	}
	scans, err := s.Scans(t.Context(), "")
	if err != nil || len(scans) != 1 || scans[0].Stored != 6 || scans[0].Targets != 6 || string(scans[0].Options) != `{"active":false}` {
		t.Errorf("Scans = %+v, %v", scans, err)
	}
	if _, err := s.SaveScans(t.Context(), "", []ScanItem{item(7, "")}); err == nil {
		t.Error("SaveScans without a scan id accepted")
	}
	checkSummary(t, s)
}

func testLatestScans(t *testing.T, s *Store) {
	clock(s)
	save := func(d result.Doc) {
		t.Helper()
		if _, err := s.Save(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	}
	a, b := scanDoc(t, "ex01", 443, "15.1.2176.2", ""), scanDoc(t, "ex01", 443, "15.1.2507.72", "")
	save(a)
	save(b)
	save(a) // the server went back to the old build: A is newest again
	save(scanDoc(t, "ex01", 8443, "", "refused"))
	if _, err := s.SaveScans(t.Context(), "q1", []ScanItem{{Doc: scanDoc(t, "ex02", 443, "15.2.986.5", ""), Ordinal: 0}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := s.LatestScans(t.Context(), func(r ScanRecord) error {
		got = append(got, fmt.Sprintf("%s %s %s", r.TargetKey, r.Scan.Build, r.ScannedAt.Format("15:04:05")))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"ex01:443 15.1.2176.2 00:00:03", "ex01:8443  00:00:04", "ex02:443 15.2.986.5 00:00:05"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LatestScans (-want +got):\n%s", diff)
	}
}

// TestFleetMigration opens a database written by the first schema: the
// summaries and scan records are filled from the runs already there.
func TestFleetMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, _, err := openSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := fs.Sub(migrations, "migrations")
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	// What the first schema's save wrote, row by row.
	old := &Store{db: db, dialect: sqlite, now: time.Now}
	clock(old)
	ctx := context.Background()
	docs := append(readDocs(t, "testdata/fleet.jsonl"), readDocs(t, "testdata/scan.jsonl")...)
	for i := range docs {
		if err := insertV1(ctx, old, &docs[i]); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s := mustOpen(t, path)
	checkSummary(t, s)
	ref, _ := s.Correlate(ctx, 1)
	got, total, err := s.CorrelationPage(ctx, 1, 10, MaxPage, 0)
	if err != nil || total != len(ref) || len(got) != len(ref) {
		t.Errorf("migrated correlations: %d of %d, Correlate %d, %v", len(got), total, len(ref), err)
	}
	var keys []string
	s.LatestScans(ctx, func(r ScanRecord) error { keys = append(keys, r.TargetKey+" "+r.Scan.Build); return nil })
	if want := []string{"ex01 15.1.2176.2", "ex04.corp.example "}; cmp.Diff(want, keys) != "" {
		t.Errorf("migrated scan records = %q", keys)
	}
}

// insertV1 writes a document the way the first schema's Save did.
func insertV1(ctx context.Context, s *Store, d *result.Doc) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	id := RunID(d.Kind, d.Raw)
	var host, verdict, build, at string
	var nf int
	switch d.Kind {
	case result.Hunt:
		host, verdict, build, at, nf = d.Hunt.Host, string(d.Hunt.Verdict), d.Hunt.Build, fmtTime(d.Hunt.Finished), len(d.Hunt.Findings)
	default:
		host, build, at = result.HostOf(d.Scan.Target), d.Scan.Build, fmtTime(s.now())
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO runs (id, kind, host, run_time, ingested, verdict, build, findings, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, string(d.Kind), host, at, at, verdict, build, nf, string(d.Raw)); err != nil {
		return err
	}
	if d.Kind == result.Hunt {
		for i := range d.Hunt.Findings {
			for _, ind := range Indicators(&d.Hunt.Findings[i]) {
				if _, err := tx.ExecContext(ctx, `INSERT INTO indicators (run_id, host, kind, value) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
					id, host, ind.Kind, ind.Value); err != nil {
					return err
				}
			}
		}
	}
	return tx.Commit()
}

// A bundle hunted again with the same rules (a redone job, two workers
// racing) stores one result; a new rule pack stores another.
func testBundleHunts(t *testing.T, s *Store) {
	h := hunts(t)[0]
	b := Bundle{SHA256: strings.Repeat("ab", 32), RulesVersion: "v1+aaaa", Path: "/evidence/ex01.zip"}
	if done, err := s.Hunted(t.Context(), b); err != nil || done {
		t.Fatalf("Hunted before = %v, %v", done, err)
	}
	sv, ok, err := s.SaveBundleHunt(t.Context(), b, h)
	if err != nil || !ok || !sv.New {
		t.Fatalf("first SaveBundleHunt = %+v, %v, %v", sv, ok, err)
	}
	redo := h
	redo.Finished = h.Finished.Add(time.Hour) // the redone hunt's document differs
	if _, ok, err := s.SaveBundleHunt(t.Context(), b, redo); err != nil || ok {
		t.Errorf("second SaveBundleHunt stored = %v, %v; want nothing", ok, err)
	}
	if done, err := s.Hunted(t.Context(), b); err != nil || !done {
		t.Errorf("Hunted after = %v, %v", done, err)
	}
	if r, _ := counts(t, s); r != 1 {
		t.Errorf("%d runs, want 1", r)
	}
	b.RulesVersion = "v2+bbbb"
	if _, ok, err := s.SaveBundleHunt(t.Context(), b, redo); err != nil || !ok {
		t.Errorf("new rule pack: stored = %v, %v", ok, err)
	}
	if r, _ := counts(t, s); r != 2 {
		t.Errorf("%d runs, want 2", r)
	}
}
