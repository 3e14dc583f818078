package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/store/result"
	"github.com/google/go-cmp/cmp"
)

func readDocs(t *testing.T, path string) []result.Doc {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var docs []result.Doc
	if err := result.ReadResults(f, func(d result.Doc) error { docs = append(docs, d); return nil }); err != nil {
		t.Fatalf("result.ReadResults(%s): %v", path, err)
	}
	return docs
}

func hunts(t *testing.T) []finding.HostResult {
	t.Helper()
	var out []finding.HostResult
	for _, d := range readDocs(t, "testdata/fleet.jsonl") {
		out = append(out, *d.Hunt)
	}
	return out
}

func counts(t *testing.T, s *Store) (int, int) {
	t.Helper()
	r, f, err := s.Counts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return r, f
}

func testRoundTrip(t *testing.T, s *Store, _ func() *Store) {
	for _, h := range hunts(t) {
		sv, err := s.SaveHunt(t.Context(), h)
		if err != nil {
			t.Fatalf("SaveHunt(%s): %v", h.Host, err)
		}
		if !sv.New || sv.Kind != result.Hunt || sv.Host != h.Host || len(sv.ID) != 64 {
			t.Errorf("SaveHunt(%s) = %+v", h.Host, sv)
		}
		got, run, err := s.LatestHunt(t.Context(), strings.ToLower(h.Host))
		if err != nil {
			t.Fatalf("LatestHunt(%s): %v", h.Host, err)
		}
		if diff := cmp.Diff(h, got); diff != "" {
			t.Errorf("round trip of %s (-saved +read):\n%s", h.Host, diff)
		}
		if run.ID != sv.ID || run.Verdict != string(h.Verdict) || run.Findings != len(h.Findings) ||
			run.Build != h.Build || run.Version != h.Version || !run.RunTime.Equal(h.Finished) {
			t.Errorf("run metadata of %s = %+v", h.Host, run)
		}
	}
	if r, f := counts(t, s); r != 3 || f != 6 {
		t.Errorf("counts = %d runs, %d findings; want 3, 6", r, f)
	}
}

