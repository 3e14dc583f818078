package report

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/store/result"
)

// injected matches markup that only an escaping failure could produce:
// the templates themselves contain no script and no event handler.
var injected = regexp.MustCompile(`(?i)<script|<[a-z][^>]*\son[a-z]+\s*=|<[a-z][^>]*(href|src)\s*=\s*"?\s*javascript:`)

// FuzzExports feeds untrusted result documents (what exhunt import and the
// upload API accept) through every output format: no panic, JSON formats
// stay valid JSON, and nothing in the input becomes markup in the HTML.
//
// Run with -fuzzminimizetime=10x: with the default (60 s per new input)
// the worker spends the whole run minimising 4 KB seeds through the costly
// HTML path and reports almost no executions.
func FuzzExports(f *testing.F) {
	data, err := os.ReadFile("testdata/fleet.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	for l := range bytes.Lines(data) {
		f.Add(l)
	}
	f.Add([]byte(`{"host":"<svg onload=alert(1)>","build":"15.1.2176.2","findings":[{"rule":"r","severity":"high","source":"a\\b.log","line":1,"time":"2021-03-03T00:00:00Z","evidence":"</style><script>x</script>","details":{"client_ip":"::1","file_sha256":"zz"}}]}`))
	kb, err := exchange.Default()
	if err != nil {
		f.Fatal(err)
	}
	opt := Options{KB: kb, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		var hosts []Host
		err := result.ReadResults(bytes.NewReader(data), func(d result.Doc) error {
			if d.Kind == result.Hunt {
				hosts = append(hosts, Host{Result: *d.Hunt})
			}
			return nil
		})
		if err != nil || len(hosts) == 0 {
			return
		}
		for _, fm := range Formats() {
			var b bytes.Buffer
			if err := Write(&b, fm, hosts, opt); err != nil {
				t.Fatalf("%s: %v", fm, err)
			}
			switch fm {
			case FormatSARIF, FormatSTIX:
				if !json.Valid(b.Bytes()) {
					t.Fatalf("%s: invalid JSON", fm)
				}
			case FormatJSONL:
				for l := range bytes.Lines(b.Bytes()) {
					if !json.Valid(l) {
						t.Fatalf("jsonl: invalid line %q", l)
					}
				}
			case FormatHTML:
				if m := injected.FindString(b.String()); m != "" {
					i := strings.Index(b.String(), m)
					t.Fatalf("input became markup %q: ...%s...", m, b.String()[max(0, i-100):min(b.Len(), i+100)])
				}
			}
		}
	})
}

// TestInjectedRegexp: the fuzz invariant's detector sees real injections
// and ignores escaped ones.
func TestInjectedRegexp(t *testing.T) {
	for s, want := range map[string]bool{
		`<script>`: true, `<img src=x onerror=alert(1)>`: true, `<a href="javascript:x">`: true,
		`&lt;script&gt;`: false, `&lt;img src=x onerror=alert(1)&gt;`: false, `onerror=alert(1)`: false,
	} {
		if got := injected.MatchString(s); got != want {
			t.Errorf("injected(%q) = %v, want %v", s, got, want)
		}
	}
	var b bytes.Buffer
	h := Host{Result: finding.HostResult{Host: "EX01", Verdict: finding.Compromised}}
	if err := HTML(&b, []Host{h}, Options{KB: nil}); err != nil || injected.MatchString(b.String()) {
		t.Errorf("a clean report trips the detector: %v", err)
	}
}
