// Package emulator serves what an on-premises Microsoft Exchange front end
// answers to anonymous HTTP requests — for a chosen build, patched or not,
// with or without the CVE-2021-26855 SSRF behaviour, with or without planted
// web shells — plus a few non-Exchange and hostile servers, so that exhunt's
// scanner can be tested and benchmarked without ever leaving loopback.
//
// It binds only loopback addresses (127.0.0.0/8 and ::1) and refuses any
// other. It does not implement Exchange: there is no mailbox, no login, no
// back end; only the response shapes a remote scanner can observe. Each shape
// cites where the fact comes from (research notes in
// shared/research/remote-scanning.md and exchange-knowledge.md section C).
package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Kind selects what a host is.
type Kind int

const (
	Exchange        Kind = iota // an Exchange 2013+ front end (Config decides build and behaviour)
	NotExchange                 // plain IIS: start page at /, 404 elsewhere
	IISNTLM                     // IIS with Windows authentication: 401 NTLM everywhere (weak signal only)
	CatchAll                    // answers 200 with the same page for every path
	Slowloris                   // sends the status line and headers one byte at a time
	EndlessHeaders              // sends header lines forever
	EndlessBody                 // 200 with a body that never ends
	GzipBomb                    // 200, Content-Encoding gzip, small body that inflates to gigabytes
	RedirectLoop                // 302 to the same path, forever
	RedirectOffHost             // 302 to another host
	TLSStall                    // accepts TCP, never answers (stalls TLS handshakes and HTTP alike)
	Garbage                     // writes random bytes instead of HTTP, then closes
	Replay                      // answers with responses recorded from a real server (Config.Recorded)
)