func testIdempotent(t *testing.T, s *Store, _ func() *Store) {
	docs := readDocs(t, "testdata/fleet.jsonl")
	first, err := s.Save(t.Context(), docs...)
	if err != nil {
		t.Fatal(err)
	}
	r0, f0 := counts(t, s)
	// The same file again, and the same hunt through SaveHunt.
	again, err := s.Save(t.Context(), readDocs(t, "testdata/fleet.jsonl")...)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := s.SaveHunt(t.Context(), *docs[0].Hunt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range first {
		if !first[i].New || again[i].New || again[i].ID != first[i].ID {
			t.Errorf("doc %d: first %+v, again %+v", i, first[i], again[i])
		}
	}
	if sv.New || sv.ID != first[0].ID {
		t.Errorf("SaveHunt of a stored result = %+v, want id %s, not new", sv, first[0].ID)
	}
	if r, f := counts(t, s); r != r0 || f != f0 {
		t.Errorf("after re-ingest: %d runs %d findings; want %d %d", r, f, r0, f0)
	}
	// A different run of the same host is a new run.
	h := *docs[0].Hunt
	h.Finished = h.Finished.Add(time.Hour)
	if sv, err := s.SaveHunt(t.Context(), h); err != nil || !sv.New {
		t.Errorf("SaveHunt of a later run = %+v, %v; want new", sv, err)
	}
}

func testScans(t *testing.T, s *Store, _ func() *Store) {
	docs := readDocs(t, "testdata/scan.jsonl")
	if len(docs) != 2 {
		t.Fatalf("scan.jsonl: %d documents, want 2 (progress line skipped)", len(docs))
	}
	sv, err := s.SaveScan(t.Context(), docs[0].Raw)
	if err != nil {
		t.Fatal(err)
	}
	if sv.Host != "ex01" || !sv.New {
		t.Errorf("SaveScan = %+v", sv)
	}
	sr, raw, err := s.ScanResult(t.Context(), sv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sr.Target != "https://ex01:443" || !sr.Exchange || sr.Build != "15.1.2176.2" || len(sr.Webshells) != 2 || sr.Webshells[0].Status != "found" || sr.Webshells[1].Status != "inconclusive" {
		t.Errorf("result.ScanResult = %+v", sr)
	}
	if !strings.Contains(string(raw), `"future_field":{"x":1}`) {
		t.Errorf("stored scan lost an unknown field: %s", raw)
	}
	runs, err := s.Runs(t.Context(), Filter{Kind: result.Scan})
	if err != nil || len(runs) != 1 {
		t.Fatalf("Runs(scan) = %v, %v", runs, err)
	}
	want := []string{"CVE-2021-26855", "CVE-2021-34473"}
	if r := runs[0]; !r.Exchange || r.IP != "127.0.0.11" || cmp.Diff(want, r.CVEs) != "" {
		t.Errorf("scan run = %+v", r)
	}
	// Extra whitespace and key order do not make a new run.
	var v map[string]any
	json.Unmarshal(docs[0].Raw, &v)
	pretty, _ := json.MarshalIndent(v, "", "   ")
	if sv2, err := s.SaveScan(t.Context(), pretty); err != nil || sv2.New || sv2.ID != sv.ID {
		t.Errorf("re-save reformatted scan = %+v, %v; want same id, not new", sv2, err)
	}
	if _, err := s.SaveScan(t.Context(), json.RawMessage(`{"host":"EX01","verdict":"no-evidence"}`)); !errors.Is(err, result.ErrInvalid) {
		t.Errorf("SaveScan(hunt) err = %v, want ErrInvalid", err)
	}
}

func testHosts(t *testing.T, s *Store, _ func() *Store) {
	if _, err := s.Save(t.Context(), append(readDocs(t, "testdata/fleet.jsonl"), readDocs(t, "testdata/scan.jsonl")...)...); err != nil {
		t.Fatal(err)
	}
	hosts, err := s.Hosts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Host, Verdict, Build string
		Findings, Runs       int
		Hunt, Scan           bool
	}
	var got []row
	for _, h := range hosts {
		got = append(got, row{h.Host, h.Verdict, h.Build, h.Findings, h.Runs, h.Hunt != nil, h.Scan != nil})
	}
	want := []row{
		{"EX01", "compromised", "15.1.2176.2", 5, 2, true, true}, // hunt EX01 + scan of https://ex01:443
		{"EX02", "exploitation-attempted", "15.2.858.5", 1, 1, true, false},
		{"EX03", "no-evidence", "15.2.2562.56", 0, 1, true, false},
		{"ex04.corp.example", "", "", 0, 1, false, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Hosts (-want +got):\n%s", diff)
	}
	all, err := s.LatestHunts(t.Context())
	if err != nil || len(all) != 3 || all[0].Host != "EX01" {
		t.Errorf("LatestHunts = %d results, %v", len(all), err)
	}
}

func testCorrelate(t *testing.T, s *Store, _ func() *Store) {
	if _, err := s.Save(t.Context(), readDocs(t, "testdata/fleet.jsonl")...); err != nil {
		t.Fatal(err)
	}
	got, err := s.Correlate(t.Context(), 2)
	if err != nil {
		t.Fatal(err)
	}
	// 203.0.113.7 and the user agent hit EX01 and EX02; the web shell and
	// the informational scanner IP were seen on one host only.
	ua := hunts(t)[1].Findings[0].Details["user_agent"]
	want := []Correlation{
		{Indicator{"ip", "203.0.113.7"}, []string{"EX01", "EX02"}},
		{Indicator{"user_agent", ua}, []string{"EX01", "EX02"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Correlate(2) (-want +got):\n%s", diff)
	}
	one, err := s.Correlate(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, c := range one {
		kinds[c.Kind]++
		if c.Value == "198.51.100.250" {
			t.Errorf("informational finding's IP was indexed: %+v", c)
		}
	}
	if kinds["sha256"] != 1 || kinds["file_name"] != 1 {
		t.Errorf("Correlate(1) kinds = %v, want the web shell's hash and name", kinds)
	}
}

func testAtomic(t *testing.T, s *Store, _ func() *Store) {
	docs := readDocs(t, "testdata/fleet.jsonl")
	bad := result.Doc{Kind: "bogus", Raw: json.RawMessage(`{}`)}
	if _, err := s.Save(t.Context(), docs[0], bad); !errors.Is(err, result.ErrInvalid) {
		t.Fatalf("Save with a bad document: err = %v, want ErrInvalid", err)
	}
	if r, f := counts(t, s); r != 0 || f != 0 {
		t.Errorf("a failed batch left %d runs and %d findings", r, f)
	}
	if _, err := s.SaveHunt(t.Context(), finding.HostResult{Host: " ", Verdict: finding.NoEvidence}); !errors.Is(err, result.ErrInvalid) {
		t.Errorf("SaveHunt with an empty host: err = %v, want ErrInvalid", err)
	}
}

func testReopen(t *testing.T, s *Store, reopen func() *Store) {
	sv, err := s.SaveHunt(t.Context(), hunts(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2 := reopen() // migrations run again: a no-op
	got, _, err := s2.HuntResult(t.Context(), sv.ID)
	if err != nil || got.Host != "EX01" {
		t.Errorf("after reopen: %v, %v", got.Host, err)
	}
}

func testConcurrent(t *testing.T, s *Store, _ func() *Store) {
	base := hunts(t)[1]
	const workers, each = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				h := base
				// Workers overlap: worker w saves runs w..w+each-1.
				h.Finished = base.Finished.Add(time.Duration(w+i) * time.Minute)
				if _, err := s.SaveHunt(t.Context(), h); err != nil {
					errs <- fmt.Errorf("worker %d run %d: %w", w, i, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if r, f := counts(t, s); r != workers+each-1 || f != workers+each-1 {
		t.Errorf("counts = %d runs %d findings, want %d each", r, f, workers+each-1)
	}
}

func testHostileStrings(t *testing.T, s *Store, _ func() *Store) {
	h := finding.HostResult{Host: "EX\x00<script>", Verdict: finding.ExploitationAttempted, Findings: []finding.Finding{{
		Rule: "r", Severity: finding.High, Outcome: finding.Attempted, Source: "a\x00b\xff.log", Line: 1,
		Evidence: "GET /\x00\xfe\xff <script>alert(1)</script>", Details: map[string]string{"client_ip": "1.2.3.4\x00"},
	}}}
	sv, err := s.SaveHunt(t.Context(), h)
	if err != nil {
		t.Fatalf("SaveHunt with NUL and invalid UTF-8: %v", err)
	}
	got, _, err := s.HuntResult(t.Context(), sv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.Findings[0].Evidence, "<script>alert(1)</script>") || got.Host != h.Host {
		t.Errorf("hostile strings read back as %q / %q", got.Host, got.Findings[0].Evidence)
	}
}

func testNotFound(t *testing.T, s *Store, _ func() *Store) {
	if _, _, err := s.LatestHunt(t.Context(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("LatestHunt(nope) err = %v", err)
	}
	if _, _, err := s.Doc(t.Context(), "00"); !errors.Is(err, ErrNotFound) {
		t.Errorf("result.Doc(00) err = %v", err)
	}
}

func testLatestScan(t *testing.T, s *Store, _ func() *Store) {
	if _, err := s.Save(t.Context(), readDocs(t, "testdata/scan.jsonl")...); err != nil {
		t.Fatal(err)
	}
	sr, run, err := s.LatestScan(t.Context(), "EX01")
	if err != nil || sr.Target != "https://ex01:443" || run.Kind != result.Scan {
		t.Errorf("LatestScan(EX01) = %+v, %+v, %v", sr, run, err)
	}
	if _, _, err := s.LatestScan(t.Context(), "EX02"); !errors.Is(err, ErrNotFound) {
		t.Errorf("LatestScan(EX02) err = %v, want ErrNotFound", err)
	}
}
