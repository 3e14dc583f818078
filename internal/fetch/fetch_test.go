package fetch

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/doc":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(r.Header.Get("Accept") + "|" + r.Header.Get("User-Agent")))
		case "/chunked": // no Content-Length: the limit is found while reading
			w.Write([]byte(strings.Repeat("x", 100)))
			w.(http.Flusher).Flush()
			w.Write([]byte(strings.Repeat("x", 100)))
		case "/big":
			w.Header().Set("Content-Length", "200")
			w.Write([]byte(strings.Repeat("x", 200)))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	get := func(path string, limit int64) (string, string, error) {
		t.Helper()
		var b bytes.Buffer
		ct, err := Get(t.Context(), srv.Client(), Request{URL: srv.URL + path, Accept: "application/json", UserAgent: "exhunt-test", Limit: limit}, &b)
		return b.String(), ct, err
	}
	if body, ct, err := get("/doc", 100); err != nil || body != "application/json|exhunt-test" || ct != "application/json" {
		t.Errorf("doc: %q, %q, %v", body, ct, err)
	}
	if body, _, err := get("/chunked", 0); err != nil || len(body) != 200 {
		t.Errorf("no limit: %d bytes, %v", len(body), err)
	}
	if _, _, err := get("/chunked", 150); !errors.Is(err, ErrTooLarge) || err.Error() != "over the 150-byte limit" {
		t.Errorf("chunked over the limit: %v", err)
	}
	if body, _, err := get("/big", 199); !errors.Is(err, ErrTooLarge) || err.Error() != "200 bytes, over the 199-byte limit" || body != "" {
		t.Errorf("declared over the limit: %q, %v", body, err)
	}
	if _, _, err := get("/big", 200); err != nil {
		t.Errorf("exactly the limit: %v", err)
	}
	_, _, err := get("/nope", 100)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 404 || err.Error() != "HTTP 404 Not Found" {
		t.Errorf("404: %v", err)
	}
}
