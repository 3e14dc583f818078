package main

import (
	"encoding/json"
	"os"
	"path/filepath"
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
