package rules

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/google/go-cmp/cmp"
)

const fullRule = `title: Exchange ProxyShell
id: 6d8f1e4c-0000-4000-8000-000000000001
status: test
description: Detects ProxyShell.
references:
    - https://example.invalid/proxyshell
author: Someone
date: 2021-08-09
modified: 2023-01-02
tags:
    - attack.initial-access
    - attack.t1190
    - attack.t1505.003
    - attack.t1505.003
    - attack.g0125
    - cve.2021-34473
    - cve.2021.34523
    - cve.2021-34473
logsource:
    category: Webserver
    product: Windows
detection:
    selection:
        cs-uri-query|contains: '/autodiscover.json'
    condition: selection
falsepositives: Unknown
level: High
`

func TestParseMetadata(t *testing.T) {
	r := mustParse(t, fullRule)
	got := map[string]any{
		"id": r.ID, "title": r.Title, "status": r.Status, "description": r.Description,
		"author": r.Author, "date": r.Date, "modified": r.Modified, "level": r.Level,
		"references": r.References, "fp": r.FalsePositives, "ls": r.LogSource,
		"path": r.Path, "line": r.Line, "cves": r.CVEs(), "attack": r.Attack(),
	}
	want := map[string]any{
		"id": "6d8f1e4c-0000-4000-8000-000000000001", "title": "Exchange ProxyShell", "status": "test",
		"description": "Detects ProxyShell.", "author": "Someone", "date": "2021-08-09", "modified": "2023-01-02",
		"level": finding.High, "references": []string{"https://example.invalid/proxyshell"},
		"fp": []string{"Unknown"}, "ls": evidence.LogSource{Category: "webserver", Product: "windows"},
		"path": "test.yml", "line": 1,
		"cves":   []string{"CVE-2021-34473", "CVE-2021.34523"},
		"attack": []string{"T1190", "T1505.003"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("metadata (-want +got):\n%s", d)
	}
}

func TestParseDefaultsAndErrors(t *testing.T) {
	noLevel := strings.Replace(fullRule, "level: High\n", "", 1)
	if r := mustParse(t, noLevel); r.Level != finding.Medium {
		t.Errorf("missing level = %q, want medium", r.Level)
	}
	tests := []struct{ name, yml, want string }{
		{"no id", strings.Replace(fullRule, "id: 6d8f1e4c-0000-4000-8000-000000000001\n", "", 1), "no id"},
		{"bad level", strings.Replace(fullRule, "level: High", "level: severe", 1), "unknown severity"},
		{"no detection", "title: x\nid: a\n", "detection must be a map"},
		{"no condition", "title: x\nid: a\ndetection:\n  sel: {a: b}\n", "no condition"},
		{"not a map", "- a\n- b\n", "must be a YAML map"},
		{"yaml syntax", "title: x\nid: a\ndetection: {\n", "YAML"},
		{"logsource not a map", "title: x\nid: a\nlogsource: windows\ndetection: {sel: {a: b}, condition: sel}\n", "logsource must be a map"},
		{"correlation", "title: c\nid: c1\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [x]\n  timespan: 1h\n  condition: {gte: 10}\n", "correlation rules (event_count) are not supported"},
		{"filter document", "title: f\nid: f1\nfilter:\n  rules: [a]\n  selection: {x: y}\n  condition: not selection\n", "filter documents"},
		{"repeat first", "action: repeat\ntitle: x\nid: a\n", "repeat without a previous"},
		{"duplicate selection name", "title: x\nid: a\ndetection:\n  sel: {a: b}\n  sel: {c: d}\n  condition: sel\n", "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseErr(t, tt.yml); !containsFold(got, tt.want) {
				t.Errorf("error %q, want it to mention %q", got, tt.want)
			}
		})
	}
}

func TestLoadErrorFields(t *testing.T) {
	yml := "title: Bad regex\nid: r1\nlogsource: {category: webserver}\ndetection:\n  sel:\n    CommandLine|re: '(?<=a)b'\n  condition: sel\n"
	_, errs := Parse("rules/bad.yml", []byte(yml))
	if len(errs) != 1 {
		t.Fatalf("errors = %v, want one", errs)
	}
	e := errs[0]
	if e.Path != "rules/bad.yml" || e.Line != 6 || e.RuleID != "r1" || e.Title != "Bad regex" {
		t.Errorf("LoadError = %+v, want path rules/bad.yml line 6 id r1", e)
	}
	if s := e.Error(); !strings.HasPrefix(s, "rules/bad.yml:6: rule r1 (Bad regex): field \"CommandLine\"") {
		t.Errorf("Error() = %q", s)
	}
}

