package scan

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"syscall"
)

// Probe documents one --active request: exactly what is sent, and what
// answer each probe calls vulnerable or not-vulnerable; every other answer
// is judged by the same rules for all probes (Verdicts).
type Probe struct {
	Check         string
	Request       string
	Vulnerable    string
	NotVulnerable string
}

// Probes lists the active probes in the order they run.
func Probes() []Probe {
	return []Probe{
		{"CVE-2021-26855", "GET " + pathSSRF + "  Cookie: " + cookieSSRF,
			"X-CalculatedBETarget names localhost (Microsoft's http-vuln-cve2021-26855.nse)",
			"an answer from Exchange without it"},
		{"CVE-2021-34473", "GET " + pathProxyShell + " (then " + pathProxyShellMAPI + " unless settled)",
			"302 to errorFE.aspx, OwaADUserNotFoundException or the MAPI endpoint page (Beaumont, CERT.at, nuclei)",
			"400 from Exchange (the patched front end rejects the path confusion)"},
		{"CVE-2022-41040", "GET " + pathProxyNotShell,
			"the path reaches the front end (302 or X-FEServer; EOMTv2's rule not in place) and the build lacks the Nov22SU fix",
			"it reaches the front end and the full build has the fix"},
		{"CVE-2021-33766", "GET /ecp/<random>@<random>.com/PersonalSettings/HomePage.aspx?showhelp=false  Cookie: SecurityToken=x",
			"403 with msgCode 403, ObjectNotFoundException and X-BEResource= (nuclei's ProxyToken template)",
			"404, 401 or a redirect to the logon page from Exchange"},
		{"CVE-2021-31195", "GET " + pathFrowny,
			"the 500 error page echoes refurl unencoded next to mail/bootr.ashx (nuclei's template; a reflected XSS, nothing runs on the server)",
			"a 500 error page from Exchange without the echo"},
	}
}

// Verdicts defines, once for every probe, what each result means. They
// are applied in this order to each probe's answer.
func Verdicts() []struct{ Result, Meaning string } {
	return []struct{ Result, Meaning string }{
		{Blocked, "the connection was closed without an answer (a URL Rewrite AbortRequest rule such as EOMT's, or a filtering proxy), or the answer lacks the Exchange headers (X-FEServer, X-OWA-Version, ...) that this host's other answers carry: something in front answered, the request did not reach Exchange"},
		{Inconclusive, "a network error or timeout"},
		{Vulnerable, "the probe's own vulnerable answer (listed per probe)"},
		{NotVulnerable, "the probe's own patched answer, from Exchange itself (it carries Exchange's headers)"},
		{Inconclusive, "anything else: neither answer, or an answer that cannot be told from a proxy's because this host never sent Exchange headers (Exchange 2010, a proxy that strips them)"},
	}
}

// The requests. Only GETs of static or error pages; never proxyLogon.ecp,
// DDIService, OAB or PowerShell calls (nuclei's CVE-2021-26857 template
// writes a file on its target: exhunt never runs chain steps).
const (
	pathSSRF   = "/owa/auth/x.js"
	cookieSSRF = "X-AnonResource=true; X-AnonResource-Backend=localhost/ecp/default.flt?~3; X-BEResource=localhost/owa/auth/logon.aspx?~3;"
	// ProxyShell, CVE-2021-34473 (GossiTheDog http-vuln-exchange-proxyshell.nse, CERT.at, nuclei).
	pathProxyShell     = "/autodiscover/autodiscover.json?@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com"
	pathProxyShellMAPI = "/autodiscover/autodiscover.json?@test.com/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@test.com"
	// ProxyNotShell, CVE-2022-41040 (nuclei CVE-2022-41040.yaml, CronUp proxynotshell_checker.nse).
	pathProxyNotShell = "/autodiscover/autodiscover.json?a@foo.var/owa/&Email=autodiscover/autodiscover.json?a@foo.var&Protocol=XYZ&FooProtocol=Powershell"
	// OWA reflected XSS, CVE-2021-31195 (nuclei CVE-2021-31195.yaml, percent-encoded).
	pathFrowny = "/owa/auth/frowny.aspx?app=people&et=ServerError&esrc=MasterPage&te=%5C&refurl=%7D%7D%7D%3Balert(document.domain)%2F%2F"
	frownyEcho = "alert(document.domain)//&et=ServerError"
)

