package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/report"
)

// export --scans lists the newest scan of every target, with KEV CVEs and
// found web shells, and defuses spreadsheet formulas in CSV.
func TestExportScans(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "scans.db")
	first := filepath.Join(dir, "first.jsonl")
	os.WriteFile(first, []byte(`{"target":"ex01.corp","ip":"10.0.0.1","port":443,"exchange":true,"build":"15.1.2176.2","product":"Exchange Server 2016",`+
		`"cves":["CVE-2021-26855","CVE-2023-21529"],"webshells":[{"path":"/aspnet_client/a.aspx","status":"found","http_status":200,"evidence":"x"},`+
		`{"path":"/owa/auth/b.aspx","status":"inconclusive","http_status":500,"evidence":"y"}],"error":""}
{"target":"=HYPERLINK(\"http://evil\")","ip":"","port":443,"exchange":false,"error":"connect: refused"}
`), 0o600)
	second := filepath.Join(dir, "second.jsonl")
	os.WriteFile(second, []byte(`{"target":"ex01.corp","ip":"10.0.0.1","port":443,"exchange":true,"build":"15.1.2507.72","cves":[],"error":""}
`), 0o600)

	rows := func() []report.ScanRow {
		t.Helper()
		code, out, errs := cli(t, "", "export", "--scans", "--db", db)
		if code != 0 {
			t.Fatalf("export --scans: exit %d %s", code, errs)
		}
		var rs []report.ScanRow
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var r report.ScanRow
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			rs = append(rs, r)
		}
		return rs
	}
	if code, _, errs := cli(t, "", "import", "--db", db, first); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	rs := rows()
	if len(rs) != 2 {
		t.Fatalf("%d rows, want 2: %+v", len(rs), rs)
	}
	hostile, ex01 := rs[0], rs[1]
	if ex01.Target != "ex01.corp" || ex01.Port != 443 || ex01.ExchangeState != "exchange" || ex01.Build != "15.1.2176.2" ||
		strings.Join(ex01.CVEs, " ") != "CVE-2021-26855 CVE-2023-21529" || strings.Join(ex01.KEVCVEs, " ") != "CVE-2021-26855" ||
		strings.Join(ex01.WebShells, " ") != "/aspnet_client/a.aspx" || ex01.ScannedAt.IsZero() {
		t.Errorf("ex01 = %+v", ex01)
	}
	if hostile.ExchangeState != "unreachable" || hostile.Error != "connect: refused" || len(hostile.KEVCVEs) != 0 {
		t.Errorf("unreachable target = %+v", hostile)
	}
	// A newer scan of ex01 replaces it in the list.
	if code, _, errs := cli(t, "", "import", "--db", db, second); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	rs = rows()
	if len(rs) != 2 || rs[1].Build != "15.1.2507.72" || len(rs[1].CVEs) != 0 || len(rs[1].WebShells) != 0 || !rs[1].ScannedAt.After(ex01.ScannedAt) {
		t.Errorf("after a newer scan: %+v", rs)
	}
	code, out, _ := cli(t, "", "export", "--scans", "--format", "csv", "--db", db)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "target,port,ip,exchange_state,build,product,cves,kev_cves,webshells,scanned_at") ||
		!strings.HasPrefix(lines[1], `"'=HYPERLINK(""http://evil"")",443,,unreachable`) || !strings.HasPrefix(lines[2], "ex01.corp,443,10.0.0.1,exchange,15.1.2507.72") {
		t.Errorf("csv: exit %d\n%s", code, out)
	}
	if code, _, errs := cli(t, "", "export", "--scans", "--format", "sarif", "--db", db); code != 2 || !strings.Contains(errs, "want jsonl or csv") {
		t.Errorf("--scans --format sarif: exit %d %s", code, errs)
	}
	if code, _, _ := cli(t, "", "export", "--scans", "EX01", "--db", db); code != 2 {
		t.Errorf("--scans with a host: exit %d, want 2", code)
	}
}

