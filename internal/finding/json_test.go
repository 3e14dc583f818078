package finding

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// WriteJSON writes what json.Marshal and json.Indent write, findings
// streamed or not: one result, several, none, and attacker text that
// looks like the key it splices at.
func TestWriteJSONMatchesMarshal(t *testing.T) {
	f := func(ev string) Finding {
		return Finding{Rule: "r", Title: "t <b>&", Severity: High, CVEs: []string{"CVE-2021-26855"}, Outcome: Succeeded,
			Time: time.Date(2021, 3, 3, 1, 2, 3, 0, time.UTC), Source: "u_ex.log", Line: 7, Evidence: ev,
			Details: map[string]string{"query": `"findings":null`, "url": "/x"}}
	}
	one := HostResult{Host: "EXCH01", Verdict: Compromised, Findings: []Finding{f(`a "findings":null b`), f("\x1b]0;x\x07")},
		NotExamined: []Unexamined{}, Coverage: []Coverage{{Source: "iis"}}}
	empty := HostResult{Host: "B", Findings: []Finding{}, NotExamined: []Unexamined{}}
	test := func(name string, rs []HostResult, array, indent bool) {
		t.Helper()
		var v any = rs
		if !array {
			v = rs[0]
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if indent {
			var b bytes.Buffer
			json.Indent(&b, want, "", "  ")
			want = b.Bytes()
		}
		want = append(want, '\n')
		var got bytes.Buffer
		if err := WriteJSON(&got, rs, array, indent); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s:\ngot  %s\nwant %s", name, got.Bytes(), want)
		}
	}
	test("one", []HostResult{one}, false, true)
	test("one compact", []HostResult{one}, false, false)
	test("empty findings", []HostResult{empty}, false, true)
	test("array", []HostResult{one, empty, one}, true, true)
	test("array of one", []HostResult{empty}, true, true)
	test("no results", []HostResult{}, true, true)
}