// aborted is how IIS's URL Rewrite AbortRequest looks from the client.
func aborted(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "connection reset") ||
		strings.Contains(err.Error(), "server closed") || strings.Contains(err.Error(), "EOF")
}

// probe is one probe's own two answers; judge applies Verdicts around them.
type probe struct {
	check      string
	vulnerable func(*response) (string, bool)
	patched    func(*response) (string, bool)
}

// judge applies Verdicts to one answer. marked says whether this host's
// answers carry Exchange headers, so that one without them is a proxy's.
func judge(p probe, request string, marked bool, resp *response, err error) Check {
	c := Check{Check: p.check, Request: request}
	switch {
	case err != nil && aborted(err):
		c.Result, c.Evidence = Blocked, "connection closed without an answer (a URL Rewrite AbortRequest rule such as EOMT's, or a filtering proxy): "+err.Error()
		return c
	case err != nil:
		c.Result, c.Evidence = Inconclusive, err.Error()
		return c
	}
	if ev, ok := p.vulnerable(resp); ok {
		c.Result, c.Evidence = Vulnerable, ev
		return c
	}
	exch := fromExchange(resp)
	switch {
	case marked && !exch:
		c.Result, c.Evidence = Blocked, fmt.Sprintf("%d without the Exchange headers this host's other answers carry: a proxy or rule in front answered", resp.Status)
	case exch:
		if ev, ok := p.patched(resp); ok {
			c.Result, c.Evidence = NotVulnerable, ev
			return c
		}
		c.Result, c.Evidence = Inconclusive, fmt.Sprintf("%d from Exchange, neither the vulnerable nor the patched answer", resp.Status)
	default:
		c.Result, c.Evidence = Inconclusive, fmt.Sprintf("%d; this host sends no Exchange headers, so Exchange's answer cannot be told from a proxy's", resp.Status)
	}
	return c
}

func (s *Scanner) active(ctx context.Context, ss *session, r *Result) {
	run := func(p probe, path string, hdr map[string]string, limit int64) Check {
		req := "GET " + ss.base + path
		for k, v := range hdr {
			req += "  " + k + ": " + v
		}
		resp, err := ss.get(ctx, path, hdr, limit)
		return judge(p, req, r.marked, resp, err)
	}
	r.Active = append(r.Active, run(probeSSRF, pathSSRF, map[string]string{"Cookie": cookieSSRF}, 16<<10))

	c := run(probeProxyShell, pathProxyShell, nil, 16<<10)
	if c.Result == Inconclusive {
		if c2 := run(probeProxyShell, pathProxyShellMAPI, nil, 16<<10); c2.Result == Vulnerable || c2.Result == NotVulnerable {
			c = c2
		}
	}
	r.Active = append(r.Active, c)
	r.Active = append(r.Active, run(probeProxyNotShell(r), pathProxyNotShell, nil, 16<<10))
	p := "/ecp/" + randHex(6) + "@" + randHex(3) + ".com/PersonalSettings/HomePage.aspx?showhelp=false"
	r.Active = append(r.Active, run(probeProxyToken, p, map[string]string{"Cookie": "SecurityToken=x"}, 32<<10))
	r.Active = append(r.Active, run(probeFrowny, pathFrowny, nil, 64<<10))
}

var probeSSRF = probe{
	check: "CVE-2021-26855",
	vulnerable: func(resp *response) (string, bool) {
		if v := resp.Header.Get("X-CalculatedBETarget"); strings.Contains(strings.ToLower(v), "localhost") {
			return fmt.Sprintf("%d, X-CalculatedBETarget: %s", resp.Status, clip(v)), true
		}
		return "", false
	},
	patched: func(resp *response) (string, bool) {
		return fmt.Sprintf("%d, no X-CalculatedBETarget naming localhost", resp.Status), true
	},
}

