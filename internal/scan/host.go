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
	r = &Result{Type: "host", Target: t.Input, Port: t.Port, BuildMethods: []BuildMethod{}, CVEs: []string{},
		MissingUpdates: []string{}, Active: []Check{}, WebShells: []WebShell{}, addr: joinHostPort(t.Host, t.Port)}
	if r.Target == "" {
		r.Target = r.addr
	}
	defer func() {
		if p := recover(); p != nil { // a bug must cost one host, not the scan
			r.Error = fmt.Sprintf("internal error: %v", p)
			r.Exchange, r.ExchangeState = false, ""
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
	fellBack := ""
	for attempt := 0; ; attempt++ {
		r.Scheme = scheme
		ss = s.newSession(t, netip.AddrPortFrom(addr, uint16(t.Port)), scheme, lim, &r.Requests)
		err = s.fingerprint(ctx, ss, r)
		if err == nil {
			break
		}
		ss.close()
		if scheme == "https" && t.Scheme == "" && fellBack == "" && notTLS(err) {
			// The help promises it: a host:port that does not speak TLS is
			// asked again in plain HTTP, not counted as a retry.
			fellBack = err.Error()
			scheme = "http"
			attempt--
			*r = Result{Type: r.Type, Target: r.Target, IP: r.IP, Port: r.Port, BuildMethods: []BuildMethod{}, CVEs: []string{},
				MissingUpdates: []string{}, Active: []Check{}, WebShells: []WebShell{}, addr: r.addr, Requests: r.Requests}
			continue
		}
		if attempt >= s.cfg.Retries || !retryable(err) || ctx.Err() != nil {
			r.Error = err.Error()
			if ctx.Err() != nil && !strings.Contains(r.Error, "timeout") {
				r.Error = "host time budget spent: " + r.Error
			}
			if fellBack != "" {
				r.Error += " (HTTPS failed first: " + fellBack + ")"
			}
			r.ExchangeState, r.Signals = "", nil
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
	r.URL = ss.url()
	if fellBack != "" {
		r.Notes = append(r.Notes, "the port does not speak TLS ("+fellBack+"): scanned in plain HTTP")
	}
	if r.Exchange {
		r.Build, r.Precision, r.Conflicts = chooseBuild(r.BuildMethods)
		s.assess(r)
	} else if r.ExchangeState == StateUnidentified {
		r.Build, r.Precision, r.Conflicts = chooseBuild(r.BuildMethods)
	}
	if s.cfg.Active && r.Exchange {
		s.active(ctx, ss, r)
	}
	if s.cfg.WebShells && r.Exchange || s.cfg.WebShellsAll {
		s.webshells(ctx, ss, r)
	}
	if ctx.Err() != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("host time budget (%v) spent: later checks were skipped", s.cfg.HostTimeout))
	}
	if r.Requests >= maxHostRequests {
		r.Notes = append(r.Notes, errBudget.Error()+": later checks were skipped")
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

// Product lines before Exchange 2013 and when they left extended support
// (Microsoft lifecycle policy): no fix exists for any wave since, and the
// knowledge base may not cover their builds.
var legacyLines = map[string]struct{ product, eos string }{
	"14":  {"Exchange Server 2010", "2020-10-13"},
	"8":   {"Exchange Server 2007", "2017-04-11"},
	"6.5": {"Exchange Server 2003", "2014-04-08"},
}

// legacyLine returns the pre-2013 product line of a build, if it is one.
func legacyLine(build string) (product, sp, eos string, ok bool) {
	parts := strings.Split(build, ".")
	if len(parts) < 2 {
		return "", "", "", false
	}
	l, ok := legacyLines[parts[0]]
	if !ok {
		l, ok = legacyLines[parts[0]+"."+parts[1]]
	}
	if !ok {
		return "", "", "", false
	}
	if parts[0] == "14" || parts[0] == "8" {
		sp = "RTM"
		if parts[1] != "0" {
			sp = "SP" + parts[1]
		}
	}
	return l.product, sp, l.eos, true
}

// assess asks the knowledge base about the chosen build. A build of a
// product line before Exchange 2013 is exposed: it is out of support, no
// security update has existed for it since, and none of the later waves
// was ever assessed for it, so "no known CVE" would be a false all-clear.
func (s *Scanner) assess(r *Result) {
	if r.Build == "" {
		return
	}
	product, sp, eos, legacy := legacyLine(r.Build)
	var a Assessment
	var err error
	if s.cfg.Assessor != nil {
		a, err = s.cfg.Assessor.Assess(r.Build)
	}
	switch {
	case s.cfg.Assessor == nil && !legacy:
		return
	case err != nil && !legacy:
		r.Notes = append(r.Notes, "knowledge base: "+err.Error())
		return
	case err != nil || s.cfg.Assessor == nil:
		r.Product, r.CU = product, sp
		r.Notes = append(r.Notes, "the knowledge base does not cover "+product+" builds; judged by its lifecycle")
	default:
		r.Product, r.CU, r.Update = a.Product, a.CU, a.Update
		if r.Product == "" {
			r.Product = product
		}
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
	}
	// The knowledge base's verdict: a CVE, or a product Microsoft no longer
	// fixes. Without it, a pre-2013 line is judged by its lifecycle.
	r.Exposed = len(r.CVEs) > 0 || a.Exposed
	if legacy && (err != nil || s.cfg.Assessor == nil) {
		r.Exposed = true
		r.Notes = append(r.Notes, fmt.Sprintf("exposed: %s left extended support on %s; no security update exists for the waves since (ProxyLogon's CVE-2021-26857 aside), so the lack of listed CVEs is not an all-clear; move to Exchange Server SE", product, eos))
	}
}
