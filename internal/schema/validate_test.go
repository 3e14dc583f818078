package schema

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateHunt(t *testing.T) {
	s, err := HuntV1()
	if err != nil {
		t.Fatal(err)
	}
	const f = `{"rule":"r","title":"t","severity":"high","cves":["CVE-2021-26855"],"attack":null,"outcome":"succeeded","source":"iis","evidence":"e"`
	doc := func(findings string) string {
		return `{"host":"EX01","verdict":"compromised","coverage":[],"findings":[` + findings + `]}`
	}
	test := func(name, in, wantErr string) {
		t.Helper()
		err := s.ValidateJSON([]byte(in))
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%s: unexpected error %v", name, err)
		case wantErr != "" && err == nil:
			t.Errorf("%s: valid, want error %q", name, wantErr)
		case wantErr != "" && (err.Error() != wantErr || !errors.Is(err, ErrMismatch)):
			t.Errorf("%s: error\n%v\nwant\n%s", name, err, wantErr)
		}
	}
	test("minimal", doc(f+"}"), "")
	test("all fields", `{"host":"EX01","verdict":"no-evidence","coverage":[{"source":"iis","files":1,"records":2,"malformed":0,"first":"2021-03-03T09:30:12Z","last":"2021-03-03T13:06:02.5+01:00","gaps":[{"from":"2021-03-01T00:00:00Z","to":"2021-03-02T00:00:00Z"}]}],"findings":null,"build":"15.1.2176.2","started":"2024-01-01T00:00:00Z","evidence":[{"path":"a","size":1,"sha256":"`+strings.Repeat("ab", 32)+`"}],"warnings":["w"],"exhunt_version":"1","rules_version":"2","future":{"x":1}}`, "")
	test("details and related", doc(f+`,"time":"2021-03-03T09:30:12Z","line":7,"kind":"log","details":{"client_ip":"1.2.3.4"},"related":[{"source":"ecp","note":"n","line":3}]}`), "")
	test("integral float is an integer", doc(f+`,"line":7.0}`), "")
	test("severity severe", doc(f+`}, `+strings.Replace(f, `"high"`, `"severe"`, 1)+`}`),
		`/findings/1/severity: "severe" is not one of informational, low, medium, high, critical`)
	test("no rule", doc(strings.Replace(f, `"rule":"r",`, "", 1)+"}"), `/findings/0: required property "rule" is missing`)
	test("no host", `{"verdict":"compromised","coverage":[],"findings":[]}`, `/: required property "host" is missing`)
	test("wrong type", `{"host":"EX01","verdict":"compromised","coverage":[],"findings":"lots"}`, `/findings: "lots" is not of type array or null`)
	test("bad time", doc(f+`,"time":"yesterday"}`), `/findings/0/time: "yesterday" is not an RFC 3339 date-time`)
	test("negative line", doc(f+`,"line":-1}`), `/findings/0/line: -1 is less than the minimum 0`)
	test("fractional line", doc(f+`,"line":1.5}`), `/findings/0/line: 1.5 is not of type integer`)
	test("detail not a string", doc(f+`,"details":{"a/b~":1}}`), `/findings/0/details/a~1b~0: 1 is not of type string`)
	test("bad sha256", `{"host":"h","verdict":"no-evidence","coverage":null,"findings":null,"evidence":[{"path":"a","size":1,"sha256":"xyz"}]}`,
		`/evidence/0/sha256: "xyz" does not match pattern ^[0-9a-f]{64}$`)
	test("several", `{"host":1,"verdict":"pwned"}`,
		`/: required property "coverage" is missing; /: required property "findings" is missing; /host: 1 is not of type string; /verdict: "pwned" is not one of compromised, exploitation-attempted, no-evidence`)
	test("not an object", `[]`, `/: an array is not of type object`)
	// encoding/json would decode these into the declared fields unchecked.
	test("case variant", doc(f+`,"Severity":"severe"}`), `/findings/0/Severity: property "Severity" differs from "severity" only in case`)
	test("fold variant", `{"host":"h","verdict":"no-evidence","coverage":[],"findings":[],"evidenCe":[{}]}`, `/evidenCe: property "evidenCe" differs from "evidence" only in case`)
	test("long s", `{"host":"h","verdict":"no-evidence","coverage":[],"findings":[],"\u017Ftarted":"x"}`, `/ſtarted: property "ſtarted" differs from "started" only in case`)
	test("kelvin sign", doc(f+`,"\u212Aind":"log"}`), `/findings/0/Kind: property "Kind" differs from "kind" only in case`)
	many := make([]string, 30)
	for i := range many {
		many[i] = `{}`
	}
	err = s.ValidateJSON([]byte(doc(strings.Join(many, ","))))
	var se *Error
	if !errors.As(err, &se) || len(se.Violations) != MaxViolations || !se.Truncated || !strings.Contains(err.Error(), "and 15 more") {
		t.Errorf("many violations: %v", err)
	}
}

