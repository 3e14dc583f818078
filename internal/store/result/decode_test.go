package result

import (
	"errors"
	"strings"
	"testing"
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
	test("bad severity", `{"host":"EX01","verdict":"compromised","findings":[{"rule":"r","severity":"urgent"}]}`, "", `unknown severity "urgent"`)
	test("finding without rule", `{"host":"EX01","verdict":"compromised","findings":[{"severity":"high"}]}`, "", "has no rule")
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