// The notification list keeps the scan's three states, its look-alike flag
// and its exposure verdict (issue 17 audit): recorded real answers scanned
// through the CLI, stored, exported. Before, the unidentified decoy and the
// two OWA look-alikes all came out as a bare "not-exchange" and nothing said
// which host was exposed.
func TestExportScansStates(t *testing.T) {
	f5 := emulated(t, "recorded/ex2019cu14-activesync-f5")
	honeypot := emulated(t, "recorded/owa-honeypot")
	decoy := emulated(t, "recorded/decoy-manifest")
	patched := emulated(t, "patched-se")
	db := filepath.Join(t.TempDir(), "scans.db")
	code, _, errs := cli(t, "", "scan", "--db", db, "--host-rate", "0", f5, honeypot, decoy, patched)
	if code != 1 {
		t.Fatalf("scan: exit %d, want 1 (one exposed host): %s", code, errs)
	}
	code, out, errs := cli(t, "", "export", "--scans", "--db", db)
	if code != 0 {
		t.Fatalf("export --scans: exit %d %s", code, errs)
	}
	byTarget := map[string]report.ScanRow{}
	for line := range strings.Lines(out) {
		var r report.ScanRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		byTarget[r.Target] = r
	}
	want := []struct {
		target, state string
		lookalike     bool
		exposed       bool
		exposure      string
	}{
		// 2019 CU14 (15.2.1544.11): CVEs open, and 2019 is past its updates.
		{f5, "exchange", false, true, "exposed"},
		{honeypot, "not-exchange", true, false, "unknown"},
		// a placeholder manifest and nothing else: could not tell.
		{decoy, "unidentified", false, false, "unknown"},
		{patched, "exchange", false, false, "not-exposed"},
	}
	for _, w := range want {
		r, ok := byTarget[w.target]
		if !ok {
			t.Errorf("%s missing from the list:\n%s", w.target, out)
			continue
		}
		if r.ExchangeState != w.state || r.OWALookalike != w.lookalike || r.Exposed != w.exposed || r.Exposure != w.exposure {
			t.Errorf("%s: state %s lookalike %v exposed %v exposure %s, want %+v", w.target, r.ExchangeState, r.OWALookalike, r.Exposed, r.Exposure, w)
		}
	}
	if r := byTarget[f5]; len(r.CVEs) == 0 {
		t.Errorf("exposed host without CVEs: %+v", r)
	}

	// A record from before: the knowledge in use judges its build, and KEV
	// CVEs come from su_dependent_cves too. The unidentified host's build
	// is not judged (the scan reports it without exposure).
	old := filepath.Join(t.TempDir(), "old.jsonl")
	os.WriteFile(old, []byte(`{"target":"old.example","ip":"10.0.0.9","port":443,"exchange":true,"build":"15.1.2176.2","cves":[],"error":""}
{"target":"cu.example","ip":"10.0.0.10","port":443,"exchange":true,"exchange_state":"yes","build":"15.1.2176","cves":[],"su_dependent_cves":["CVE-2021-26855"],"error":""}
{"target":"maybe.example","ip":"10.0.0.11","port":443,"exchange":false,"exchange_state":"unidentified","build":"15.1.2176.2","cves":[],"error":""}
`), 0o600)
	if code, _, errs := cli(t, "", "import", "--db", db, old); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	code, out, _ = cli(t, "", "export", "--scans", "--format", "csv", "--db", db)
	rows := map[string][]string{}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	header := strings.Split(lines[0], ",")
	if code != 0 || strings.Join(header[:12], ",") != "target,port,ip,exchange_state,build,product,cves,kev_cves,webshells,scanned_at,scan_id,error" ||
		strings.Join(header[12:], ",") != "owa_lookalike,exposed,exposure,su_dependent_cves" {
		t.Fatalf("csv header (exit %d): %s", code, lines[0])
	}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		rows[f[0]] = f
	}
	col := func(target, name string) string {
		i := slices.Index(header, name)
		if r, ok := rows[target]; ok && i >= 0 && i < len(r) {
			return r[i]
		}
		return "<missing>"
	}
	for _, c := range []struct{ target, name, want string }{
		{"old.example", "exchange_state", "exchange"},
		{"old.example", "exposed", "true"}, // 2016 CU19 with the Feb 2021 SU: ProxyLogon and more
		{"old.example", "exposure", "exposed"},
		{"cu.example", "exposed", "true"},
		{"cu.example", "kev_cves", "CVE-2021-26855"},
		{"cu.example", "su_dependent_cves", "CVE-2021-26855"},
		{"maybe.example", "exchange_state", "unidentified"},
		{"maybe.example", "exposed", "false"},
		{"maybe.example", "exposure", "unknown"},
		{honeypot, "owa_lookalike", "true"},
	} {
		if got := col(c.target, c.name); got != c.want {
			t.Errorf("csv %s %s = %q, want %q", c.target, c.name, got, c.want)
		}
	}
}
