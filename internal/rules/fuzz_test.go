package rules

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence"
)

// fuzzRecord has a bit of everything rules look at.
var fuzzRecord = evidence.FoldMap{
	"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": "1",
	"Image": `C:\Windows\System32\cmd.exe`, "ParentImage": `C:\Windows\System32\inetsrv\w3wp.exe`,
	"CommandLine": "cmd.exe /c whoami", "cs-method": "POST", "cs-uri-query": "/autodiscover.json?@x",
	"sc-status": "200", "c-ip": "10.1.2.3", "Data": "New-MailboxExportRequest -Mailbox x",
}

func addSeedRules(f *testing.F) {
	paths, _ := filepath.Glob("testdata/sigma/*.yml")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(fullRule))
	f.Add([]byte("action: global\ntitle: g\n---\nid: a\ndetection: {s: {a|base64offset|contains: x}, condition: s}\n---\naction: repeat\nid: b\n"))
	f.Add([]byte("title: t\nid: i\ndetection:\n  k: [a, '*b?', null, 1]\n  s: {a|windash|contains: ' -x', b|cidr: 10.0.0.0/8, c|re|i: 'a+', d|exists: true, e|gt: 3, f|fieldref: g}\n  condition: (k or not 1 of s*) and all of them\n"))
}

// FuzzParse checks the rule loader on arbitrary YAML: no panic, every
// error has a reason, every rule has an id and a condition, and loaded
// rules can be run and prefiltered.
func FuzzParse(f *testing.F) {
	addSeedRules(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, errs := Parse("fuzz.yml", data)
		for _, e := range errs {
			if e.Reason == "" || e.Path != "fuzz.yml" {
				t.Fatalf("bad LoadError %+v", e)
			}
		}
		for _, r := range rules {
			if r.ID == "" || r.det == nil || r.det.cond == nil {
				t.Fatalf("rule without id or condition: %+v", r)
			}
		}
		s, _ := NewSet(rules...)
		for _, ls := range []evidence.LogSource{webLS, sysmonLS} {
			m := s.ForSource(ls)
			m.Match(&evidence.Record{Log: ls, Fields: fuzzRecord}, func(*Rule) {})
			m.Candidate(data)
		}
	})
}

// FuzzCondition checks the condition parser: no panic, and a condition
// that parses evaluates.
func FuzzCondition(f *testing.F) {
	for _, c := range []string{
		"sel", "sel and not filter", "1 of sel* and not 1 of filter_*", "all of them", "(a or b) and not (c)",
		"1 of selection_webserver_* and selection_anomaly_children and not 1 of filter_main_*",
		"((((sel))))", "not not not sel", "sel | count() > 5", "all of sel_? or _x", "any of them",
	} {
		f.Add(c)
	}
	names := []string{"sel", "filter", "filter_main_1", "selection_webserver_a", "selection_anomaly_children", "a", "b", "c", "_x", "sel_1"}
	d := &detection{names: names}
	for i, n := range names {
		d.sels = append(d.sels, selection{name: n, alts: [][]fieldCond{{{field: n, ms: []valueMatcher{{kind: mExists, exists: i%2 == 0}}}}}})
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseCondition(s, names)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if depth(c) > maxConditionDepth+2 {
			t.Fatalf("condition %q parsed to depth %d", s, depth(c))
		}
		ctx := evalCtx{f: evidence.Map{"sel": "", "a": ""}}
		ctx.eval(d, c)
		orderByCost(d, c)
		condAtoms(d, c)
	})
}

func depth(c *cond) int {
	m := 0
	for _, k := range c.kids {
		m = max(m, depth(k))
	}
	return m + 1
}

// FuzzCandidate checks the prefilter's promise on arbitrary IIS lines:
// when a record parsed from the line matches a rule, the line is a
// candidate.
func FuzzCandidate(f *testing.F) {
	for _, l := range []string{attackLine, benignLine} {
		f.Add(l)
	}
	for _, l := range benchLines(6) {
		f.Add(string(l))
	}
	m := testdataMatcher(f)
	var sel Selection
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\r\n") {
			return
		}
		var all, some []string
		rec := &evidence.Record{Log: webLS, Fields: parseW3C(line)}
		m.Match(rec, func(r *Rule) { all = append(all, r.ID) })
		if len(all) > 0 && !m.Candidate([]byte(line)) {
			t.Fatalf("rule %q matches but Candidate is false: %q", all, line)
		}
		m.Select([]byte(line), &sel)
		m.MatchSelected(rec, &sel, func(r *Rule) { some = append(some, r.ID) })
		if !slices.Equal(all, some) {
			t.Fatalf("rules %q match, but only %q of those Select lets through: %q", all, some, line)
		}
	})
}
