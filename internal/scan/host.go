package scan

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// acquire returns the per-IP limiter, shared by all ports of the IP.
func (s *Scanner) acquire(a netip.Addr) (waiter, func()) {
	if s.cfg.HostRate < 0 {
		return nil, func() {}
	}
	s.mu.Lock()
	h := s.hosts[a]
	if h == nil {
		h = &hostLimit{lim: rate.NewLimiter(rate.Limit(s.cfg.HostRate), max(1, int(s.cfg.HostRate)))}
		s.hosts[a] = h
	}
	h.refs++
	s.mu.Unlock()
	return h.lim, func() {
		s.mu.Lock()
		if h.refs--; h.refs == 0 {
			delete(s.hosts, a)
		}
		s.mu.Unlock()
	}
}

func (s *Scanner) resolve(ctx context.Context, host string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a, nil
	}
	as, err := s.cfg.Resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.Addr{}, err
	}
	if len(as) == 0 {
		return netip.Addr{}, fmt.Errorf("no address for %s", host)
	}
	slices.SortStableFunc(as, func(a, b netip.Addr) int { // IPv4 first
		if a.Is4() == b.Is4() {
			return 0
		}
		if a.Is4() || a.Is4In6() {
			return -1
		}
		return 1
	})
	return as[0].Unmap(), nil
}

// scanOne scans one target; every failure ends up in Result.Error.
func (s *Scanner) scanOne(ctx context.Context, t Target) (r *Result) {
	r = &Result{Type: "host", Target: t.Host, Port: t.Port, BuildMethods: []BuildMethod{}, CVEs: []string{},
		MissingUpdates: []string{}, Active: []Check{}, WebShells: []WebShell{}}
	defer func() {
		if p := recover(); p != nil { // a bug must cost one host, not the scan
			r.Error = fmt.Sprintf("internal error: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.HostTimeout)
	defer cancel()
	addr, err := s.resolve(ctx, t.Host)
	if err != nil {
		r.Error = "resolve: " + err.Error()
		return r
	}
	r.IP = addr.String()
	lim, release := s.acquire(addr)
	defer release()

	scheme := t.Scheme
	if scheme == "" {
		scheme = "https"
		if t.Port == 80 {
			scheme = "http"
		}
	}
	var ss *session
	for attempt := 0; ; attempt++ {
		ss = s.newSession(t, netip.AddrPortFrom(addr, uint16(t.Port)), scheme, lim)
		err = s.fingerprint(ctx, ss, r)
		if err == nil {
			break
		}
		ss.close()
		if scheme == "https" && t.Scheme == "" && isTLSMismatch(err) {
			scheme = "http" // a plain-HTTP port: try again without TLS, not counted as a retry
			attempt--
			t.Scheme = "http"
			continue
		}
		if attempt >= s.cfg.Retries || !retryable(err) || ctx.Err() != nil {
			r.Error = err.Error()
			if ctx.Err() != nil && !strings.Contains(r.Error, "timeout") {
				r.Error = "host time budget spent: " + r.Error
			}
			return r
		}
		select {
		case <-time.After(time.Duration(200<<attempt) * time.Millisecond):
		case <-ctx.Done():
			r.Error = err.Error()
			return r
		}
	}
	defer ss.close()
	r.Scheme = scheme
	r.Exchange = isExchange(r)
	r.Build, r.Precision, r.Conflicts = chooseBuild(r.BuildMethods)
	s.assess(r)
	if s.cfg.Active && r.Exchange {
		s.active(ctx, ss, r)
	}
	if s.cfg.WebShells {
		s.webshells(ctx, ss, r)
	}
	if ctx.Err() != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("host time budget (%v) spent: later checks were skipped", s.cfg.HostTimeout))
	}
	for _, c := range r.Active {
		if c.Result == Vulnerable {
			r.Exposed = true
			if !slices.Contains(r.CVEs, c.Check) {
				r.CVEs = append(r.CVEs, c.Check)
				sort.Strings(r.CVEs)
			}
		}
	}
	for _, w := range r.WebShells {
		if w.Status == "found" {
			r.WebShelled = true
		}
	}
	return r
}

func retryable(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "connection refused") {
		return false // the port is closed: asking again will not change that
	}
	return true
}

// assess asks the knowledge base about the chosen build.
func (s *Scanner) assess(r *Result) {
	if r.Build == "" || s.cfg.Assessor == nil {
		return
	}
	a, err := s.cfg.Assessor.Assess(r.Build)
	if err != nil {
		r.Notes = append(r.Notes, "knowledge base: "+err.Error())
		return
	}
	r.Product, r.CU, r.Update = a.Product, a.CU, a.Update
	r.CVEs = append(r.CVEs, a.CVEs...)
	r.SUDependentCVEs = a.SUDependentCVEs
	r.KEVCVEs = a.KEVCVEs
	r.Conditional = a.Conditional
	r.MissingUpdates = append(r.MissingUpdates, a.MissingUpdates...)
	r.Notes = append(r.Notes, a.Notes...)
	if !a.Known {
		r.Notes = append(r.Notes, "build "+r.Build+" is not in the knowledge base (newer than it, or not a released build)")
	}
	if r.Precision == "cu" && !slices.ContainsFunc(a.Notes, func(n string) bool { return strings.HasPrefix(n, "CU known") }) {
		r.Notes = append(r.Notes, fmt.Sprintf("CU known, security update unknown: %d CVEs depend on which security update is installed", len(a.SUDependentCVEs)))
	}
	r.Exposed = len(r.CVEs) > 0
}
