package result

import (
	"errors"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/finding"
)

func TestReadResults(t *testing.T) {
	hunt := `{"host":"EX01","verdict":"compromised","coverage":[],"findings":[{"rule":"r","severity":"high","outcome":"succeeded"}]}`
	scan := `{"target":"ex01:443","exchange":true,"cves":["CVE-2021-26855"]}`
	test := func(name, in string, wantKinds string, wantErr string) {
		t.Helper()
		var kinds []string
		err := ReadResults(strings.NewReader(in), func(d Doc) error {
			kinds = append(kinds, string(d.Kind))
			return nil
		})
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%s: unexpected error %v", name, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr) || !errors.Is(err, ErrInvalid)):
			t.Errorf("%s: err = %v, want ErrInvalid containing %q", name, err, wantErr)
		}
		if got := strings.Join(kinds, ","); wantErr == "" && got != wantKinds {
			t.Errorf("%s: kinds = %q, want %q", name, got, wantKinds)
		}
	}
	test("one object", hunt, "hunt", "")
	test("array", "[\n"+hunt+",\n"+scan+"]\n", "hunt,scan", "")
	test("jsonl", hunt+"\n"+scan+"\n\n", "hunt,scan", "")
	test("BOM and CRLF", "\xEF\xBB\xBF"+hunt+"\r\n"+scan+"\r\n", "hunt,scan", "")
	test("progress lines skipped", `{"type":"progress","done":3}`+"\n"+hunt, "hunt", "")
	test("type result kept", `{"type":"result","host":"EX02","verdict":"no-evidence"}`, "hunt", "")
	test("empty verdict judged", `{"host":"EX01","findings":[]}`, "hunt", "")
	test("empty array", "[]", "", "no JSON document")
	test("empty input", " \n ", "", "no JSON document")
	test("garbage", "hello", "", "document 1")
	test("truncated", hunt[:40], "", "document 1")
	test("junk after array", "["+hunt+"] x", "", "after the closing")
	test("not an object", `[1]`, "", "not a JSON object")
	test("null", `null`, "", "null is not a result")
	test("unknown object", `{"foo":1}`, "", "neither a hunt result")
	test("empty host", `{"host":"  ","verdict":"no-evidence"}`, "", "host is empty")
	test("bad verdict", `{"host":"EX01","verdict":"pwned"}`, "", `unknown verdict "pwned"`)
	test("bad severity", `{"host":"EX01","verdict":"compromised","findings":[{"rule":"r","severity":"urgent"}]}`, "", `/findings/0/severity: "urgent" is not one of informational, low, medium, high, critical`)
	test("finding without rule", `{"host":"EX01","verdict":"compromised","findings":[{"severity":"high"}]}`, "", `hunt result for EX01: /findings/0: required property "rule" is missing`)
	// Schema violations name the JSON pointer and the rule broken.
	test("severity severe", `{"host":"EX01","verdict":"compromised","coverage":[],"findings":[`+
		`{"rule":"r","severity":"high"},{"rule":"r2","severity":"high"},{"rule":"r3","severity":"high"},{"rule":"r4","severity":"severe"}]}`,
		"", `document 1: result: invalid: hunt result for EX01: /findings/3/severity: "severe" is not one of informational, low, medium, high, critical`)
	test("rule not a string", `{"host":"EX01","findings":[{"rule":7,"severity":"high"}]}`, "", `/findings/0/rule: 7 is not of type string`)
	test("empty outcome", `{"host":"EX01","findings":[{"rule":"r","severity":"high","outcome":""}]}`, "", `/findings/0/outcome: "" is not one of attempted, succeeded, unknown`)
	test("bad time", `{"host":"EX01","findings":[{"rule":"r","severity":"high","time":"monday"}]}`, "", `/findings/0/time: "monday" is not an RFC 3339 date-time`)
	test("coverage without source", `{"host":"EX01","coverage":[{"files":1}]}`, "", `/coverage/0: required property "source" is missing`)
	test("verdict not a string", `{"host":"EX01","verdict":3}`, "", `/verdict: 3 is not of type string`)
	test("case variant of a field", `{"host":"EX01","findings":[{"rule":"r","Severity":"severe"}]}`, "", `/findings/0/Severity: property "Severity" differs from "severity" only in case`)
	test("hunt fields added", `{"host":"EX01","verdict":"no-evidence","coverage":[],"findings":[],"future":{"x":[1]}}`, "hunt", "")
	test("webshell status is a number", `{"target":"ex01:443","webshells":[{"path":"/aspnet_client/a.aspx","status":200}]}`,
		"", `scan result for ex01:443: /webshells/0/status: 200 is not of type string`)
	test("webshell status unknown", `{"target":"ex01:443","webshells":[{"path":"/a.aspx","status":"maybe"}]}`, "", `/webshells/0/status: "maybe" is not one of found, inconclusive`)
	test("webshell without status", `{"target":"ex01:443","webshells":[{"path":"/a.aspx"}]}`, "", `/webshells/0: required property "status" is missing`)
	test("port a string", `{"target":"ex01","port":"443"}`, "", `/port: "443" is not of type integer`)
	test("active result unknown", `{"target":"ex01","active":[{"check":"c","result":"pwned"}]}`, "", `/active/0/result: "pwned" is not one of vulnerable`)
	test("tls without names", `{"target":"ex01","tls":{"expired":false}}`, "", `/tls: required property "names" is missing`)
	test("build methods as strings", `{"target":"ex01","build_methods":["owa-path"]}`, "", `/build_methods/0: "owa-path" is not of type object`)
	test("scan fields added", `{"target":"ex01","tls":null,"ntlm":{"dns_tree":"corp"},"later":true}`, "scan", "")
	test("wrong type", `{"host":"EX01","verdict":"compromised","findings":"lots"}`, "", "hunt result")
	test("empty target", `{"target":""}`, "", "target is empty")
	test("second line bad", hunt+"\n{\"target\":\"\"}", "", "document 2")
}

func TestHostOf(t *testing.T) {
	for in, want := range map[string]string{
		"https://EX01.corp.example:443/owa": "ex01.corp.example",
		"ex01:443":                          "ex01",
		"[::1]:8443":                        "::1",
		"EX02":                              "ex02",
		"127.0.0.1":                         "127.0.0.1",
	} {
		if got := HostOf(in); got != want {
			t.Errorf("HostOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateHunt(t *testing.T) {
	good := finding.Finding{Rule: "r", Title: "t", Severity: finding.High, Outcome: finding.Attempted, Source: "iis"}
	test := func(name string, h finding.HostResult, wantErr string) {
		t.Helper()
		err := ValidateHunt(&h)
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%s: unexpected error %v", name, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr) || !errors.Is(err, ErrInvalid)):
			t.Errorf("%s: err = %v, want ErrInvalid containing %q", name, err, wantErr)
		}
	}
	test("good", finding.HostResult{Host: " EX01 ", Findings: []finding.Finding{good}}, "")
	noOutcome := good
	noOutcome.Outcome = ""
	test("finding without outcome", finding.HostResult{Host: "EX01", Findings: []finding.Finding{good, noOutcome}},
		`hunt result for EX01: /findings/1/outcome: "" is not one of attempted, succeeded, unknown`)
	test("negative count", finding.HostResult{Host: "EX01", Coverage: []finding.Coverage{{Source: "iis", Files: -1}}},
		`/coverage/0/files: -1 is less than the minimum 0`)
	test("no rule", finding.HostResult{Host: "EX01", Findings: []finding.Finding{{Severity: finding.Low}}}, "finding 1 has no rule")
}
