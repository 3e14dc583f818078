package scan

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestReadmeBounds: the request bounds the README states are the code's
// (the counts per host kind are asserted in TestRequestCounts).
func TestReadmeBounds(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := strings.Join(strings.Fields(string(raw)), " ")
	test := func(pattern string, want int) {
		t.Helper()
		m := regexp.MustCompile(pattern).FindStringSubmatch(readme)
		if m == nil {
			t.Fatalf("README no longer matches %q", pattern)
		}
		if n, _ := strconv.Atoi(m[1]); n != want {
			t.Errorf("README %q says %d, the code %d", pattern, n, want)
		}
	}
	test(`a target gets at most (\d+)\.`, maxHostRequests)
	test(`plus up to (\d+) ECP version folders`, maxCandidates)
	test(`A host that is not Exchange costs (\d+) requests`, 1+len(Doors()))
	test(`at most (\d+) × .--concurrency. finished`, keepOrderWindow)
}
