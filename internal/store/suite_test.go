package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// backend opens a fresh, empty store; reopen opens the same database again.
type backend struct {
	name string
	open func(t *testing.T) (s *Store, reopen func() *Store)
}

// defaultPG is the PostgreSQL server of the development and CI machines.
const defaultPG = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

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

// openPostgresTest gives each test its own schema, so parallel test runs
// on one server do not collide. A missing server fails the test unless
// EXHUNT_TEST_PG=skip: CI must notice when PostgreSQL is not there.
func openPostgresTest(t *testing.T) (*Store, func() *Store) {
	t.Helper()
	dsn := os.Getenv("EXHUNT_TEST_PG")
	if dsn == "skip" {
		t.Skip("EXHUNT_TEST_PG=skip: PostgreSQL tests disabled")
	}
	if dsn == "" {
		dsn = defaultPG
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open PostgreSQL %s: %v", redact(dsn), err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	rand.Read(b[:])
	schema := "exhunt_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("PostgreSQL at %s is not usable (set EXHUNT_TEST_PG to a DSN, or EXHUNT_TEST_PG=skip): %v", redact(dsn), err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	sdsn := dsn + sep + "search_path=" + schema
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
