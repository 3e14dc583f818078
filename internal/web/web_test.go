package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/store"
	"github.com/exhunt/exhunt/internal/store/result"
)

const token = "s3cret-token"

type fixture struct {
	st  *store.Store
	srv *httptest.Server
}

// newFixture starts the dashboard on loopback over a fresh SQLite store,
// seeded with the three-host fleet (EX01 carries XSS payloads) and scans.
func newFixture(t *testing.T, maxBody int64) *fixture {
	t.Helper()
	return newFixtureDB(t, filepath.Join(t.TempDir(), "exhunt.db"), maxBody)
}

func newFixtureDB(t *testing.T, dsn string, maxBody int64) *fixture {
	t.Helper()
	st, err := store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, p := range []string{"../store/testdata/fleet.jsonl", "../store/testdata/scan.jsonl"} {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		var docs []result.Doc
		if err := result.ReadResults(f, func(d result.Doc) error { docs = append(docs, d); return nil }); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if _, err := st.Save(t.Context(), docs...); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{Store: st, Tokens: []string{"other", token}, MaxBody: maxBody, Version: "test"}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &fixture{st: st, srv: srv}
}

func (f *fixture) do(t *testing.T, method, path, tok, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func (f *fixture) runs(t *testing.T) int {
	t.Helper()
	n, _, err := f.st.Counts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func hunt(host string, i int) finding.HostResult {
	return finding.HostResult{Host: host, Verdict: finding.ExploitationAttempted,
		Started: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		Findings: []finding.Finding{{Rule: "proxylogon-ssrf-cookie", Title: "ProxyLogon SSRF", Severity: finding.High,
			Outcome: finding.Attempted, Kind: finding.KindLog, Source: "u_ex210303.log", Line: int64(i + 1),
			Details: map[string]string{"client_ip": "192.0.2.1"}}}}
}

// TestUploadRejects: wrong token 401, oversized 413, malformed 400 with a
// message, and none of them writes anything.
func TestUploadRejects(t *testing.T) {
	f := newFixture(t, 2048)
	before := f.runs(t)
	good, _ := json.Marshal(hunt("EX10", 0))
	big, _ := json.Marshal([]finding.HostResult{hunt("EX11", 0), hunt("EX11", 1), hunt("EX11", 2), hunt("EX11", 3), hunt("EX11", 4), hunt("EX11", 5), hunt("EX11", 6), hunt("EX11", 7)})
	test := func(name, tok, body string, code int, msg string) {
		t.Helper()
		got, resp, hdr := f.do(t, "POST", "/api/v1/results", tok, body)
		if got != code || !strings.Contains(resp, msg) {
			t.Errorf("%s: %d %s; want %d with %q", name, got, resp, code, msg)
		}
		if code == 401 && hdr.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", name)
		}
		if n := f.runs(t); n != before {
			t.Errorf("%s: runs %d → %d; a rejected upload wrote", name, before, n)
		}
	}
	test("no token", "", string(good), 401, "bearer token")
	test("wrong token", "s3cret-tokeN", string(good), 401, "bearer token")
	test("token prefix", "s3cret", string(good), 401, "bearer token")
	test("oversized", token, string(big), 413, "body larger than 2048 bytes")
	test("malformed", token, `{"host":"EX10",`, 400, "result: invalid: document 1")
	test("not JSON", token, "hello", 400, "invalid character")
	test("bad verdict", token, `{"host":"EX10","verdict":"pwned"}`, 400, `unknown verdict \"pwned\"`)
	test("no result", token, `{"foo":1}`, 400, "neither a hunt result")
	test("empty", token, "", 400, "no JSON document")
	test("second of two bad", token, string(good)+"\n"+`{"target":""}`, 400, "document 2")
	// JSON Schema violations (internal/schema) name the pointer and rule.
	test("severity severe", token, `{"host":"EX10","verdict":"compromised","coverage":[],"findings":[{"rule":"r","severity":"severe"}]}`,
		400, `hunt result for EX10: /findings/0/severity: \"severe\" is not one of informational, low, medium, high, critical`)
	test("finding without rule", token, string(good)+"\n"+`{"host":"EX10","verdict":"compromised","findings":[{"title":"t","severity":"high"}]}`,
		400, `document 2: result: invalid: hunt result for EX10: /findings/0: required property \"rule\" is missing`)
	test("webshell status an int", token, `{"target":"ex10:443","webshells":[{"path":"/aspnet_client/a.aspx","status":200,"evidence":"","http_status":200}]}`,
		400, `scan result for ex10:443: /webshells/0/status: 200 is not of type string`)
	code, body, _ := f.do(t, "POST", "/api/v1/results", token, string(good))
	var ack UploadResponse
	if code != 200 || json.Unmarshal([]byte(body), &ack) != nil || ack.New != 1 || len(ack.Saved) != 1 || ack.Saved[0].Host != "EX10" {
		t.Fatalf("good upload: %d %s", code, body)
	}
	if code, body, _ = f.do(t, "POST", "/api/v1/results", "other", string(good)); code != 200 || !strings.Contains(body, `"new": 0`) {
		t.Errorf("re-upload: %d %s; want 200, nothing new", code, body)
	}
	if n := f.runs(t); n != before+1 {
		t.Errorf("runs %d, want %d", n, before+1)
	}
}

func TestNoTokensConfigured(t *testing.T) {
	f := newFixture(t, 0)
	s := &Server{Store: f.st}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/results", strings.NewReader(`{"host":"a","verdict":"no-evidence"}`))
	req.Header.Set("Authorization", "Bearer ")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("upload with no configured token: %d, want 401", res.StatusCode)
	}
}

func TestReadAPI(t *testing.T) {
	f := newFixture(t, 0)
	get := func(path string, code int, v any) {
		t.Helper()
		got, body, hdr := f.do(t, "GET", path, token, "")
		if got != code {
			t.Fatalf("GET %s: %d %s, want %d", path, got, body, code)
		}
		if v != nil {
			if !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
				t.Errorf("GET %s: content type %q", path, hdr.Get("Content-Type"))
			}
			if err := json.Unmarshal([]byte(body), v); err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
		}
	}
	var hosts []store.HostSummary
	get("/api/v1/hosts", 200, &hosts)
	if len(hosts) != 4 || hosts[0].Host != "EX01" || hosts[0].Verdict != "compromised" {
		t.Errorf("hosts = %+v", hosts)
	}
	var d HostDetail
	get("/api/v1/hosts/ex01", 200, &d)
	if d.Hunt == nil || d.Scan == nil || len(d.Runs) != 2 {
		t.Errorf("host detail: hunt %v scan %v runs %d", d.Hunt != nil, d.Scan != nil, len(d.Runs))
	}
	var runs []store.Run
	get("/api/v1/runs?kind=scan", 200, &runs)
	if len(runs) != 2 {
		t.Errorf("scan runs = %d, want 2", len(runs))
	}
	var doc map[string]any
	get("/api/v1/runs/"+runs[0].ID, 200, &doc)
	if doc["target"] == nil {
		t.Errorf("run document = %v", doc)
	}
	var corr []store.Correlation
	get("/api/v1/correlations", 200, &corr)
	if len(corr) != 2 || corr[0].Value != "203.0.113.7" {
		t.Errorf("correlations = %+v", corr)
	}
	get("/api/v1/hosts/nope", 404, nil)
	get("/api/v1/runs/nope", 404, nil)
	if code, _, _ := f.do(t, "GET", "/api/v1/hosts", "", ""); code != 401 {
		t.Errorf("read API without token: %d, want 401", code)
	}
}

