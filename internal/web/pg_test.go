package web

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// pgDSN returns a DSN to a fresh schema on the PostgreSQL test server
// (EXHUNT_TEST_PG, default the CI server), dropped when the test ends. A
// missing server fails the test unless EXHUNT_TEST_PG=skip.
func pgDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("EXHUNT_TEST_PG")
	if dsn == "skip" {
		t.Skip("EXHUNT_TEST_PG=skip: PostgreSQL tests disabled")
	}
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	rand.Read(b[:])
	schema := "exhunt_webtest_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("PostgreSQL test server not usable (set EXHUNT_TEST_PG, or EXHUNT_TEST_PG=skip): %v", err)
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
