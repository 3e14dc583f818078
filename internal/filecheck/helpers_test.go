package filecheck

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/finding"
)

// defaultChecker compiles the embedded pack once for the package's tests.
var defaultChecker = sync.OnceValues(func() (*Checker, error) {
	c, lerrs, err := New(Options{})
	if err != nil {
		return nil, err
	}
	if len(lerrs) > 0 {
		return nil, lerrs[0]
	}
	return c, nil
})

func testChecker(t testing.TB) *Checker {
	t.Helper()
	c, err := defaultChecker()
	if err != nil {
		t.Fatalf("default pack: %v", err)
	}
	return c
}

// detect runs the checker on data as if found at p.
func detect(t testing.TB, c *Checker, p string, data []byte) []finding.Finding {
	t.Helper()
	sum := sha256.Sum256(data)
	return c.Detect(t.Context(), evidence.FileInfo{Path: p, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}, data)
}

// ruleIDs lists the sorted rule ids of findings.
func ruleIDs(fs []finding.Finding) []string {
	ids := []string{}
	for _, f := range fs {
		ids = append(ids, f.Rule)
	}
	slices.Sort(ids)
	return ids
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