func TestPages(t *testing.T) {
	f := newFixture(t, 0)
	page := func(path string, code int, want ...string) string {
		t.Helper()
		got, body, hdr := f.do(t, "GET", path, "", "")
		if got != code {
			t.Fatalf("GET %s: %d, want %d", path, got, code)
		}
		if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
			t.Errorf("GET %s: CSP %q must forbid scripts", path, csp)
		}
		if hdr.Get("X-Content-Type-Options") != "nosniff" || hdr.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s: security headers missing: %v", path, hdr)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", path, w)
			}
		}
		if m := regexp.MustCompile(`(?i)<script|<[a-z][^>]*\son[a-z]+\s*=`).FindString(body); m != "" {
			t.Errorf("GET %s: %q in page", path, m)
		}
		return body
	}
	page("/", 200,
		`<div class="card critical"><b>1</b>compromised</div>`, `<div class="card high"><b>1</b>exploitation-attempted</div>`,
		`<div class="card ok"><b>1</b>no-evidence</div>`, `<div class="card info"><b>1</b>not hunted</div>`,
		`<div class="card exposed"><b>2</b>exposed</div>`, `<div class="card not-exposed"><b>1</b>not exposed</div>`,
		`<a href="/hosts/EX01">EX01</a>`, `<code>15.1.2176.2</code>`, "CVE-2021-26855",
		`<code>203.0.113.7</code>`, `<a href="/hosts/EX02">EX02</a>`,
		`&lt;img src=x onerror=alert(&#34;xss-ua&#34;)&gt;`)
	page("/hosts/EX01", 200, `<nav><a href="/">Fleet</a>`, `<strong>compromised</strong>`, "Remediation plan", `&lt;script&gt;alert(&#34;xss-url&#34;)`)
	page("/timeline", 200, `<svg class="timeline"`, `dy="4">EX01</text>`, `<a href="/hosts/EX02">EX02</a>`)
	page("/static/style.css", 200, "svg.timeline")
	if code, _, _ := f.do(t, "GET", "/hosts/nope", "", ""); code != 404 {
		t.Errorf("unknown host page: %d", code)
	}
}