func TestValidateScan(t *testing.T) {
	s, err := ScanV1()
	if err != nil {
		t.Fatal(err)
	}
	base := `"target":"ex01:443","ip":"127.0.0.1","port":443,"exchange":true,"build":"15.1.2176.2","build_methods":[{"method":"x-owa-version","build":"15.1.2176.2","precision":"full","confidence":"high","source":"GET /owa/"}],"product":"Exchange Server 2016","cu":"CU19","update":"","cves":[],"missing_updates":null,"active":[{"check":"CVE-2021-26855","result":"vulnerable","evidence":"e","request":"GET /"}],"tls":{"names":["a"],"expired":false,"self_signed":true},"exposed":true,"webshelled":true,"error":""`
	test := func(name, in, wantErr string) {
		t.Helper()
		err := s.ValidateJSON([]byte("{" + in + "}"))
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%s: unexpected error %v", name, err)
		case wantErr != "" && (err == nil || err.Error() != wantErr):
			t.Errorf("%s: error\n%v\nwant\n%s", name, err, wantErr)
		}
	}
	test("valid", base+`,"webshells":[{"path":"/aspnet_client/a.aspx","status":"found","evidence":"e","http_status":200}]`, "")
	test("no tls", strings.Replace(base, `{"names":["a"],"expired":false,"self_signed":true}`, "null", 1)+`,"webshells":null,"ntlm":null`, "")
	test("status is a number", base+`,"webshells":[{"path":"/a.aspx","status":200,"evidence":"e","http_status":200}]`,
		`/webshells/0/status: 200 is not of type string`)
	test("status unknown", base+`,"webshells":[{"path":"/a.aspx","status":"maybe","evidence":"e","http_status":200}]`,
		`/webshells/0/status: "maybe" is not one of found, inconclusive`)
	test("port out of range", strings.Replace(base, `"port":443`, `"port":70000`, 1)+`,"webshells":[]`,
		`/port: 70000 is greater than the maximum 65535`)
	test("tls without names", strings.Replace(base, `"names":["a"],`, "", 1)+`,"webshells":[]`,
		`/tls: required property "names" is missing`)
}

func TestCompile(t *testing.T) {
	test := func(name, in, wantErr string) {
		t.Helper()
		_, err := Compile("t", []byte(in))
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%s: unexpected error %v", name, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("%s: err = %v, want %q", name, err, wantErr)
		}
	}
	test("embedded hunt", mustSource(t, HuntResultV1), "")
	test("embedded scan", mustSource(t, ScanResultV1), "")
	test("const", `{"const":"host"}`, "")
	test("unsupported keyword", `{"properties":{"a":{"allOf":[]}}}`, `/properties/a: unsupported keyword "allOf"`)
	test("empty oneOf", `{"oneOf":[]}`, "not a non-empty array")
	test("definitions below the root", `{"properties":{"a":{"definitions":{}}}}`, "only at the root")
	test("unsupported format", `{"format":"email"}`, "only date-time")
	test("bad type", `{"type":"int"}`, `unknown type "int"`)
	test("bad ref", `{"$ref":"#/$defs/nope"}`, "unresolvable $ref")
	test("remote ref", `{"$ref":"https://example.com/s.json"}`, "unresolvable $ref")
	test("bad pattern", `{"pattern":"("}`, "pattern")
	test("object enum", `{"enum":[{}]}`, "only scalar")
	test("not an object", `[]`, "cannot unmarshal")

	// A $ref cycle is cut off at MaxDepth rather than recursing forever.
	s, err := Compile("loop", []byte(`{"$ref":"#/$defs/a","$defs":{"a":{"$ref":"#/$defs/a"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(nil); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Errorf("ref loop: %v", err)
	}
	// Constants compare by value across number forms.
	s, err = Compile("const", []byte(`{"const":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ValidateJSON([]byte(`1.0`)); err != nil {
		t.Errorf("1.0 vs const 1: %v", err)
	}
	if err := s.ValidateJSON([]byte(`2`)); err == nil || err.Error() != "/: 2 is not 1" {
		t.Errorf("2 vs const 1: %v", err)
	}
	if err := s.ValidateJSON([]byte(`1 x`)); err == nil || errors.Is(err, ErrMismatch) {
		t.Errorf("trailing data: %v", err)
	}
}

func mustSource(t *testing.T, name string) string {
	t.Helper()
	b, err := Source(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSARIFKeywords checks the draft-04 keywords the OASIS SARIF schema
// uses, each on a value that passes and one that fails.
func TestSARIFKeywords(t *testing.T) {
	s, err := Compile("t", []byte(`{
		"id": "https://example.com/t", "type": "object",
		"properties": {
			"list":  {"type": "array", "minItems": 1, "uniqueItems": true, "items": {"$ref": "#/definitions/item"}},
			"any":   {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 10}]},
			"one":   {"oneOf": [{"type": "string", "pattern": "^a"}, {"type": "string", "pattern": "b$"}]},
			"uri":   {"type": "string", "format": "uri"},
			"ref":   {"type": "string", "format": "uri-reference"}
		},
		"definitions": {"item": {"type": "object", "properties": {"n": {"type": "integer"}}}}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	test := func(doc, want string) {
		t.Helper()
		err := s.ValidateJSON([]byte(doc))
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: unexpected %v", doc, err)
		case want != "" && (err == nil || err.Error() != want):
			t.Errorf("%s: err = %v, want %s", doc, err, want)
		}
	}
	test(`{"list":[{"n":1},{"n":2}],"any":"x","one":"ax","uri":"https://x/y","ref":"src/a.aspx"}`, "")
	test(`{"any":12,"one":"xb"}`, "")
	test(`{"list":[]}`, "/list: 0 items, fewer than the minimum 1")
	test(`{"list":[{"n":1},{"n":1}]}`, "/list/1: duplicate of item 0 (uniqueItems)")
	test(`{"list":[{"n":"1"}]}`, `/list/0/n: "1" is not of type integer`)
	test(`{"any":5}`, "/any: 5 matches none of the 2 schemas of anyOf")
	test(`{"one":"ab"}`, `/one: "ab" matches 2 of the schemas of oneOf, not exactly one`)
	test(`{"one":"x"}`, `/one: "x" matches none of the 2 schemas of oneOf`)
	test(`{"uri":"src/a.aspx"}`, `/uri: "src/a.aspx" is not an absolute URI`)
	test(`{"ref":"%zz"}`, `/ref: "%zz" is not a URI reference`)
}
