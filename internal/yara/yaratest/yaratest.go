// Package yaratest finds the shared corpus and reads the yara CLI's
// reference verdicts from its GROUND_TRUTH.md, for the corpus suites of
// internal/yara and internal/filecheck. Tests only.
package yaratest

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// CorpusDir is the shared corpus, relative to a package two levels under
// the repository root (internal/yara, internal/filecheck).
const CorpusDir = "../../../shared/corpus"

// CorpusRoot returns the corpus's absolute path, or skips the test when
// the corpus is absent.
func CorpusRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(CorpusDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "GROUND_TRUTH.md")); err != nil {
		t.Skipf("shared corpus not available: %v", err)
	}
	return root
}

// GroundTruth reads the per-file YARA table of GROUND_TRUTH.md: corpus
// path → sorted "namespace:rule" hits (empty when the CLI found nothing).
// A malformed row or a table of fewer than 200 rows fails the test.
func GroundTruth(t testing.TB, root string) map[string][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "GROUND_TRUTH.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	truth := map[string][]string{}
	inTable := false
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "### Per-file results"):
			inTable = true
		case strings.HasPrefix(line, "## "):
			inTable = false
		case inTable && strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| file") && !strings.HasPrefix(line, "|---"):
			cells := strings.Split(strings.Trim(line, "| "), " | ")
			if len(cells) != 2 {
				t.Fatalf("GROUND_TRUTH.md: bad row %q", line)
			}
			hits := []string{}
			if h := strings.TrimSpace(cells[1]); h != "-" && h != "" {
				hits = strings.Fields(h)
			}
			slices.Sort(hits)
			truth[strings.TrimSpace(cells[0])] = hits
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(truth) < 200 {
		t.Fatalf("GROUND_TRUTH.md: only %d rows parsed", len(truth))
	}
	return truth
}
