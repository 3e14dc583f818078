package emulator

import (
	"encoding/base64"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// Every recorded host loads, states its truth and source, and is listed
// in SOURCES.md.
func TestRecordedHostsLoad(t *testing.T) {
	hosts, err := RecordedHosts()
	if err != nil {
		t.Fatal(err)
	}
	sources, err := os.ReadFile("recorded/SOURCES.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) < 10 {
		t.Errorf("%d recorded hosts", len(hosts))
	}
	for _, h := range hosts {
		if h.Source == "" || h.Truth.Note == "" {
			t.Errorf("%s: source %q note %q", h.Name, h.Source, h.Truth.Note)
		}
		if !strings.Contains(string(sources), "`"+h.Name+"`") {
			t.Errorf("%s is not in recorded/SOURCES.md", h.Name)
		}
		if h.Truth.Lookalike && h.Truth.Exchange {
			t.Errorf("%s: a look-alike is never Exchange", h.Name)
		}
	}
	// Every file in a host folder is used by it (nothing stale).
	for _, h := range hosts {
		used := map[string]bool{"host.json": true, h.Default: true}
		for _, r := range h.Responses {
			used[r.File] = true
		}
		ents, _ := fs.ReadDir(recorded, "recorded/"+h.Name)
		for _, e := range ents {
			if !used[e.Name()] {
				t.Errorf("%s/%s is not used", h.Name, e.Name())
			}
		}
	}
}

func TestReplay(t *testing.T) {
	get := func(name, path string, hdr ...string) *http.Response {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Host = "mail.example.test"
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		Handler(Config{Kind: Replay, Recorded: name}).ServeHTTP(rec, req)
		return rec.Result()
	}
	if r := get("ex2019cu9-nuclei", "/owa/"); r.StatusCode != 302 ||
		r.Header.Get("Location") != "http://mail.example.test/owa/auth/logon.aspx?url=http%3a%2f%2fmail.example.test%2fowa%2f&reason=0" {
		t.Errorf("/owa/: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if r := get("ex2019cu9-nuclei", "/OWA/AUTH/LOGON.ASPX"); r.StatusCode != 200 || r.Header.Get("Request-Id") == "" || r.Header.Get("Content-Length") != "" && r.ContentLength < 1000 {
		t.Errorf("IIS matches paths case-insensitively: %d %v", r.StatusCode, r.Header)
	}
	if r := get("ex2019cu9-nuclei", "/nothing"); r.StatusCode != 404 || len(r.Header) > 1 {
		t.Errorf("unrecorded path: %d %v, want a bare 404", r.StatusCode, r.Header)
	}
	if a, b := get("owa-honeypot", "/EWS/").StatusCode, get("owa-honeypot", "/ews/").StatusCode; a != 401 || b != 500 {
		t.Errorf("Flask routes are case-sensitive: /EWS/ %d, /ews/ %d", a, b)
	}
	t1 := "NTLM " + base64.StdEncoding.EncodeToString([]byte("NTLMSSP\x00\x01\x00\x00\x00\x07\x82\x08\x00"))
	r := get("ex2016cu22-manifest-ntlm", "/EWS/Exchange.asmx", "Authorization", t1)
	if v := r.Header.Get("WWW-Authenticate"); r.StatusCode != 401 || !strings.HasPrefix(v, "NTLM TlRMTVNTUAACAAAA") {
		t.Errorf("NTLM route: %d %q", r.StatusCode, v)
	}
	if v := get("ex2016cu22-manifest-ntlm", "/EWS/Exchange.asmx").Header.Values("WWW-Authenticate"); len(v) != 2 {
		t.Errorf("without a NEGOTIATE: %q, want the recorded Negotiate, NTLM", v)
	}
	if _, err := parseRecorded("garbage\n\n"); err == nil {
		t.Error("a file without a status line parsed")
	}
}