var probeProxyShell = probe{
	check: "CVE-2021-34473",
	vulnerable: func(resp *response) (string, bool) {
		switch {
		case containsAny(resp.Body, "OwaADUserNotFoundException", "Exchange MAPI/HTTP Connectivity Endpoint"):
			return fmt.Sprintf("%d, the back end answered: %s", resp.Status, firstOf(resp.Body, "OwaADUserNotFoundException", "Exchange MAPI/HTTP Connectivity Endpoint")), true
		case resp.Status == 302 && strings.Contains(strings.ToLower(resp.Header.Get("Location")), "errorfe.aspx"):
			return "302, Location: " + clip(resp.Header.Get("Location")), true
		}
		return "", false
	},
	patched: func(resp *response) (string, bool) {
		if resp.Status == 400 {
			return "400 Bad Request (the patched front end rejects the path confusion)", true
		}
		return "", false
	},
}

// probeProxyNotShell confirms that the SSRF path reaches the front end
// (EOMTv2's rule is not in place); whether the host is then exposed is
// the build's to say.
func probeProxyNotShell(r *Result) probe {
	const cve = "CVE-2022-41040"
	reached := func(resp *response) bool { return resp.Status == 302 || resp.Header.Get("X-FEServer") != "" }
	how := func(resp *response) string {
		return fmt.Sprintf("%d, X-FEServer: %s: the autodiscover SSRF path reaches the front end", resp.Status, clip(resp.Header.Get("X-FEServer")))
	}
	return probe{
		check: cve,
		vulnerable: func(resp *response) (string, bool) {
			if reached(resp) && slices.Contains(r.CVEs, cve) {
				return how(resp) + " and build " + r.Build + " lacks the fix", true
			}
			return "", false
		},
		patched: func(resp *response) (string, bool) {
			if reached(resp) && r.Build != "" && r.Precision == "full" && r.Product != "" &&
				!slices.Contains(r.CVEs, cve) && !slices.Contains(r.SUDependentCVEs, cve) {
				return how(resp) + " but build " + r.Build + " has the fix", true
			}
			return "", false
		},
	}
}

var probeProxyToken = probe{
	check: "CVE-2021-33766",
	vulnerable: func(resp *response) (string, bool) {
		if resp.Status == 403 && containsAny(resp.Body, `<span id="msgCode">403</span>`) && containsAny(resp.Body, "function signOut() {") &&
			headerHas(resp, "Microsoft.Exchange.Data.Storage.ObjectNotFoundException") && headerHas(resp, "X-BEResource=") {
			return "403 from the back end with ObjectNotFoundException: the SecurityToken cookie skipped front-end authentication", true
		}
		return "", false
	},
	patched: func(resp *response) (string, bool) {
		switch {
		case resp.Status == 404 || resp.Status == 401:
			return fmt.Sprintf("%d from Exchange", resp.Status), true
		case resp.Status == 302 && isLogonRedirect(resp.Header.Get("Location"), ""):
			return "302 to the logon page: the front end asked for a login", true
		}
		return "", false
	},
}

var probeFrowny = probe{
	check: "CVE-2021-31195",
	vulnerable: func(resp *response) (string, bool) {
		if resp.Status == 500 && containsAny(resp.Body, frownyEcho) && containsAny(resp.Body, "mail/bootr.ashx") &&
			strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
			return "500 page echoes the refurl script unencoded next to mail/bootr.ashx", true
		}
		return "", false
	},
	patched: func(resp *response) (string, bool) {
		if resp.Status == 500 {
			return "500 error page without the unencoded echo", true
		}
		return "", false
	},
}

func headerHas(resp *response, s string) bool {
	for k, vs := range resp.Header {
		for _, v := range vs {
			if strings.Contains(k+": "+v, s) {
				return true
			}
		}
	}
	return false
}

func containsAny(b []byte, ss ...string) bool {
	return firstOf(b, ss...) != ""
}

func firstOf(b []byte, ss ...string) string {
	for _, s := range ss {
		if strings.Contains(string(b), s) {
			return s
		}
	}
	return ""
}

func clip(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
