package rules_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPackLogsIOCsMatchCorpus checks the IOC data against the published
// lists kept in the shared corpus, so a typo in an address or user agent
// cannot slip in. It skips when the corpus is absent.
func TestPackLogsIOCsMatchCorpus(t *testing.T) {
	corpus := filepath.Join("..", "..", "..", "shared", "corpus", "scs-labs-hafnium-iocs", "indicators")
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("shared corpus not found: %v", err)
	}
	readLines := func(p string) []string {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		return out
	}
	readCol := func(p string, col int) []string {
		t.Helper()
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows[1:] {
			out = append(out, r[col])
		}
		return out
	}
	sorted := func(s []string) []string {
		s = slices.Clone(s)
		slices.Sort(s)
		return slices.Compact(s)
	}
	ips := readCol(filepath.Join("pack", "iocs", "attacker-ips.csv"), 0)
	if d := cmp.Diff(sorted(readLines(filepath.Join(corpus, "ip-addresses"))), sorted(ips)); d != "" {
		t.Errorf("attacker-ips.csv vs SCS-Labs ip-addresses (-corpus +ours):\n%s", d)
	}
	// IIS writes spaces as '+' and keeps a literal '+', so compare both
	// sides with every '+' read as a space.
	norm := func(s string) string { return strings.ReplaceAll(s, "+", " ") }
	var published []string
	for _, ua := range readLines(filepath.Join(corpus, "useragents")) {
		published = append(published, norm(ua))
	}
	for _, ua := range readCol(filepath.Join("pack", "iocs", "user-agents.csv"), 0) {
		if !slices.Contains(published, norm(ua)) {
			t.Errorf("user agent %q is not in SCS-Labs useragents", ua)
		}
	}
}
