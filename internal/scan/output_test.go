package scan

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func sampleResults() []*Result {
	return []*Result{
		{Type: "host", Target: "127.0.0.2", IP: "127.0.0.2", Port: 443, Exchange: true, Build: "15.1.2176.2", Precision: "full",
			BuildMethods: []BuildMethod{{Method: MethodManifest, Build: "15.1.2176.2", Precision: "full", Confidence: "medium"}},
			Product:      "Exchange Server 2016", CU: "CU19", Update: "CU19", CVEs: []string{"CVE-2021-26855", "CVE-2021-34473"},
			MissingUpdates: []string{"Mar21SU"}, Active: []Check{{Check: "CVE-2021-26855", Result: Vulnerable, Evidence: "500, X-CalculatedBETarget: localhost"}},
			WebShells: []WebShell{{Path: "/aspnet_client/supp0rt.aspx", Status: "found", Evidence: "200"}},
			TLS:       &TLSInfo{Names: []string{"ex01.corp.local"}, SelfSigned: true}, Exposed: true, WebShelled: true},
		{Type: "host", Target: "=cmd|' /C calc'!A0", IP: "127.0.0.3", Port: 443, Error: "timeout", BuildMethods: []BuildMethod{}, CVEs: []string{}, MissingUpdates: []string{}, Active: []Check{}, WebShells: []WebShell{}},
	}
}

func TestJSONLHasTheContractFields(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(FormatJSONL, &buf)
	for _, r := range sampleResults() {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"target", "ip", "port", "exchange", "build", "build_methods", "product", "cu", "update", "cves", "missing_updates", "active", "webshells", "tls", "error"} {
		if _, ok := m[k]; !ok {
			t.Errorf("jsonl line lacks %q: %s", k, lines[0])
		}
	}
	var back Result
	if err := json.Unmarshal([]byte(lines[0]), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*sampleResults()[0], back, cmpopts.IgnoreUnexported(Result{})); diff != "" {
		t.Errorf("round trip (-want +got)\n%s", diff)
	}
	if !strings.Contains(lines[0], `"active":[{"check":"CVE-2021-26855","result":"vulnerable"`) ||
		!strings.Contains(lines[0], `"tls":{"names":["ex01.corp.local"],"expired":false,"self_signed":true`) {
		t.Errorf("unexpected shapes: %s", lines[0])
	}
}

func TestCSVNeutralisesFormulas(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(FormatCSV, &buf)
	for _, r := range sampleResults() {
		w.Write(r)
	}
	w.Close()
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || !cmp.Equal(rows[0], csvHeader) {
		t.Fatalf("rows = %q", rows)
	}
	if rows[1][9] != "true" || rows[1][12] != "CVE-2021-26855" || rows[1][13] != "/aspnet_client/supp0rt.aspx" {
		t.Errorf("row 1 = %q", rows[1])
	}
	if !strings.HasPrefix(rows[2][0], "'=") {
		t.Errorf("formula cell not neutralised: %q", rows[2][0])
	}
}

func TestTextTable(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(FormatText, &buf)
	for _, r := range sampleResults() {
		w.Write(r)
	}
	w.Close()
	out := buf.String()
	for _, want := range []string{"TARGET", "127.0.0.2:443", "15.1.2176.2", "2016 CU19 ", "VULN 26855", "FOUND 1", "ex01.corp.local", "error: timeout"} {
		if !strings.Contains(out, want) {
			t.Errorf("text table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "CU19 CU19") {
		t.Errorf("a CU's own build is labelled with its CU twice:\n%s", out)
	}
	for _, c := range [][4]string{
		{"Exchange Server 2016", "CU19", "CU19", "2016 CU19"},
		{"Exchange Server 2016", "CU19", "Mar21SU", "2016 CU19 Mar21SU"},
		{"Exchange Server 2019", "CU14", "", "2019 CU14"},
		{"Exchange Server 2010", "SP3", "", "2010 SP3"},
	} {
		if got := releaseLabel(c[0], c[1], c[2]); got != c[3] {
			t.Errorf("releaseLabel(%q, %q, %q) = %q, want %q", c[0], c[1], c[2], got, c[3])
		}
	}
	var sb strings.Builder
	WriteSummary(&sb, Summary{Scanned: 3, Seconds: 1, HostsPerS: 3, Responding: 2, Exchange: 1, Exposed: 1, WebShelled: 1, Errors: 1, Unidentified: 1})
	if want := "exhunt scan: 3 targets in 1.0s (3.0 hosts/s): 2 responding, 1 Exchange, 1 exposed, 1 web-shelled, 1 errors, 1 unidentified, 0 OWA look-alikes\n"; sb.String() != want {
		t.Errorf("summary = %q, want %q", sb.String(), want)
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml) accepted")
	}
}
