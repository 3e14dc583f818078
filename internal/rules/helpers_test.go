package rules

import (
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence"
)

var (
	webLS    = evidence.LogSource{Category: "webserver", Product: "windows", Service: "iis"}
	sysmonLS = evidence.LogSource{Product: "windows", Service: "sysmon"}
)

// ruleYAML wraps a detection section (indented by four spaces) in a rule.
func ruleYAML(logsource, detection string) string {
	return "title: test rule\nid: 11111111-2222-3333-4444-555555555555\nlevel: high\nlogsource:\n" +
		indent(logsource, "    ") + "detection:\n" + indent(detection, "    ")
}

func indent(s, by string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(by + l + "\n")
	}
	return b.String()
}

// mustParse parses exactly one rule.
func mustParse(t *testing.T, yml string) *Rule {
	t.Helper()
	rules, errs := Parse("test.yml", []byte(yml))
	if len(errs) > 0 || len(rules) != 1 {
		t.Fatalf("Parse: %d rules, errors %v\n%s", len(rules), errs, yml)
	}
	return rules[0]
}

// parseErr parses yml and returns the reasons of its LoadErrors.
func parseErr(t *testing.T, yml string) string {
	t.Helper()
	rules, errs := Parse("test.yml", []byte(yml))
	if len(errs) == 0 {
		t.Fatalf("Parse loaded %d rules, want an error\n%s", len(rules), yml)
	}
	var reasons []string
	for _, e := range errs {
		reasons = append(reasons, e.Reason)
	}
	return strings.Join(reasons, "; ")
}

// matches runs one rule on one record of ls.
func matches(t *testing.T, r *Rule, ls evidence.LogSource, f evidence.Fields) bool {
	t.Helper()
	s, errs := NewSet(r)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	hit := false
	s.ForSource(ls).Match(&evidence.Record{Log: ls, Fields: f}, func(*Rule) { hit = true })
	return hit
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
