package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/exlog"
	"github.com/exhunt/exhunt/internal/iislog"
	"github.com/exhunt/exhunt/internal/rules"
)

// TestGenerated checks that the generated tree parses without malformed
// lines and that the built-in rules find exactly the attacks genlogs
// reports, at the positions it reports.
func TestGenerated(t *testing.T) {
	for _, l := range []layout{{}, {lines: 60, depth: 7}} {
		t.Run(fmt.Sprintf("lines=%d,depth=%d", l.lines, l.depth), func(t *testing.T) { testGenerated(t, l) })
	}
}

func testGenerated(t *testing.T, l layout) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := runLayout(dir, 8<<20, 2_000, 7, l, &out); err != nil {
		t.Fatal(err)
	}
	set, errs := rules.Builtin()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	fired := map[string]int{}
	var lines int64
	maxDepth := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		count := func(r *evidence.Record) error {
			set.ForSource(r.Log).Match(r, func(rule *rules.Rule) { fired[rule.Title]++ })
			return nil
		}
		var malformed int64
		if l.lines > 0 && int64(bytes.Count(b, []byte("\n"))-bytes.Count(b, []byte("\n#"))-1) > l.lines {
			t.Errorf("%s: more than %d lines", rel, l.lines)
		}
		if depth := strings.Count(rel, "d/"); l.depth > 0 && (depth < 1 || depth > l.depth) {
			t.Errorf("%s: %d levels of the chain, want 1 to %d", rel, depth, l.depth)
		}
		maxDepth = max(maxDepth, strings.Count(rel, "d/"))
		if iislog.Sniff(b) {
			st, err := iislog.Parse(t.Context(), bytes.NewReader(b), rel, iislog.Options{}, count)
			malformed, lines = st.Malformed, lines+st.Lines
			if err != nil {
				return err
			}
		} else {
			st, err := exlog.Parse(t.Context(), bytes.NewReader(b), filepath.ToSlash(rel), exlog.Options{}, count)
			malformed, lines = st.Malformed, lines+st.Lines
			if err != nil {
				return err
			}
		}
		if malformed != 0 {
			t.Errorf("%s: %d malformed lines", rel, malformed)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	report := out.String()
	t.Log(report)
	if maxDepth != l.depth {
		t.Errorf("deepest file %d levels down the chain, want %d", maxDepth, l.depth)
	}
	for title, kind := range map[string]string{
		"ProxyLogon SSRF request to a short .js name under /ecp or /owa/auth": "iis-ssrf-js",
		"Web shell command in the query of a non-stock script page":           "iis-webshell-cmd",
		"ProxyShell autodiscover.json path confusion":                         "iis-proxyshell",
		"ProxyLogon SSRF AnchorMailbox in HttpProxy log":                      "httpproxy-serverinfo",
	} {
		want := 0
		for _, l := range strings.Split(report, "\n") {
			if f := strings.Fields(l); len(f) == 3 && f[1] == kind {
				want = atoi(f[2])
			}
		}
		if want == 0 || fired[title] != want {
			t.Errorf("%s: rules fired %d times, genlogs reports %d", kind, fired[title], want)
		}
	}
	// Besides the four attack rules only the user-agent indicators of the
	// same attack lines may fire; anything else is a false positive on the
	// benign traffic.
	for title := range fired {
		switch title {
		case "ProxyLogon SSRF request to a short .js name under /ecp or /owa/auth", "Web shell command in the query of a non-stock script page",
			"ProxyShell autodiscover.json path confusion", "ProxyLogon SSRF AnchorMailbox in HttpProxy log",
			"Request to a non-stock script page in an Exchange web shell folder", "ProxyLogon-era attacker user agent (IIS)",
			"ProxyLogon-era attacker user agent (HttpProxy)":
		default:
			t.Errorf("rule %q fired %d times on generated traffic", title, fired[title])
		}
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// BenchmarkHotPath measures the text-log part of a hunt on generated data:
// for every file, sniff, prefilter each raw line with the built-in rules,
// parse the candidates and match them. It is what bench/hunt-logs.sh times
// end to end, minus hashing, file walking and reporting.
func BenchmarkHotPath(b *testing.B) {
	dir := b.TempDir()
	if err := run(dir, 64<<20, 1_000_000, 7, io.Discard); err != nil {
		b.Fatal(err)
	}
	type file struct {
		rel  string
		data []byte
	}
	var files []file
	var total int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			files = append(files, file{filepath.ToSlash(rel), data})
			total += int64(len(data))
		}
		return err
	})
	set, _ := rules.Builtin()
	iis := set.ForSource(iislog.LogSource)
	proxy := set.ForSource(evidence.LogSource{Product: "exchange", Service: "httpproxy"})
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		var cand, lines int64
		for _, f := range files {
			match := func(r *evidence.Record) error {
				set.ForSource(r.Log).Match(r, func(*rules.Rule) {})
				return nil
			}
			if iislog.Sniff(f.data[:min(len(f.data), 4096)]) {
				st, _ := iislog.Parse(b.Context(), bytes.NewReader(f.data), f.rel, iislog.Options{Filter: iis.Candidate}, match)
				cand, lines = cand+st.Records, lines+st.Lines
				continue
			}
			st, _ := exlog.Parse(b.Context(), bytes.NewReader(f.data), f.rel, exlog.Options{Filter: proxy.Candidate}, match)
			cand, lines = cand+st.Records, lines+st.Lines
		}
		b.ReportMetric(float64(cand)/float64(lines), "candidates/line")
	}
}
