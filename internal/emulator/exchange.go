package emulator

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// exchange routes one request the way an Exchange 2013+ front end (IIS +
// HttpProxy) answers it anonymously. IIS paths are case-insensitive.
func (h *host) exchange(w http.ResponseWriter, r *http.Request) {
	cfg := &h.cfg
	p := strings.ToLower(r.URL.Path)
	hd := w.Header()
	// Responses that pass through HttpProxy name the front end
	// (remote-scanning.md 1.7: X-FEServer); the logon page and static files
	// are served by the front end itself and do not (a real Exchange 2019
	// CU9 logon.aspx in a nuclei report carries Request-Id but no
	// X-FEServer, recorded/ex2019cu9-nuclei). Exchange 2010 has no
	// HttpProxy and never sends it. Every answer carries a request-id.
	hd.Set("request-id", newRequestID())
	proxied := cfg.proxied(p)
	if proxied && !cfg.is2010() {
		hd.Set("X-FEServer", strings.ToUpper(cfg.computer()))
	}

	if cfg.SSRFMitigated && ssrfCookie(r) {
		// EOMT's rewrite rules use action AbortRequest: IIS drops the
		// connection without a response (exchange-knowledge.md A2).
		abort(w)
		return
	}
	if cfg.PNSMitigated {
		u, _ := url.QueryUnescape(r.URL.RequestURI())
		lu := strings.ToLower(u)
		if strings.Contains(lu, "autodiscover") && strings.Contains(lu, "powershell") {
			abort(w) // EOMTv2 rule "PowerShell - inbound" (exchange-knowledge.md A2)
			return
		}
	}
	if h.shells[p] {
		// A China Chopper page (<%@ Page Language="Jscript"%><%eval(Request.Item["p"],"unsafe");%>)
		// renders an empty 200 to a GET without its parameter.
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("X-AspNet-Version", "4.0.30319")
		w.WriteHeader(http.StatusOK)
		return
	}
	if be := beResource(r); be != "" && cfg.SSRF {
		// CVE-2021-26855: the front end takes the back end from the
		// X-BEResource cookie and reports it in X-CalculatedBETarget;
		// Microsoft's NSE says VULNERABLE when that header contains
		// "localhost" (remote-scanning.md 3.2).
		hd.Set("X-CalculatedBETarget", be)
		hd.Set("X-BEServer", be)
		http.Error(w, "NegotiateSecurityContext failed with for host '"+be+"' with status 'TargetUnknown'", http.StatusInternalServerError)
		return
	}
	if cfg.VersionHeader && (proxied || p == "/owa/auth/logon.aspx") {
		hd.Set("X-OWA-Version", cfg.Build)
	}

	switch {
	case p == "/":
		if cfg.RootRedirect {
			http.Redirect(w, r, "/owa/", http.StatusFound)
			return
		}
		hd.Set("Content-Type", "text/html")
		fmt.Fprint(w, iisStartPage)
	case p == "/owa" || p == "/owa/":
		// /owa/ redirects anonymous users to the forms logon page.
		http.Redirect(w, r, "/owa/auth/logon.aspx?url="+url.QueryEscape(selfURL(r)+"/owa/")+"&reason=0", http.StatusFound)
	case p == "/owa/auth/logon.aspx":
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("X-AspNet-Version", "4.0.30319")
		if cfg.is2010() {
			fmt.Fprint(w, logonPage2010(cfg.Build))
			return
		}
		fmt.Fprint(w, logonPage(cfg.cuPath()))
	case strings.HasPrefix(p, "/owa/auth/"+cfg.cuPath()+"/"), cfg.is2010() && strings.HasPrefix(p, "/owa/"+cfg.Build+"/"):
		hd.Set("Content-Type", "application/octet-stream")
		fmt.Fprint(w, "/* static */")
	case p == "/ecp" || p == "/ecp/" || p == "/ecp/default.aspx":
		http.Redirect(w, r, "/owa/auth/logon.aspx?url="+url.QueryEscape(selfURL(r)+"/ecp/")+"&reason=0", http.StatusFound)
	case p == "/ecp/current/exporttool/microsoft.exchange.ediscovery.exporttool.application",
		p == "/ecp/"+strings.ToLower(cfg.Build)+"/exporttool/microsoft.exchange.ediscovery.exporttool.application":
		if cfg.NoManifest || cfg.is2010() || cfg.CurrentManifestMissing && strings.HasPrefix(p, "/ecp/current/") {
			notFound(w)
			return
		}
		mb := cfg.ManifestBuild
		if mb == "" {
			mb = cfg.Build
		}
		// Served anonymously (DFIR HttpProxy sample, exchange-knowledge.md C).
		hd.Set("Content-Type", "application/x-ms-application")
		fmt.Fprint(w, exportToolManifest(mb))
	case p == "/owa/auth/frowny.aspx":
		h.frowny(w, r)
	case p == "/autodiscover/autodiscover.json":
		h.autodiscoverJSON(w, r)
	case p == "/autodiscover/autodiscover.xml", strings.HasPrefix(p, "/ews/"), strings.HasPrefix(p, "/mapi/"),
		strings.HasPrefix(p, "/rpc/"), p == "/oab/", p == "/microsoft-server-activesync":
		h.unauthorized(w, r)
	case strings.HasPrefix(p, "/ecp/") && strings.Contains(p, "@") && strings.HasSuffix(p, "/personalsettings/homepage.aspx"):
		h.proxyToken(w, r)
	default:
		notFound(w)
	}
}

