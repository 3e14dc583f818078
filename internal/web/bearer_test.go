package web

import (
	"net/http"
	"testing"
)

// TestBearerSchemeCaseInsensitive: "Authorization: bearer TOKEN" was
// refused though HTTP auth schemes are case-insensitive (issue 16.7); a
// wrong token or another scheme still is.
func TestBearerSchemeCaseInsensitive(t *testing.T) {
	f := newFixture(t, 0)
	get := func(auth string) int {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), "GET", f.srv.URL+"/api/v1/hosts", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", auth)
		res, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, auth := range []string{"Bearer " + token, "bearer " + token, "BEARER " + token, "bEaReR " + token} {
		if code := get(auth); code != 200 {
			t.Errorf("%q: %d, want 200", auth, code)
		}
	}
	for _, auth := range []string{"bearer " + token + "x", "Bearer", "bearer", "Bearer" + token, "Basic " + token, "Bearerx " + token, token} {
		if code := get(auth); code != 401 {
			t.Errorf("%q: %d, want 401", auth, code)
		}
	}
}
