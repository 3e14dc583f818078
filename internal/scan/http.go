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

// Limits on what one response may cost; hostile servers hit these.
const (
	maxHeaderBytes = 64 << 10
	maxBodyBytes   = 256 << 10
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
	baseURL string
	limiter waiter
	netErrs int // consecutive network failures
}

type waiter interface{ Wait(context.Context) error }

func (s *Scanner) newSession(t Target, addr netip.AddrPort, scheme string, lim waiter) *session {
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
	return &session{
		s: s, t: t, addr: addr, scheme: scheme, tr: tr, limiter: lim,
		baseURL: scheme + "://" + hostHdr,
		client: &http.Client{
			Transport:     tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

func (ss *session) close() { ss.tr.CloseIdleConnections() }

// errHostGone stops a host after repeated network failures.
var errHostGone = errors.New("host stopped answering")

// get sends one request (path includes any query) with extra headers and
// reads at most limit bytes of body, all within the per-request timeout.
func (ss *session) get(ctx context.Context, path string, hdr map[string]string, limit int64) (*response, error) {
	if ss.netErrs >= 2 {
		return nil, errHostGone
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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ss.baseURL+path, nil)
	if err != nil {
		return nil, err
	}
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

// isTLSMismatch reports the error a TLS client gets from a plain HTTP port.
func isTLSMismatch(err error) bool {
	var rh tls.RecordHeaderError
	return errors.As(err, &rh) || strings.Contains(err.Error(), "first record does not look like a TLS handshake") ||
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
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