// proxied reports whether Exchange's HttpProxy front end answers path p
// (lower case): every virtual directory but OWA's own logon page and
// static theme files.
func (c *Config) proxied(p string) bool {
	if p == "/owa/auth/logon.aspx" || strings.HasPrefix(p, "/owa/auth/"+c.cuPath()+"/") || strings.HasPrefix(p, "/owa/"+c.Build+"/") {
		return false
	}
	for _, vd := range []string{"/owa", "/ecp", "/ews", "/autodiscover", "/mapi", "/rpc", "/oab", "/microsoft-server-activesync", "/powershell"} {
		if p == vd || strings.HasPrefix(p, vd+"/") {
			return true
		}
	}
	return false
}

// is2010: an Exchange 2010 build (14.x): full build in /owa/<build>/
// resource paths, no HttpProxy.
func (c *Config) is2010() bool { return strings.HasPrefix(c.Build, "14.") }

// unauthorized answers the Windows-authenticated virtual directories: 401
// with Negotiate and NTLM; an NTLM Type 1 gets a Type 2 challenge that
// names the server (nuclei ntlm-directories, nmap http-ntlm-info).
func (h *host) unauthorized(w http.ResponseWriter, r *http.Request) {
	if t1, ok := strings.CutPrefix(r.Header.Get("Authorization"), "NTLM "); ok {
		if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(t1)); err == nil && len(b) >= 12 && string(b[:8]) == "NTLMSSP\x00" {
			w.Header().Set("WWW-Authenticate", "NTLM "+base64.StdEncoding.EncodeToString(ChallengeMessage(h.cfg.computer(), h.cfg.domain())))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
	}
	w.Header().Add("WWW-Authenticate", "Negotiate")
	w.Header().Add("WWW-Authenticate", "NTLM")
	if strings.EqualFold(r.URL.Path, "/autodiscover/autodiscover.xml") {
		w.Header().Add("WWW-Authenticate", `Basic realm="`+r.Host+`"`)
	}
	w.WriteHeader(http.StatusUnauthorized)
}

// autodiscoverJSON answers the ProxyShell and ProxyNotShell probes.
// ProxyShell (CVE-2021-34473): 302 to errorFE.aspx when vulnerable, 400 once
// patched (Beaumont, CERT.at; nuclei matches OwaADUserNotFoundException).
// ProxyNotShell (CVE-2022-41040): without EOMTv2's rule the request reaches
// the front end and is redirected with X-FEServer set (CronUp's NSE).
func (h *host) autodiscoverJSON(w http.ResponseWriter, r *http.Request) {
	q := r.URL.RawQuery
	if !strings.Contains(q, "@") {
		h.unauthorized(w, r)
		return
	}
	pns := strings.Contains(strings.ToLower(q), "powershell")
	if !pns && !h.cfg.ProxyShell {
		http.Error(w, "Bad Request", http.StatusBadRequest)
		return
	}
	loc := "/owa/auth/errorFE.aspx?httpCode=500&msg=2&owaError=Microsoft.Exchange.Clients.Owa2.Server.Core.OwaADUserNotFoundException&owaVer=" + h.cfg.Build
	w.Header().Set("Location", loc)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusFound)
	fmt.Fprintf(w, "<html><head><title>Object moved</title></head><body><h2>Object moved to <a href=\"%s\">here</a>.</h2></body></html>\n", loc)
}

// proxyToken answers nuclei's CVE-2021-33766 request: a vulnerable ECP
// reaches the back end and fails with ObjectNotFoundException; a patched one
// answers 404 (nuclei-templates http/cves/2021/CVE-2021-33766.yaml).
func (h *host) proxyToken(w http.ResponseWriter, r *http.Request) {
	if !h.cfg.ProxyToken {
		notFound(w)
		return
	}
	w.Header().Set("X-ECP-ERROR", "Microsoft.Exchange.Data.Storage.ObjectNotFoundException")
	http.SetCookie(w, &http.Cookie{Name: "X-BEResource", Value: h.cfg.FQDN() + "~1942062522", Path: "/ecp"})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprint(w, `<html><head><script>function signOut() { window.location.href = "/owa/logoff.owa"; }</script></head><body><span id="msgCode">403</span></body></html>`)
}

func ssrfCookie(r *http.Request) bool {
	c := r.Header.Get("Cookie")
	return strings.Contains(strings.ToLower(c), "x-anonresource-backend") || beResource(r) != ""
}

// beResource returns the host part of an X-BEResource cookie of the form
// host/path~version, the shape the SSRF needs.
func beResource(r *http.Request) string {
	for _, c := range r.Cookies() {
		if !strings.EqualFold(c.Name, "X-BEResource") {
			continue
		}
		v := c.Value
		if i := strings.Index(v, "~"); i >= 0 {
			v = v[:i]
		}
		if i := strings.Index(v, "/"); i >= 0 {
			return v[:i]
		}
		return v
	}
	return ""
}

func selfURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func notFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprint(w, iis404Page)
}

// abort closes the connection without an HTTP response.
func abort(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			c.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// frowny answers OWA's error page the way nuclei's CVE-2021-31195 template
// expects: 500, text/html, the refurl parameter echoed into a script next to
// mail/bootr.ashx; a patched server does not echo it.
func (h *host) frowny(w http.ResponseWriter, r *http.Request) {
	ref := r.URL.Query().Get("refurl")
	if !h.cfg.FrownyXSS {
		ref = "" // patched: the parameter is no longer echoed
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, "<html><head><script>var a = \"/owa/auth/errorfe.aspx?refurl=%s&et=ServerError\"; var b = \"/owa/auth/%s/scripts/mail/bootr.ashx\";</script></head><body>:-(</body></html>", ref, h.cfg.cuPath())
}
