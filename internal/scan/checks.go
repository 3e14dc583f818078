package scan

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
)

// Probe documents one --active request: exactly what is sent and how the
// answer is judged. None writes, executes, logs in or calls back.
type Probe struct {
	Check   string
	Request string
	Judge   string
}

// Probes lists the active probes in the order they run.
func Probes() []Probe {
	return []Probe{
		{"CVE-2021-26855", "GET " + pathSSRF + "  Cookie: " + cookieSSRF,
			"vulnerable if X-CalculatedBETarget contains localhost (Microsoft's http-vuln-cve2021-26855.nse); connection aborted = mitigated (EOMT rewrite rule)"},
		{"CVE-2021-34473", "GET " + pathProxyShell + " (then " + pathProxyShellMAPI + " if inconclusive)",
			"vulnerable on 302 to errorFE.aspx, OwaADUserNotFoundException or the MAPI endpoint page (Beaumont, CERT.at, nuclei); 400 = patched; anything else inconclusive"},
		{"CVE-2022-41040", "GET " + pathProxyNotShell,
			"reachable (EOMTv2 mitigation absent) on 302 or X-FEServer; connection aborted = blocked; exposure then follows the build"},
		{"CVE-2021-33766", "GET /ecp/<random>@<random>.com/PersonalSettings/HomePage.aspx?showhelp=false  Cookie: SecurityToken=x",
			"vulnerable on 403 with msgCode 403, ObjectNotFoundException and X-BEResource= (nuclei's ProxyToken template); 404 = not vulnerable"},
		{"CVE-2021-31195", "GET " + pathFrowny,
			"vulnerable if the 500 error page echoes refurl unencoded next to mail/bootr.ashx (nuclei's template; a reflected XSS, nothing runs on the server)"},
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

func (s *Scanner) active(ctx context.Context, ss *session, r *Result) {
	r.Active = append(r.Active,
		checkSSRF(ss.get(ctx, pathSSRF, map[string]string{"Cookie": cookieSSRF}, 16<<10)))

	c := checkProxyShell(ss.get(ctx, pathProxyShell, nil, 16<<10))
	c.Request = "GET " + pathProxyShell
	if c.Result == Inconclusive {
		c2 := checkProxyShell(ss.get(ctx, pathProxyShellMAPI, nil, 16<<10))
		if c2.Result == Vulnerable || c2.Result == NotVulnerable {
			c = c2
			c.Request = "GET " + pathProxyShellMAPI
		}
	}
	r.Active = append(r.Active, c)
	r.Active = append(r.Active, checkProxyNotShell(ss.get(ctx, pathProxyNotShell, nil, 16<<10)))

	p := "/ecp/" + randHex(6) + "@" + randHex(3) + ".com/PersonalSettings/HomePage.aspx?showhelp=false"
	c = checkProxyToken(ss.get(ctx, p, map[string]string{"Cookie": "SecurityToken=x"}, 32<<10))
	c.Request = "GET " + p + "  Cookie: SecurityToken=x"
	r.Active = append(r.Active, c)
	r.Active = append(r.Active, checkFrowny(ss.get(ctx, pathFrowny, nil, 64<<10)))
}

func checkFrowny(resp *response, err error) Check {
	c := Check{Check: "CVE-2021-31195", Request: "GET " + pathFrowny}
	switch {
	case err != nil:
		c.Result, c.Evidence = Inconclusive, err.Error()
	case resp.Status == 500 && containsAny(resp.Body, frownyEcho) && containsAny(resp.Body, "mail/bootr.ashx") &&
		strings.Contains(resp.Header.Get("Content-Type"), "text/html"):
		c.Result, c.Evidence = Vulnerable, "500 page echoes the refurl script unencoded next to mail/bootr.ashx"
	case resp.Status == 500 || resp.Status == 404 || resp.Status == 302 || resp.Status == 400:
		c.Result, c.Evidence = NotVulnerable, fmt.Sprintf("%d without the unencoded echo", resp.Status)
	default:
		c.Result, c.Evidence = Inconclusive, fmt.Sprintf("%d", resp.Status)
	}
	return c
}

func checkSSRF(resp *response, err error) Check {
	c := Check{Check: "CVE-2021-26855", Request: "GET " + pathSSRF + "  Cookie: " + cookieSSRF}
	switch {
	case err != nil && aborted(err):
		c.Result, c.Evidence = Mitigated, "connection aborted without a response (EOMT's X-BEResource rewrite rule does this): "+err.Error()
	case err != nil:
		c.Result, c.Evidence = Inconclusive, err.Error()
	case strings.Contains(strings.ToLower(resp.Header.Get("X-CalculatedBETarget")), "localhost"):
		c.Result, c.Evidence = Vulnerable, fmt.Sprintf("%d, X-CalculatedBETarget: %s", resp.Status, clip(resp.Header.Get("X-CalculatedBETarget")))
	default:
		c.Result, c.Evidence = NotVulnerable, fmt.Sprintf("%d, no X-CalculatedBETarget naming localhost", resp.Status)
	}
	return c
}

func checkProxyShell(resp *response, err error) Check {
	c := Check{Check: "CVE-2021-34473"}
	switch {
	case err != nil:
		c.Result, c.Evidence = Inconclusive, err.Error()
	case containsAny(resp.Body, "OwaADUserNotFoundException", "Exchange MAPI/HTTP Connectivity Endpoint") ||
		resp.Status == 302 && strings.Contains(strings.ToLower(resp.Header.Get("Location")), "errorfe.aspx"):
		c.Result, c.Evidence = Vulnerable, fmt.Sprintf("%d, Location: %s", resp.Status, clip(resp.Header.Get("Location")))
	case resp.Status == 302:
		// Beaumont's script calls any 302 vulnerable; a reverse proxy that
		// sends everything to a login page does that too.
		c.Result, c.Evidence = Inconclusive, fmt.Sprintf("302 to %s, not errorFE.aspx (a proxy in front?)", clip(resp.Header.Get("Location")))
	case resp.Status == 400:
		c.Result, c.Evidence = NotVulnerable, "400 Bad Request (patched front end rejects the path confusion)"
	default:
		c.Result, c.Evidence = Inconclusive, fmt.Sprintf("%d (neither 302 nor 400; CERT.at saw 401 often)", resp.Status)
	}
	return c
}

func checkProxyNotShell(resp *response, err error) Check {
	c := Check{Check: "CVE-2022-41040", Request: "GET " + pathProxyNotShell}
	switch {
	case err != nil && aborted(err):
		c.Result, c.Evidence = Blocked, "connection aborted (EOMTv2's autodiscover+powershell rewrite rule does this)"
	case err != nil:
		c.Result, c.Evidence = Inconclusive, err.Error()
	case resp.Status == 302 || resp.Header.Get("X-FEServer") != "":
		c.Result, c.Evidence = Reachable, fmt.Sprintf("%d, X-FEServer: %s; the autodiscover SSRF path is not blocked, exposure follows the build", resp.Status, clip(resp.Header.Get("X-FEServer")))
	default:
		c.Result, c.Evidence = Blocked, fmt.Sprintf("%d without X-FEServer (a proxy or rule in front answers)", resp.Status)
	}
	return c
}

func checkProxyToken(resp *response, err error) Check {
	c := Check{Check: "CVE-2021-33766"}
	switch {
	case err != nil:
		c.Result, c.Evidence = Inconclusive, err.Error()
	case resp.Status == 403 && containsAny(resp.Body, `<span id="msgCode">403</span>`) && containsAny(resp.Body, "function signOut() {") &&
		headerHas(resp, "Microsoft.Exchange.Data.Storage.ObjectNotFoundException") && headerHas(resp, "X-BEResource="):
		c.Result, c.Evidence = Vulnerable, "403 from the back end with ObjectNotFoundException: the SecurityToken cookie skipped front-end authentication"
	case resp.Status == 404 || resp.Status == 302 || resp.Status == 401:
		c.Result, c.Evidence = NotVulnerable, fmt.Sprintf("%d", resp.Status)
	default:
		c.Result, c.Evidence = Inconclusive, fmt.Sprintf("%d", resp.Status)
	}
	return c
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
	for _, s := range ss {
		if strings.Contains(string(b), s) {
			return true
		}
	}
	return false
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
