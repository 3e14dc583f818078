package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/store"
)

// DefaultMaxBody bounds one upload: a hunt of a busy server with many
// findings fits, a memory-exhausting body does not.
const DefaultMaxBody = 32 << 20

// Server serves the dashboard and the API from a store.
type Server struct {
	Store   *store.Store
	KB      *exchange.KB // build knowledge for exposure; nil: exchange.Default()
	Tokens  []string     // accepted bearer tokens; none: the API refuses every call
	MaxBody int64        // upload size limit; 0: DefaultMaxBody
	Log     *slog.Logger // nil: discard
	Version string       // shown on pages
	// ProtectPages puts the dashboard pages behind the same tokens as the
	// API: browsers answer an HTTP Basic prompt (any user name, a token as
	// the password), scripts may send the bearer token. /healthz stays open.
	ProtectPages bool
	// KEV says whether CISA lists a CVE as exploited in the wild: the
	// fleet pages flag and filter on it. nil: no CVE is.
	KEV func(cve string) bool

	judgedOnce judgements
}

// Handler returns the HTTP handler with every route behind the security
// headers.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", s.pageAuth(http.HandlerFunc(s.overview)))
	mux.Handle("GET /hosts/{host}", s.pageAuth(http.HandlerFunc(s.hostPage)))
	mux.Handle("GET /timeline", s.pageAuth(http.HandlerFunc(s.timeline)))
	mux.Handle("GET /correlations", s.pageAuth(http.HandlerFunc(s.correlations)))
	mux.Handle("GET /static/style.css", s.pageAuth(http.HandlerFunc(s.css)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.Handle("POST /api/v1/results", s.auth(http.HandlerFunc(s.upload)))
	mux.Handle("GET /api/v1/hosts", s.auth(http.HandlerFunc(s.apiHosts)))
	mux.Handle("GET /api/v1/hosts/{host}", s.auth(http.HandlerFunc(s.apiHost)))
	mux.Handle("GET /api/v1/runs", s.auth(http.HandlerFunc(s.apiRuns)))
	mux.Handle("GET /api/v1/runs/{id}", s.auth(http.HandlerFunc(s.apiRun)))
	mux.Handle("GET /api/v1/correlations", s.auth(http.HandlerFunc(s.apiCorrelations)))
	mux.Handle("GET /api/v1/fleet", s.auth(http.HandlerFunc(s.apiFleet)))
	return securityHeaders(mux)
}

// securityHeaders forbids scripts, framing, sniffing and referrers on
// every response: even a missed escape could not run code. Forms may
// only submit to the dashboard itself (the host list's filters).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// auth requires "Authorization: Bearer TOKEN" with one of s.Tokens.
func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r, false) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="exhunt"`)
			s.logger().Warn("api: unauthorized", "path", r.URL.Path, "remote", r.RemoteAddr)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// pageAuth, with ProtectPages, requires a token as the HTTP Basic password
// (what a browser prompt sends) or as a bearer token.
func (s *Server) pageAuth(next http.Handler) http.Handler {
	if !s.ProtectPages {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r, true) {
			w.Header().Set("WWW-Authenticate", `Basic realm="exhunt", charset="UTF-8"`)
			s.logger().Warn("page: unauthorized", "path", r.URL.Path, "remote", r.RemoteAddr)
			http.Error(w, "401 unauthorized: give an exhunt token as the password", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authorized reports whether r carries one of s.Tokens as a bearer token,
// or, with basic, as the HTTP Basic password.
func (s *Server) authorized(r *http.Request, basic bool) bool {
	got, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok && basic {
		_, got, ok = r.BasicAuth()
	}
	return ok && s.validToken(strings.TrimSpace(got))
}

// bearerToken returns the token of an "Authorization: Bearer TOKEN"
// header. The scheme name is case-insensitive (RFC 9110 section 11.1), so
// "bearer" and "BEARER" are accepted too.
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return token, true
}

func (s *Server) validToken(got string) bool {
	ok := false
	for _, t := range s.Tokens {
		// Compare against every token, in constant time, so timing says
		// nothing about which token or how much of it matched.
		if t != "" && subtle.ConstantTimeCompare([]byte(got), []byte(t)) == 1 {
			ok = true
		}
	}
	return ok
}

func (s *Server) logger() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Server) maxBody() int64 {
	if s.MaxBody <= 0 {
		return DefaultMaxBody
	}
	return s.MaxBody
}

func (s *Server) kb() (*exchange.KB, error) {
	if s.KB != nil {
		return s.KB, nil
	}
	return exchange.Default()
}

// apiError is the body of every API error.
type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, apiError{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v) //nolint:errcheck // the client went away
}

// serverError logs the cause and tells the client only that it failed.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	s.logger().Error("request failed", "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, "internal error; see the server log")
}

// ListenAndServe serves h on addr until ctx ends, then shuts down,
// letting requests in flight finish for up to ten seconds.
func ListenAndServe(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if log != nil {
			log.Info("shutting down")
		}
		return srv.Shutdown(sctx)
	}
}
