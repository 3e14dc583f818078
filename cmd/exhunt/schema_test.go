package main

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/schema"
	"github.com/exhunt/exhunt/internal/store/result"
)

// These tests are the "fail CI on drift" half of schema/README.md: what
// exhunt writes must match the versioned schemas it publishes, and must
// import again. (internal/schema's TestFieldsCovered checks the Go types
// field by field; TestPublishedCopies checks schema/ against the embedded
// files.)

// conforms validates one JSON document against s and checks that import
// accepts it as kind.
func conforms(t *testing.T, s *schema.Schema, doc string, kind result.Kind, what string) {
	t.Helper()
	if err := s.ValidateJSON([]byte(doc)); err != nil {
		t.Errorf("%s does not match %s: %v\n%.500s", what, s.Name(), err, doc)
		return
	}
	d, ok, err := result.Classify(json.RawMessage(doc))
	if err != nil || !ok || d.Kind != kind {
		t.Errorf("%s: import: ok=%v kind=%q err=%v", what, ok, d.Kind, err)
	}
}

func TestHuntOutputMatchesSchema(t *testing.T) {
	hunt, err := schema.HuntV1()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := cli(t, "", "hunt", "--no-store", "--format", "json", "../../examples/evidence")
	if code == 2 || strings.TrimSpace(out) == "" {
		t.Fatalf("hunt --format json: exit %d\n%s", code, errs)
	}
	conforms(t, hunt, out, result.Hunt, "hunt --format json")

	code, out, errs = cli(t, "", "hunt", "--no-store", "--format", "jsonl", "../../examples/evidence")
	if code == 2 {
		t.Fatalf("hunt --format jsonl: exit %d\n%s", code, errs)
	}
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		lines++
		conforms(t, hunt, sc.Text(), result.Hunt, "hunt --format jsonl line")
	}
	if lines == 0 {
		t.Errorf("hunt --format jsonl wrote no lines")
	}
}

func TestScanOutputMatchesSchema(t *testing.T) {
	scan, err := schema.ScanV1()
	if err != nil {
		t.Fatal(err)
	}
	for profile, want := range map[string]string{
		"vulnerable-2016cu19":               `"result":"vulnerable"`,
		"patched-se":                        `"exposed":false`,
		"webshelled-2016cu19":               `"status":"found"`,
		"recorded/owa-honeypot":             `"owa_lookalike":true`,
		"recorded/decoy-manifest":           `"exchange_state":"unidentified"`,
		"recorded/ex2019cu14-activesync-f5": `"exchange_state":"yes"`,
		"mitigated-2019cu8":                 `"result":"blocked"`,
	} {
		addr := emulated(t, profile)
		code, out, errs := cli(t, "", "scan", "--no-store", "--format", "jsonl", "--active", "--webshells", "--host-rate", "0", addr)
		if code == 2 {
			t.Errorf("%s: exit %d\n%s", profile, code, errs)
			continue
		}
		hosts := 0
		for line := range strings.Lines(out) {
			var tag struct{ Type string }
			if json.Unmarshal([]byte(line), &tag) != nil {
				t.Errorf("%s: not JSON: %q", profile, line)
				continue
			}
			if tag.Type != "host" {
				continue // progress, error and summary lines are not results
			}
			hosts++
			conforms(t, scan, line, result.Scan, profile+" scan line")
		}
		if !strings.Contains(out, want) {
			t.Errorf("%s: output lacks %s, so the schema was not exercised on it:\n%s", profile, want, out)
		}
		if hosts != 1 {
			t.Errorf("%s: %d host lines, want 1:\n%s", profile, hosts, out)
		}
	}
}