var kindNames = map[Kind]string{
	Exchange: "exchange", NotExchange: "not-exchange", IISNTLM: "iis-ntlm", CatchAll: "catch-all",
	Slowloris: "slowloris", EndlessHeaders: "endless-headers", EndlessBody: "endless-body",
	GzipBomb: "gzip-bomb", RedirectLoop: "redirect-loop", RedirectOffHost: "redirect-off-host",
	TLSStall: "tls-stall", Garbage: "garbage", Replay: "replay",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// ParseKind maps a Kind name back to its value.
func ParseKind(s string) (Kind, error) {
	for k, n := range kindNames {
		if n == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("emulator: unknown kind %q", s)
}

// Config describes one emulated host.
type Config struct {
	Kind Kind
	// Build is the full four-part build, e.g. "15.1.2176.2" (Exchange 2016
	// CU19 RTM). Resource paths show only its first three parts, as real
	// Exchange 2013+ does (exchange-knowledge.md section C).
	Build string
	// VersionHeader sends X-OWA-Version with the full build; real servers do
	// so only since the July 2021 security updates (CERT.at, remote-scanning.md 3.4).
	VersionHeader bool
	// ManifestBuild is the version in the ECP export-tool ClickOnce
	// manifest; empty means Build. Setting it differently models the
	// "manifest carries the CU base build" uncertainty (a method conflict).
	ManifestBuild string
	// NoManifest answers 404 for the export-tool manifest (ECP not published).
	NoManifest bool
	// CurrentManifestMissing answers 404 under /ecp/Current/ only; the
	// versioned folder /ecp/<build>/exporttool/ still answers.
	CurrentManifestMissing bool
	// SSRF makes the front end honour the X-BEResource cookie and report the
	// back end it computed in X-CalculatedBETarget (CVE-2021-26855, the
	// behaviour Microsoft's http-vuln-cve2021-26855.nse tests).
	SSRF bool
	// SSRFMitigated aborts requests carrying X-AnonResource-Backend or a
	// malformed X-BEResource cookie, as EOMT's URL Rewrite rules do.
	SSRFMitigated bool
	// ProxyShell answers the CVE-2021-34473 autodiscover probe with 302 to
	// errorFE.aspx (vulnerable); otherwise with 400 (patched; CERT.at logic).
	ProxyShell bool
	// PNSMitigated aborts requests whose decoded URI contains both
	// "autodiscover" and "powershell" (EOMTv2's rule for CVE-2022-41040).
	PNSMitigated bool
	// ProxyToken answers the CVE-2021-33766 probe the way nuclei's template
	// expects from a vulnerable server.
	ProxyToken bool
	// FrownyXSS reflects the refurl parameter of /owa/auth/frowny.aspx
	// unencoded (CVE-2021-31195, nuclei's CVE-2021-31195.yaml); otherwise it
	// is not echoed, as after the May 2021 SU.
	FrownyXSS bool
	// WebShells are paths (e.g. "/aspnet_client/supp0rt.aspx") that answer
	// 200 like a China Chopper page does to a GET without parameters.
	WebShells []string
	// Computer and Domain name the server (X-FEServer, NTLM challenge,
	// certificate names). Defaults: EXCH01 and corp.local.
	Computer, Domain string
	// Delay is added before every response (a slow host).
	Delay time.Duration
	// RootRedirect makes / redirect to /owa/ (a common IIS HTTP Redirect
	// setting); otherwise / serves the IIS start page, as a fresh install does.
	RootRedirect bool
	// Recorded names the recorded host a Replay serves (see RecordedHosts).
	Recorded string
}

func (c *Config) computer() string {
	if c.Computer == "" {
		return "EXCH01"
	}
	return c.Computer
}

func (c *Config) domain() string {
	if c.Domain == "" {
		return "corp.local"
	}
	return c.Domain
}

// FQDN is the host name the emulated server believes it has.
func (c *Config) FQDN() string { return strings.ToLower(c.computer()) + "." + c.domain() }

// cuPath is the a.b.c form used in OWA resource paths.
func (c *Config) cuPath() string {
	p := strings.Split(c.Build, ".")
	if len(p) < 3 {
		return c.Build
	}
	return strings.Join(p[:3], ".")
}

// Handler returns the HTTP handler for an HTTP-speaking kind (Exchange,
// NotExchange, IISNTLM, CatchAll, RedirectLoop, RedirectOffHost, EndlessBody,
// GzipBomb, Replay). Raw-socket kinds are served by Serve.
func Handler(cfg Config) http.Handler {
	if cfg.Kind == Replay {
		return replayHandler(cfg.Recorded)
	}
	shells := make(map[string]bool, len(cfg.WebShells))
	for _, s := range cfg.WebShells {
		shells[strings.ToLower(s)] = true
	}
	h := &host{cfg: cfg, shells: shells}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cfg.Delay > 0 {
			t := time.NewTimer(cfg.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		// IIS answers every response with these (remote-scanning.md 1.7).
		w.Header().Set("Server", "Microsoft-IIS/10.0")
		w.Header().Set("X-Powered-By", "ASP.NET")
		switch cfg.Kind {
		case Exchange:
			h.exchange(w, r)
		case NotExchange:
			h.plainIIS(w, r)
		case IISNTLM:
			w.Header().Add("WWW-Authenticate", "Negotiate")
			w.Header().Add("WWW-Authenticate", "NTLM")
			http.Error(w, "401 - Unauthorized: Access is denied due to invalid credentials.", http.StatusUnauthorized)
		case CatchAll:
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, catchAllPage)
		case RedirectLoop:
			http.Redirect(w, r, r.URL.RequestURI(), http.StatusFound)
		case RedirectOffHost:
			http.Redirect(w, r, "http://127.0.0.254:1"+r.URL.RequestURI(), http.StatusFound)
		case EndlessBody:
			endlessBody(w, r)
		case GzipBomb:
			gzipBomb(w)
		default:
			http.Error(w, "not an HTTP kind", http.StatusInternalServerError)
		}
	})
}

type host struct {
	cfg    Config
	shells map[string]bool
}

const catchAllPage = "<html><head><title>Welcome</title></head><body><h1>It works</h1></body></html>\n"

func (h *host) plainIIS(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/" || strings.EqualFold(r.URL.Path, "/iisstart.htm") {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, iisStartPage)
		return
	}
	notFound(w)
}
