package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/finding"
)

// TestHuntExample runs the README quick start on the bundled example server
// and checks every log and event-log finding examples/evidence/EXPECTED.md
// lists, with its outcome, the web shell → process story, plus the
// verdict, host, build and coverage gaps.
func TestHuntExample(t *testing.T) {
	code, out, errs := cli(t, "", "hunt", "--format", "json", "../../examples/evidence")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, errs)
	}
	var r finding.HostResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not one JSON object: %v", err)
	}
	if r.Host != "EXCH01" || r.Verdict != finding.Compromised || r.Build != "15.1.2176.2" {
		t.Errorf("host %q verdict %q build %q", r.Host, r.Verdict, r.Build)
	}
	got := map[string]finding.Finding{}
	for _, f := range r.Findings {
		got[fmt.Sprintf("%s:%d:%s", f.Source, f.Line, f.Title)] = f
	}
	rows := expectedRows(t, "../../examples/evidence/EXPECTED.md", "Log rule hits")
	if len(rows) < 70 {
		t.Fatalf("only %d expected rows parsed", len(rows))
	}
	events := expectedRows(t, "../../examples/evidence/EXPECTED.md", "Event log rule hits")
	if len(events) < 7 {
		t.Fatalf("only %d expected event rows parsed", len(events))
	}
	// The event-log table is complete: benign events stay silent.
	listed := map[string]bool{}
	for _, row := range events {
		listed[row.key] = true
	}
	for key, f := range got {
		if f.Kind == finding.KindEvent && !listed[key] {
			t.Errorf("event finding %s is not in EXPECTED.md", key)
		}
	}
	rows = append(rows, events...)
	for _, row := range rows {
		f, ok := got[row.key]
		if !ok {
			t.Errorf("missing finding %s", row.key)
			continue
		}
		switch {
		case strings.HasPrefix(row.outcome, "succeeded") && f.Outcome != finding.Succeeded,
			strings.HasPrefix(row.outcome, "attempted") && f.Outcome != finding.Attempted,
			strings.HasPrefix(row.outcome, "n/a") && f.Outcome == finding.Succeeded:
			t.Errorf("%s: outcome %s, want %s", row.key, f.Outcome, row.outcome)
		}
	}
	// The web shell file, the request to it and the process it started
	// read as one story: the w3wp → cmd whoami event points back at the
	// request a second before it.
	var whoami *finding.Finding
	for i, f := range r.Findings {
		if f.Kind == finding.KindEvent && f.Details["command_line"] == `"cmd" /c whoami` {
			whoami = &r.Findings[i]
		}
	}
	switch {
	case whoami == nil:
		t.Error(`no event finding for the w3wp → "cmd" /c whoami process`)
	case !slices.ContainsFunc(whoami.Related, func(ref finding.Ref) bool {
		return strings.HasPrefix(ref.Note, "1s before: ") && strings.Contains(ref.Note, "/aspnet_client/system_web/Xk3pQz8a.aspx")
	}):
		t.Errorf("w3wp → cmd /c whoami not tied to the web-shell request: %+v", whoami.Related)
	}
	gaps := 0
	for _, c := range r.Coverage {
		if c.Source == "iis" {
			gaps = len(c.Gaps)
		}
	}
	if gaps != 3 {
		t.Errorf("iis coverage gaps: %d, want 3", gaps)
	}
	if len(r.Evidence) < 25 {
		t.Errorf("only %d files hashed", len(r.Evidence))
	}
	// The text report leads with the verdict.
	_, text, _ := cli(t, "", "hunt", "../../examples/evidence")
	if !strings.HasPrefix(text, "EXCH01: COMPROMISED\n") || !strings.Contains(text, "Next steps") {
		t.Errorf("text report starts %q", text[:min(len(text), 200)])
	}
}

type expectedRow struct{ key, outcome string }

// expectedRows reads the table under "## section" of EXPECTED.md
// ("Log rule hits", "Event log rule hits"): time, source, line or record,
// rule title, expected outcome.
func expectedRows(t *testing.T, path, section string) []expectedRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []expectedRow
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = strings.TrimSpace(line) == "## "+section
			continue
		}
		cells := strings.Split(line, "|")
		if !in || len(cells) < 7 {
			continue
		}
		src := strings.Trim(strings.TrimSpace(cells[2]), "`")
		n, err := strconv.Atoi(strings.TrimSpace(cells[3]))
		if err != nil {
			continue // header or separator
		}
		rows = append(rows, expectedRow{fmt.Sprintf("%s:%d:%s", src, n, strings.TrimSpace(cells[4])), strings.TrimSpace(cells[5])})
	}
	return rows
}

func TestHuntCLIErrors(t *testing.T) {
	test := func(name string, args []string, exit int, errHas string) {
		t.Helper()
		code, _, errs := cli(t, "", args...)
		if code != exit || !strings.Contains(errs, errHas) {
			t.Errorf("%s: exit %d (want %d), stderr %q (want %q)", name, code, exit, errs, errHas)
		}
	}
	test("missing path", []string{"hunt", "/nonexistent/evidence"}, 2, "no such file")
	test("nothing to hunt", []string{"hunt", t.TempDir()}, 2, "no logs")
	test("bad fail-on", []string{"hunt", "--fail-on", "severe", "../../examples/evidence"}, 2, "unknown severity")
	test("bad format", []string{"hunt", "--format", "xml", "../../examples/evidence"}, 2, "unknown --format")
	test("host with two paths", []string{"hunt", "--host", "X", "a", "b"}, 2, "one PATH")
	test("rules folder missing", []string{"hunt", "--rules", "/nonexistent", "../../examples/evidence"}, 2, "rules:")
	test("fail-on critical still finds", []string{"hunt", "--fail-on", "critical", "../../examples/evidence"}, 1, "")
}

// A hunt is recorded in the result database by default and can be
// reported from it; --no-store leaves the database alone.
func TestHuntRecordsAndReports(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	if code, _, errs := cli(t, "", "hunt", "--db", db, "--no-store", "../../examples/evidence"); code != 1 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, err := os.Stat(db); err == nil {
		t.Fatal("--no-store created the database")
	}
	if code, _, errs := cli(t, "", "hunt", "--db", db, "../../examples/evidence"); code != 1 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	html := filepath.Join(t.TempDir(), "r.html")
	if code, _, errs := cli(t, "", "report", "--db", db, "EXCH01", "--html", html); code > 1 {
		t.Fatalf("report exit %d: %s", code, errs)
	}
	b, err := os.ReadFile(html)
	if err != nil || !strings.Contains(string(b), "EXCH01") || !strings.Contains(strings.ToLower(string(b)), "compromised") {
		t.Errorf("report: %v %d bytes", err, len(b))
	}
	if code, _, errs := cli(t, "", "hunt", "--upload", "http://127.0.0.1:1/api/v1/results", "../../examples/evidence"); code != 2 || !strings.Contains(errs, "--token") {
		t.Errorf("upload without token: exit %d %s", code, errs)
	}
}
