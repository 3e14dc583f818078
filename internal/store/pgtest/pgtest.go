// Package pgtest gives a test its own schema on the PostgreSQL test server,
// so tests of several packages and engineers share one database without
// colliding.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver
)

// Default is the PostgreSQL server of the development and CI machines.
const Default = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// DSN creates a fresh schema named prefix_<random> on the server
// EXHUNT_TEST_PG names (default Default), drops it when the test ends, and
// returns a DSN whose search_path selects it. A missing server fails the
// test unless EXHUNT_TEST_PG=skip: CI must notice when PostgreSQL is gone.
func DSN(t testing.TB, prefix string) string {
	t.Helper()
	dsn := os.Getenv("EXHUNT_TEST_PG")
	if dsn == "skip" {
		t.Skip("EXHUNT_TEST_PG=skip: PostgreSQL tests disabled")
	}
	if dsn == "" {
		dsn = Default
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	rand.Read(b[:])
	schema := prefix + "_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("PostgreSQL test server not usable (set EXHUNT_TEST_PG to a DSN, or EXHUNT_TEST_PG=skip): %v", err)
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
	return dsn + sep + "search_path=" + schema
}
