package web

import (
	"testing"

	"github.com/exhunt/exhunt/internal/store/pgtest"
)

// pgDSN returns a DSN to a fresh schema on the PostgreSQL test server,
// dropped when the test ends.
func pgDSN(t *testing.T) string {
	t.Helper()
	return pgtest.DSN(t, "exhunt_webtest")
}