// TestParallelUploads: 20 uploaders, each sending 25 distinct results and
// then all of them again: every result stored exactly once, on SQLite and
// on PostgreSQL.
func TestParallelUploads(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { parallelUploads(t, newFixture(t, 0)) })
	t.Run("postgres", func(t *testing.T) { parallelUploads(t, newFixtureDB(t, pgDSN(t), 0)) })
}

func parallelUploads(t *testing.T, f *fixture) {
	before := f.runs(t)
	const uploaders, each = 20, 25
	var wg sync.WaitGroup
	errs := make(chan error, uploaders)
	for u := range uploaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rs []finding.HostResult
			for i := range each {
				rs = append(rs, hunt(fmt.Sprintf("EX-%02d", u), i))
			}
			c := &Client{HTTP: f.srv.Client(), Batch: 1}
			if err := c.Upload(t.Context(), f.srv.URL, token, rs); err != nil {
				errs <- err
				return
			}
			errs <- (&Client{HTTP: f.srv.Client(), Batch: 10}).Upload(t.Context(), f.srv.URL+"/api/v1/results", token, rs)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := f.runs(t); n != before+uploaders*each {
		t.Errorf("runs %d, want %d", n, before+uploaders*each)
	}
}

func TestClientRetries(t *testing.T) {
	f := newFixture(t, 0)
	var calls atomic.Int32
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequestWithContext(r.Context(), "POST", f.srv.URL+r.URL.Path, bytes.NewReader(body))
		req.Header = r.Header.Clone()
		res, err := f.srv.Client().Do(req)
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		defer res.Body.Close()
		w.WriteHeader(res.StatusCode)
		io.Copy(w, res.Body)
	}))
	defer flaky.Close()
	c := &Client{HTTP: flaky.Client(), Backoff: time.Millisecond}
	if err := c.Upload(t.Context(), flaky.URL, token, []finding.HostResult{hunt("EX20", 0)}); err != nil {
		t.Fatalf("upload through a flaky server: %v", err)
	}
	if calls.Load() != 3 {
		t.Errorf("calls = %d, want 3 (two 503s, then success)", calls.Load())
	}
	calls.Store(10)
	err := c.Upload(t.Context(), flaky.URL, "wrong", []finding.HostResult{hunt("EX21", 0)})
	if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "401") || calls.Load() != 11 {
		t.Errorf("wrong token: err %v after %d calls; want ErrRejected, no retry", err, calls.Load()-10)
	}
}

// TestProtectPages: with ProtectPages the pages need a token, as the Basic
// password a browser prompt sends or as a bearer token; /healthz does not.
func TestProtectPages(t *testing.T) {
	f := newFixture(t, 0)
	s := &Server{Store: f.st, Tokens: []string{token}, ProtectPages: true}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	get := func(path string, auth func(*http.Request)) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+path, nil)
		if auth != nil {
			auth(req)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(b)
	}
	for _, path := range []string{"/", "/hosts/EX01", "/timeline", "/static/style.css"} {
		code, hdr, body := get(path, nil)
		if code != 401 || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic ") || strings.Contains(body, "EX01") {
			t.Errorf("GET %s without a token: %d %q, want 401 with a Basic prompt and no data", path, code, hdr.Get("WWW-Authenticate"))
		}
		if code, _, _ := get(path, func(r *http.Request) { r.SetBasicAuth("anyone", "wrong-token-value") }); code != 401 {
			t.Errorf("GET %s with a wrong password: %d, want 401", path, code)
		}
		if code, _, _ := get(path, func(r *http.Request) { r.SetBasicAuth("anyone", token) }); code != 200 {
			t.Errorf("GET %s with the token as password: %d, want 200", path, code)
		}
		if code, _, _ := get(path, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }); code != 200 {
			t.Errorf("GET %s with the bearer token: %d, want 200", path, code)
		}
	}
	if code, _, _ := get("/healthz", nil); code != 200 {
		t.Errorf("/healthz: %d, want 200 without a token", code)
	}
	// Without ProtectPages the pages stay open (TestPages), the API does not.
	if code, _, _ := f.do(t, "GET", "/", "", ""); code != 200 {
		t.Errorf("unprotected overview: %d", code)
	}
}
