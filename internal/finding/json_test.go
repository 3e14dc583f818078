package finding

import (
	"bytes"
	"encoding/json"
	"reflect"
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

// WriteJSON's evidence list, encoded without reflection, is what
// json.Marshal and json.Indent write, on hostile paths too, in a single
// result, an array and jsonl.
func TestWriteJSONEvidence(t *testing.T) {
	if n := reflect.TypeFor[FileHash]().NumField(); n != 4 {
		t.Fatalf("FileHash has %d fields: appendFileHash writes 4, teach it the new one", n)
	}
	paths := []string{"inetpub/logs/LogFiles/W3SVC1/u_ex210302.log", `a"b\c`, "<script>&amp;", "line\nbreak\r\t", "\x1b]0;title\x07",
		"bad\xff\xfeutf8", "sep\u2028\u2029", "del\x7f", "Ünïcödé/файл.aspx", "", "\x00exhunt evidence list"}
	var ev []FileHash
	for i, p := range paths {
		h := FileHash{Path: p, Size: int64(i * 1000003), SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}
		if i%3 != 0 {
			h.MTime = time.Date(2021, 3, 3, 1, 2, 3, i*1234567, time.FixedZone("x", i*3600))
		}
		ev = append(ev, h)
	}
	one := HostResult{Host: "EXCH01", Verdict: Compromised, Evidence: ev, NotExamined: []Unexamined{},
		Findings: []Finding{{Rule: "r", Title: "t", Severity: High, Source: "u_ex.log", Line: 7}}}
	none := HostResult{Host: "B", Findings: []Finding{}, NotExamined: []Unexamined{}, Evidence: ev[:1]}
	for _, c := range []struct {
		name          string
		rs            []HostResult
		array, indent bool
	}{{"one", []HostResult{one}, false, true}, {"compact", []HostResult{one}, false, false},
		{"array", []HostResult{none, one}, true, true}, {"no findings", []HostResult{none}, false, true}} {
		var v any = c.rs
		if !c.array {
			v = c.rs[0]
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if c.indent {
			var b bytes.Buffer
			json.Indent(&b, want, "", "  ")
			want = b.Bytes()
		}
		want = append(want, '\n')
		var got bytes.Buffer
		if err := WriteJSON(&got, c.rs, c.array, c.indent); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s:\ngot  %s\nwant %s", c.name, got.Bytes(), want)
		}
	}
}
