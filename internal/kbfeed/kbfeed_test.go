package kbfeed

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/exchange"
)

// feedServer serves the recorded documents of testdata (see SOURCES.md)
// on a loopback address as CISA's and the CVE Services' URLs would: the
// KEV catalog at /kev.json, records at /api/cve/<id>; 404 for the rest.
func feedServer(t *testing.T) (*httptest.Server, *int) {
	t.Helper()
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		var path string
		switch {
		case r.URL.Path == "/kev.json":
			path = "testdata/kev-excerpt.json"
		case r.URL.Path == "/api/cve/CVE-2026-69641":
			path = "testdata/cve/CVE-2026-69641.truncated.json"
		case strings.HasPrefix(r.URL.Path, "/api/cve/"):
			path = filepath.Join("testdata/cve", filepath.Base(r.URL.Path)+".json")
		}
		data, err := os.ReadFile(path)
		if path == "" || err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func embeddedKB(t *testing.T) *exchange.KB {
	t.Helper()
	kb, err := exchange.Default()
	if err != nil {
		t.Fatal(err)
	}
	return kb
}

func TestParseCVERecord(t *testing.T) {
	data, _ := os.ReadFile("testdata/cve/CVE-2026-96940.json")
	got, notes, err := ParseCVERecord(data)
	if err != nil || len(notes) != 0 {
		t.Fatalf("err %v notes %v", err, notes)
	}
	var lines []string
	for _, a := range got {
		lines = append(lines, a.Product+" "+a.CU+" "+a.Build.String())
	}
	slices.Sort(lines)
	want := []string{"Exchange Server 2016 CU23 15.1.2507.75", "Exchange Server 2019 CU14 15.2.1544.48", "Exchange Server 2019 CU15 15.2.1748.53", "Exchange Server SE RTM 15.2.2562.53"}
	if !slices.Equal(lines, want) {
		t.Errorf("got %v\nwant %v", lines, want)
	}
	if got[0].Published.Format(time.DateOnly) != "2026-10-02" {
		t.Errorf("published %v", got[0].Published)
	}
	// "N/A" with no lessThan: affected, no fixed build.
	data, _ = os.ReadFile("testdata/cve/CVE-2024-21410.json")
	got, _, _ = ParseCVERecord(data)
	if len(got) != 3 || !got[0].NoBuild || got[0].CU != "CU23" || got[1].Build.String() != "15.2.1544.4" {
		t.Errorf("21410: %+v", got)
	}
	// The record whose 2019 CU1 statement names a 2016 build: noted, not used.
	data, _ = os.ReadFile("testdata/cve/CVE-2021-26858.json")
	got, notes, _ = ParseCVERecord(data)
	if len(got) != 23 || len(notes) != 1 || !strings.Contains(notes[0], "2019 CU1") || !strings.Contains(notes[0], "Exchange Server 2016") {
		t.Errorf("26858: %d lines, notes %v", len(got), notes)
	}
	// The malformed one, and documents that are not Microsoft CVE records.
	data, _ = os.ReadFile("testdata/cve/CVE-2026-69641.truncated.json")
	for name, doc := range map[string][]byte{"truncated": data, "kev": mustRead(t, "testdata/kev-excerpt.json"), "empty": nil, "not json": []byte("<html>")} {
		if _, _, err := ParseCVERecord(doc); !errors.Is(err, ErrDocument) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestExchangeLine(t *testing.T) {
	for in, want := range map[string]string{
		"Microsoft Exchange Server 2019 Cumulative Update 14":                "Exchange Server 2019/CU14",
		"Microsoft Exchange Server Subscription Edition RTM":                 "Exchange Server SE/RTM",
		"Microsoft Exchange Server 2019":                                     "Exchange Server 2019/RTM",
		"Microsoft Exchange Server 2013 Service Pack 1":                      "Exchange Server 2013/SP1",
		"Microsoft Exchange Server 2010 Service Pack 3 Update Rollup 31":     "Exchange Server 2010/SP3 RU31",
		"Microsoft Exchange Server 2010 Service Pack 3":                      "Exchange Server 2010/SP3",
		"Microsoft SharePoint Server 2019":                                   "",
		"Microsoft Exchange Server 2016 Cumulative Update 23 for x64 (evil)": "",
	} {
		p, cu, ok := exchangeLine(in)
		got := ""
		if ok {
			got = p + "/" + cu
		}
		if got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestParseKEV(t *testing.T) {
	c, err := ParseKEV(mustRead(t, "testdata/kev-excerpt.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != "2025.02.25" || len(c.Exchange) != 4 {
		t.Fatalf("%s %d: %+v", c.Version, len(c.Exchange), c.Exchange)
	}
	for _, e := range c.Exchange {
		if e.CVE == "CVE-2024-49035" || e.CVE == "CVE-2025-21418" {
			t.Errorf("non-Exchange Microsoft entry kept: %s", e.CVE)
		}
		if e.CVE == "CVE-2021-42321" && (e.Ransomware != "Known" || e.DateAdded != "2021-11-17") {
			t.Errorf("%+v", e)
		}
	}
	if _, err := ParseKEV(mustRead(t, "testdata/cve/CVE-2026-96940.json")); !errors.Is(err, ErrDocument) {
		t.Errorf("a CVE record is not a KEV catalog: %v", err)
	}
}

// The whole update against a loopback server holding the recorded
// documents: the contradicting record is reported and does not overwrite,
// the malformed one is skipped, what is new is added and saved.
func TestUpdateFromLoopbackFeeds(t *testing.T) {
	srv, hits := feedServer(t)
	base := embeddedKB(t).Clone()
	// Make the base older than the feeds: drop CVE-2026-96940 and the
	// Sep26SUv2 builds it names, and one KEV entry.
	base.Fixes = slices.DeleteFunc(base.Fixes, func(f exchange.Fix) bool { return f.CVE == "CVE-2026-96940" })
	base.Releases = slices.DeleteFunc(base.Releases, func(r exchange.Release) bool { return r.Name == "Sep26SUv2" })
	delete(base.KEV, "CVE-2021-42321")
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	res, err := Update(context.Background(), base, Source{KEVURL: srv.URL + "/kev.json", CVEURL: srv.URL + "/api/cve/%s"}, []string{"CVE-2026-69641", "cve-2026-96940"}, now)
	if err != nil {
		t.Fatal(err)
	}
	rep := res.Report
	if rep.Documents != 4 { // KEV + 3 good records
		t.Errorf("documents %d\n%s", rep.Documents, rep.Summary())
	}
	if *hits < 140 {
		t.Errorf("only %d requests: the update should ask for every Exchange CVE it knows", *hits)
	}
	// Contradictions: CU4 and CU6 of CVE-2021-26858, kept as Microsoft's build table has them.
	joined := strings.Join(rep.Contradictions, "\n")
	for _, want := range []string{
		"CVE-2021-26858 Exchange Server 2019 CU4: Microsoft's record says fixed in 15.2.659.12, the knowledge in use says 15.2.529.13 (Mar21SU); kept",
		"CVE-2021-26858 Exchange Server 2019 CU6: Microsoft's record says fixed in 15.2.529.13, the knowledge in use says 15.2.659.12 (Mar21SU); kept",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("contradiction missing: %q\nin:\n%s", want, joined)
		}
	}
	if len(rep.Contradictions) != 2 {
		t.Errorf("contradictions %v", rep.Contradictions)
	}
	for _, f := range res.KB.Fixes {
		if f.CVE == "CVE-2021-26858" && f.CU == "CU4" && f.Product == "Exchange Server 2019" && f.Build.String() != "15.2.529.13" {
			t.Errorf("contradicting record overwrote the knowledge: %+v", f)
		}
	}
	// The truncated record is skipped, named, with the reason.
	if !slices.ContainsFunc(rep.Skipped, func(s string) bool {
		return strings.Contains(s, "CVE-2026-69641") && strings.Contains(s, "malformed document")
	}) {
		t.Errorf("truncated record not reported: %v", rep.Skipped)
	}
	// New: CVE-2026-96940 with its four fixed builds, and the KEV entry.
	if !slices.Equal(rep.NewCVEs, []string{"CVE-2026-96940"}) || rep.NewFixes != 4 || len(rep.NewBuilds) != 4 {
		t.Errorf("new cves %v fixes %d builds %v", rep.NewCVEs, rep.NewFixes, rep.NewBuilds)
	}
	if !slices.Equal(rep.NewKEV, []string{"CVE-2021-42321"}) {
		t.Errorf("new kev %v", rep.NewKEV)
	}
	// The merged knowledge judges the new builds, and round-trips through disk.
	dir := filepath.Join(t.TempDir(), "kb")
	if err := res.KB.Save(dir, now, res.Sources); err != nil {
		t.Fatal(err)
	}
	kb, err := exchange.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !kb.Updated.Equal(now) || len(kb.Fixes) != len(res.KB.Fixes) || len(kb.KEV) != len(res.KB.KEV) {
		t.Errorf("saved: updated %v, %d/%d fixes, %d/%d kev", kb.Updated, len(kb.Fixes), len(res.KB.Fixes), len(kb.KEV), len(res.KB.KEV))
	}
	kb.Now = func() time.Time { return now }
	before, _ := kb.Assess("15.2.2562.49")
	after, _ := kb.Assess("15.2.2562.53")
	if !slices.Contains(before.CVEs, "CVE-2026-96940") || slices.Contains(after.CVEs, "CVE-2026-96940") || !after.Known {
		t.Errorf("SE Sep26SU %v; SE .53 known=%v %v", before.CVEs, after.Known, after.CVEs)
	}
	if !strings.Contains(after.Update, "Oct26SU") {
		t.Errorf("derived name %q", after.Update)
	}
	k, _ := kb.Assess("15.1.2375.12")
	if !k.ExposedKEV() || !slices.ContainsFunc(k.KEVCVEs, func(e exchange.KEVEntry) bool { return e.CVE == "CVE-2021-42321" && e.Ransomware == "Known" }) {
		t.Errorf("KEV entry from the feed not used: %+v", k.KEVCVEs)
	}
}

// --from reads the same documents from a folder, offline.
func TestUpdateFromFolder(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "cve"), 0o755)
	for _, f := range []string{"CVE-2026-96940.json", "CVE-2021-26858.json", "CVE-2026-69641.truncated.json"} {
		os.WriteFile(filepath.Join(dir, "cve", f), mustRead(t, "testdata/cve/"+f), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "kev.json"), mustRead(t, "testdata/kev-excerpt.json"), 0o644)
	res, err := Update(context.Background(), embeddedKB(t), Source{Dir: dir}, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Documents != 3 || len(res.Report.Skipped) != 1 || len(res.Report.Contradictions) != 2 || res.Report.NewFixes != 0 {
		t.Errorf("%s", res.Report.Summary())
	}
	// Nothing readable: an error, not an empty knowledge base.
	if _, err := Update(context.Background(), embeddedKB(t), Source{Dir: t.TempDir()}, nil, time.Now()); err == nil {
		t.Error("empty folder: no error")
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func FuzzParseCVERecord(f *testing.F) {
	for _, p := range []string{"testdata/cve/CVE-2026-96940.json", "testdata/cve/CVE-2024-21410.json", "testdata/cve/CVE-2026-69641.truncated.json"} {
		data, _ := os.ReadFile(p)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, _, err := ParseCVERecord(data)
		if err != nil && !errors.Is(err, ErrDocument) {
			t.Fatalf("error does not wrap ErrDocument: %v", err)
		}
		for _, a := range got {
			if !a.NoBuild && !a.Build.HasRevision() {
				t.Fatalf("fixed build without four parts: %+v", a)
			}
		}
	})
}

func FuzzParseKEV(f *testing.F) {
	data, _ := os.ReadFile("testdata/kev-excerpt.json")
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ParseKEV(data); err != nil && !errors.Is(err, ErrDocument) {
			t.Fatalf("error does not wrap ErrDocument: %v", err)
		}
	})
}