func TestParseMultiDocument(t *testing.T) {
	yml := `action: global
title: Collection
logsource:
    category: webserver
detection:
    condition: sel
level: high
---
id: m1
detection:
    sel: {cs-method: POST}
---
action: repeat
id: m2
detection:
    sel: {cs-method: PUT}
---
title: Bad one
id: m3
---
action: reset
---
title: Standalone
id: m4
logsource: {category: webserver}
detection: {sel: {cs-method: GET}, condition: sel}
`
	rules, errs := Parse("multi.yml", []byte(yml))
	var ids []string
	for _, r := range rules {
		ids = append(ids, r.ID+"="+r.Title+"/"+string(r.Level))
	}
	if d := cmp.Diff([]string{"m1=Collection/high", "m2=Collection/high", "m4=Standalone/medium"}, ids); d != "" {
		t.Errorf("rules (-want +got):\n%s", d)
	}
	if len(errs) != 1 || errs[0].RuleID != "m3" || !strings.Contains(errs[0].Reason, "not a detection identifier") {
		t.Errorf("errors = %v, want m3 with an unknown identifier", errs)
	}
	put := rules[1]
	if !matches(t, put, webLS, evidence.Map{"cs-method": "PUT"}) || matches(t, put, webLS, evidence.Map{"cs-method": "POST"}) {
		t.Error("repeat document should replace the selection")
	}
}

func TestParseLimits(t *testing.T) {
	big := make([]byte, maxFileSize+1)
	_, errs := Parse("big.yml", big)
	if len(errs) != 1 || !strings.Contains(errs[0].Reason, "limit") {
		t.Errorf("big file: %v", errs)
	}
	// A 10 000-deep condition: a clear error, no panic.
	cond := strings.Repeat("(", 10000) + "sel" + strings.Repeat(")", 10000)
	yml := "title: deep\nid: d1\ndetection:\n  sel: {a: b}\n  condition: '" + cond + "'\n"
	_, errs = Parse("deep.yml", []byte(yml))
	if len(errs) != 1 || errs[0].RuleID != "d1" || !strings.Contains(errs[0].Reason, "nests deeper than 64") {
		t.Errorf("deep condition: %v", errs)
	}
	// Deeply nested YAML itself.
	yml = "title: deep\nid: d2\ndetection:\n  sel: " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "\n  condition: sel\n"
	_, errs = Parse("deepyaml.yml", []byte(yml))
	if len(errs) != 1 {
		t.Errorf("deep YAML: %v", errs)
	}
}

func TestParseQuantifierBudget(t *testing.T) {
	var b strings.Builder
	b.WriteString("title: wide\nid: w1\ndetection:\n")
	for i := range 2000 {
		fmt.Fprintf(&b, "  s%d: {a: x}\n", i)
	}
	b.WriteString("  condition: '" + strings.Repeat("1 of s* or ", 999) + "1 of s*'\n")
	_, errs := Parse("wide.yml", []byte(b.String()))
	if len(errs) != 1 || !strings.Contains(errs[0].Reason, "too many quantifiers") {
		t.Errorf("errors = %v, want the quantifier budget error", errs)
	}
}

func TestLoadFSAndMerge(t *testing.T) {
	rule := func(id, title, method string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("title: " + title + "\nid: " + id + "\nlogsource: {category: webserver}\ndetection: {sel: {cs-method: " + method + "}, condition: sel}\n")}
	}
	fsys := fstest.MapFS{
		"rules/a.yml":         rule("r1", "first", "GET"),
		"rules/sub/b.yaml":    rule("r1", "second", "PUT"),
		"rules/sub/c.yml":     rule("r2", "third", "POST"),
		"rules/notes.txt":     &fstest.MapFile{Data: []byte("not a rule")},
		"rules/broken.yml":    &fstest.MapFile{Data: []byte("title: broken\n")},
		"rules/big/large.yml": &fstest.MapFile{Data: make([]byte, maxFileSize+10)},
	}
	s, errs := LoadFS(fsys, "rules")
	var titles []string
	for _, r := range s.Rules() {
		titles = append(titles, r.ID+":"+r.Title)
	}
	if d := cmp.Diff([]string{"r1:second", "r2:third"}, titles); d != "" {
		t.Errorf("rules (-want +got):\n%s", d)
	}
	var reasons []string
	for _, e := range errs {
		reasons = append(reasons, e.Path+": "+e.Reason)
	}
	want := []string{
		"rules/big/large.yml: file is larger than the limit of 1048576 bytes",
		"rules/broken.yml: rule has no id",
		"rules/sub/b.yaml: duplicate id: replaces the rule from rules/a.yml",
	}
	if d := cmp.Diff(want, reasons); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}

	user, _ := LoadFS(fstest.MapFS{"u.yml": rule("r2", "user", "DELETE")}, ".")
	m := s.ForSource(webLS)
	if merrs := s.Merge(user); len(merrs) != 1 || merrs[0].RuleID != "r2" {
		t.Errorf("Merge errors = %v, want r2 replaced", merrs)
	}
	if got := s.Rules()[1].Title; got != "user" {
		t.Errorf("after Merge r2 = %q, want the user rule", got)
	}
	if m2 := s.ForSource(webLS); m2 == m {
		t.Error("Merge must drop cached matchers")
	}
}

func TestBuiltin(t *testing.T) {
	s, errs := Builtin()
	for _, e := range errs {
		t.Errorf("built-in rule pack: %v", e)
	}
	s2, _ := Builtin()
	extra, _ := NewSet(mustParse(t, fullRule))
	s.Merge(extra)
	if s2.Len() == s.Len() {
		t.Error("Merge into one Builtin() result changed another")
	}
}
