package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	fleetFile = "../../internal/store/testdata/fleet.jsonl"
	scanFile  = "../../internal/store/testdata/scan.jsonl"
)

// TestStoreCLI drives import, report and export in-process against a
// SQLite database in a temporary folder.
func TestStoreCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "exhunt.db")
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"host":"EX07","verdict":"no-evidence"}`+"\n"+`{"host":"EX08","verdict":"owned"}`+"\n"), 0o644)
	html := filepath.Join(dir, "out", "ex01.html")
	os.Mkdir(filepath.Dir(html), 0o755)
	test := func(name string, exit int, outHas, errHas string, args ...string) string {
		t.Helper()
		code, out, errs := cli(t, "", args...)
		if code != exit {
			t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", name, code, exit, out, errs)
		}
		if !strings.Contains(out, outHas) || !strings.Contains(errs, errHas) {
			t.Errorf("%s: stdout %q lacks %q or stderr %q lacks %q", name, out, outHas, errs, errHas)
		}
		return out
	}
	test("import", 0, "fleet.jsonl: 3 results, 3 new, 0 already stored", "", "import", "--db", db, fleetFile, scanFile)
	test("import again", 0, "fleet.jsonl: 3 results, 0 new, 3 already stored", "", "import", "--db", db, fleetFile)
	test("import bad", 2, "", `document 2: result: invalid: hunt result for EX08: unknown verdict "owned"`, "import", "--db", db, bad)
	schemaBad := filepath.Join(dir, "schema-bad.jsonl")
	os.WriteFile(schemaBad, []byte(`{"host":"EX07","verdict":"no-evidence"}`+"\n"+
		`{"host":"EX09","verdict":"compromised","coverage":[],"findings":[{"rule":"r","severity":"severe"}]}`+"\n"), 0o644)
	test("import severity severe", 2, "", `document 2: result: invalid: hunt result for EX09: /findings/0/severity: "severe" is not one of informational, low, medium, high, critical`, "import", "--db", db, schemaBad)
	os.WriteFile(schemaBad, []byte(`{"host":"EX09","verdict":"compromised","findings":[{"title":"t","severity":"high"}]}`), 0o644)
	test("import finding without rule", 2, "", `hunt result for EX09: /findings/0: required property "rule" is missing`, "import", "--db", db, schemaBad)
	os.WriteFile(schemaBad, []byte(`{"target":"ex09:443","webshells":[{"path":"/aspnet_client/a.aspx","status":200,"evidence":"","http_status":200}]}`), 0o644)
	test("import webshell status an int", 2, "", `scan result for ex09:443: /webshells/0/status: 200 is not of type string`, "import", "--db", db, schemaBad)
	test("import missing", 2, "", "no such file", "import", "--db", db, filepath.Join(dir, "nope.json"))
	test("report EX07 not stored", 2, "", `no hunt or scan result for host "EX07"`, "report", "--db", db, "EX07", "--html", html)
	test("report needs host", 2, "", "name at least one HOST, or use --all", "report", "--db", db, "--html", html)
	test("report needs --html", 2, "", "--html FILE is required", "report", "--db", db, "EX01")
	test("report", 0, "", "", "report", "--db", db, "ex01", "--html", html)
	page, err := os.ReadFile(html)
	if err != nil || !strings.Contains(string(page), `<strong>compromised</strong>`) || !strings.Contains(string(page), "from network scan") {
		t.Errorf("report file: %v, compromised banner and scan build expected", err)
	}
	all := test("report --all", 0, "<h2>ex04.corp.example</h2>", "", "report", "--db", db, "--all", "--html", "-")
	if strings.Count(all, `<section class="host"`) != 4 {
		t.Errorf("report --all has %d host sections, want 4", strings.Count(all, `<section class="host"`))
	}
	sarif := test("export sarif", 0, `"version": "2.1.0"`, "", "export", "--db", db, "--format", "sarif")
	var log struct{ Runs []json.RawMessage }
	if json.Unmarshal([]byte(sarif), &log) != nil || len(log.Runs) != 4 {
		t.Errorf("export sarif: %d runs, want 4", len(log.Runs))
	}
	test("export one host csv", 0, "EX02,exploitation-attempted", "", "export", "--db", db, "EX02", "-f", "csv")
	test("export from file", 0, `"host":{"name":"EX02"}`, "", "export", "--from", fleetFile, "--format", "jsonl")
	test("export stix to file", 0, "", "", "export", "--db", db, "--format", "stix", "-o", filepath.Join(dir, "stix.json"))
	test("export bad format", 2, "", "unknown --format", "export", "--db", db, "--format", "xml")
	test("export html refused", 2, "", "for HTML use exhunt report", "export", "--db", db, "--format", "html")
	test("from with host", 2, "", "give no HOST", "export", "--from", fleetFile, "EX01")
}

func TestServeCLI(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "tokens")
	os.WriteFile(short, []byte("# tokens\nshort\n"), 0o600)
	t.Setenv("EXHUNT_TOKEN", "")
	test := func(name string, exit int, errHas string, args ...string) {
		t.Helper()
		code, out, errs := cli(t, "", args...)
		if code != exit || !strings.Contains(errs, errHas) {
			t.Errorf("%s: exit %d (want %d), stderr %q lacks %q; stdout %q", name, code, exit, errs, errHas, out)
		}
	}
	test("short token", 2, "shorter than 16 characters", "serve", "--db", filepath.Join(dir, "a.db"), "--token-file", short)
	test("missing token file", 2, "--token-file", "serve", "--db", filepath.Join(dir, "a.db"), "--token-file", filepath.Join(dir, "nope"))
	test("bad max body", 2, "--max-body must be positive", "serve", "--db", filepath.Join(dir, "a.db"), "--max-body", "0")
	test("args refused", 2, "unknown command", "serve", "extra")
}

func TestReadTokens(t *testing.T) {
	f := filepath.Join(t.TempDir(), "tokens")
	os.WriteFile(f, []byte("# fleet tokens\n0123456789abcdef\n\n  fedcba9876543210  \n"), 0o600)
	t.Setenv("EXHUNT_TOKEN", "env-token-0123456789")
	got, err := readTokens(f)
	if err != nil || strings.Join(got, ",") != "env-token-0123456789,0123456789abcdef,fedcba9876543210" {
		t.Errorf("readTokens = %q, %v", got, err)
	}
}
