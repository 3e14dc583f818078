package scan

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Limits on what one response, and one target, may cost; hostile servers
// hit these. maxHostRequests covers the fingerprint (about a dozen doors),
// the ECP version folders (40), the active probes (6) and the web shell
// census (51 paths and their folder baselines) with room to spare.
const (
	maxHeaderBytes  = 64 << 10
	maxBodyBytes    = 256 << 10
	maxHostRequests = 160
)

// response is the part of an HTTP answer the checks look at.
type response struct {
	Status int
	Header http.Header
	Body   []byte // at most maxBodyBytes
	TLS    *tls.ConnectionState
}

// session talks to one target: a fixed address (redirects are never
// followed, so nothing else is ever contacted), one keep-alive connection,
// SNI from the target's name, any certificate accepted.
type session struct {
	s       *Scanner
	t       Target
	addr    netip.AddrPort
	scheme  string
	client  *http.Client
	tr      *http.Transport
	origin  string // scheme://host[:port], the Host the requests name
	base    string // base path every door is under ("" or "/mail"), see basePath
	limiter waiter
	netErrs int  // consecutive network failures
	count   *int // requests sent to the target, over all sessions (Result.Requests)
}

type waiter interface{ Wait(context.Context) error }

func (s *Scanner) newSession(t Target, addr netip.AddrPort, scheme string, lim waiter, count *int) *session {
	sni := ""
	if _, err := netip.ParseAddr(t.Host); err != nil {
		sni = t.Host
	}
	d := &net.Dialer{Timeout: s.cfg.Timeout}
	dial := s.cfg.Dial
	if dial == nil {
		dial = d.DialContext
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dial(ctx, network, addr.String())
		},
		TLSClientConfig: &tls.Config{
			ServerName:         sni,
			InsecureSkipVerify: true, // scanners must reach self-signed and expired certificates; we report them instead
			MinVersion:         tls.VersionTLS10,
		},
		TLSHandshakeTimeout:    s.cfg.Timeout,
		ResponseHeaderTimeout:  s.cfg.Timeout,
		MaxResponseHeaderBytes: maxHeaderBytes,
		DisableCompression:     true, // a gzip bomb stays a bounded stream of compressed bytes
		MaxIdleConnsPerHost:    1,
		MaxConnsPerHost:        1,
		IdleConnTimeout:        s.cfg.Timeout,
		TLSNextProto:           map[string]func(string, *tls.Conn) http.RoundTripper{}, // HTTP/1.1 only
	}
	hostHdr := t.Host
	if strings.Contains(hostHdr, ":") {
		hostHdr = "[" + hostHdr + "]"
	}
	defPort := (scheme == "https" && t.Port == 443) || (scheme == "http" && t.Port == 80)
	if !defPort {
		hostHdr += ":" + strconv.Itoa(t.Port)
	}
	base, _ := basePath(t.Path)
	return &session{
		s: s, t: t, addr: addr, scheme: scheme, tr: tr, limiter: lim, count: count,
		origin: scheme + "://" + hostHdr, base: base,
		client: &http.Client{
			Transport:     tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

func (ss *session) close() { ss.tr.CloseIdleConnections() }

// errHostGone stops a host after repeated network failures; errBudget
// after maxHostRequests requests.
var (
	errHostGone = errors.New("host stopped answering")
	errBudget   = fmt.Errorf("request budget of %d per target spent", maxHostRequests)
)

// url is the base URL of the target: origin and base path.
func (ss *session) url() string { return ss.origin + ss.base }

// get sends one request for path under the base path (path includes any
// query); see fetch.
func (ss *session) get(ctx context.Context, path string, hdr map[string]string, limit int64) (*response, error) {
	return ss.fetch(ctx, ss.base+path, hdr, limit)
}

// fetch sends one request for an absolute path with extra headers and
// reads at most limit bytes of body, all within the per-request timeout.
// Every request counts against the target's budget and waits for the
// global and per-IP rate limits.
func (ss *session) fetch(ctx context.Context, path string, hdr map[string]string, limit int64) (*response, error) {
	if ss.netErrs >= 2 {
		return nil, errHostGone
	}
	if *ss.count >= maxHostRequests {
		return nil, errBudget
	}
	if err := ss.s.global.Wait(ctx); err != nil {
		return nil, err
	}
	if ss.limiter != nil {
		if err := ss.limiter.Wait(ctx); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, ss.s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ss.origin+path, nil)
	if err != nil {
		return nil, err
	}
	*ss.count++
	req.Header.Set("User-Agent", ss.s.cfg.UserAgent)
	req.Header.Set("Accept", "*/*")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := ss.client.Do(req)
	if err != nil {
		ss.netErrs++
		return nil, cleanErr(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil && len(body) == 0 && ctx.Err() != nil {
		ss.netErrs++
		return nil, fmt.Errorf("reading body: %w", cleanErr(err))
	}
	ss.netErrs = 0
	if int64(len(body)) >= limit {
		// Do not drain an endless body: drop the connection instead.
		ss.tr.CloseIdleConnections()
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: body, TLS: resp.TLS}, nil
}

// cleanErr strips the URL from client errors (it repeats what we know).
func cleanErr(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil && strings.HasPrefix(err.Error(), "Get ") {
			err = inner
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("timeout")
	}
	return err
}

// notTLS reports the errors a TLS client gets from a port that does not
// speak TLS: a plain HTTP answer to the hello (IIS, nginx and Go answer
// 400), or the connection closed on it.
func notTLS(err error) bool {
	var rh tls.RecordHeaderError
	s := err.Error()
	return errors.As(err, &rh) || strings.Contains(s, "first record does not look like a TLS handshake") ||
		strings.Contains(s, "server gave HTTP response to HTTPS client") ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.HasSuffix(s, "EOF") || strings.Contains(s, "connection reset")
}

// tlsInfo describes the leaf certificate.
func tlsInfo(cs *tls.ConnectionState, now time.Time) *TLSInfo {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return nil
	}
	c := cs.PeerCertificates[0]
	ti := &TLSInfo{Expired: now.After(c.NotAfter), NotAfter: c.NotAfter.UTC().Format(time.RFC3339)}
	seen := map[string]bool{}
	add := func(n string) {
		n = strings.ToLower(strings.TrimSpace(n))
		if n != "" && !seen[n] {
			seen[n] = true
			ti.Names = append(ti.Names, n)
		}
	}
	add(c.Subject.CommonName)
	for _, n := range c.DNSNames {
		add(n)
	}
	ti.SelfSigned = isSelfSigned(c)
	return ti
}

func isSelfSigned(c *x509.Certificate) bool {
	if string(c.RawIssuer) != string(c.RawSubject) {
		return false
	}
	return c.CheckSignatureFrom(c) == nil || c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}
