package store

import (
	"path/filepath"
	"testing"

	"github.com/exhunt/exhunt/internal/store/pgtest"
)

// backend opens a fresh, empty store; reopen opens the same database again.
type backend struct {
	name string
	open func(t *testing.T) (s *Store, reopen func() *Store)
}

func backends() []backend {
	return []backend{
		{"sqlite", openSQLiteTest},
		{"postgres", openPostgresTest},
	}
}

func openSQLiteTest(t *testing.T) (*Store, func() *Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "exhunt.db")
	return mustOpen(t, path), func() *Store { return mustOpen(t, path) }
}

// openPostgresTest gives each test its own schema (pgtest), so parallel
// test runs on one server do not collide. A missing server fails the test
// unless EXHUNT_TEST_PG=skip: CI must notice when PostgreSQL is not there.
func openPostgresTest(t *testing.T) (*Store, func() *Store) {
	t.Helper()
	sdsn := pgtest.DSN(t, "exhunt_test")
	return mustOpen(t, sdsn), func() *Store { return mustOpen(t, sdsn) }
}

func mustOpen(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestConformance runs the one suite every backend must pass.
func TestConformance(t *testing.T) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *Store, reopen func() *Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Idempotent", testIdempotent},
		{"Scans", testScans},
		{"Hosts", testHosts},
		{"Correlate", testCorrelate},
		{"Atomic", testAtomic},
		{"Reopen", testReopen},
		{"Concurrent", testConcurrent},
		{"HostileStrings", testHostileStrings},
		{"NotFound", testNotFound},
		{"LatestScan", testLatestScan},
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					s, reopen := b.open(t)
					tc.fn(t, s, reopen)
				})
			}
		})
	}
}
