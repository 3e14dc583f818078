package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Requests the fingerprint may send (all anonymous GETs), relative to the
// target's base path.
const (
	pathLogon       = "/owa/auth/logon.aspx"
	pathAutodiscXML = "/autodiscover/autodiscover.xml"
	pathManifest    = "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application"
	pathEWS         = "/EWS/Exchange.asmx"
	pathActiveSync  = "/Microsoft-Server-ActiveSync"
	pathECP         = "/ecp/"
	pathRPC         = "/rpc/"
	pathMAPI        = "/mapi/"
	pathBaseline    = "/exhunt-<random>"
)

// Build-reading methods, best first.
const (
	MethodHeader   = "x-owa-version"       // full build, since the July 2021 SUs (CERT.at)
	MethodManifest = "exporttool-manifest" // full build from ECP's ClickOnce manifest (righel, Metasploit)
	MethodPath     = "owa-resource-path"   // a.b.c from /owa/auth/<build>/ (nuclei, Beaumont); a.b.c.d on 2010
	MethodFolder   = "ecp-version-folder"  // a.b.c.d whose /ecp/<build>/exporttool/ folder exists (Metasploit, righel)
)

// maxCandidates bounds the ECP folder probes per host.
const maxCandidates = 40

// doorKind says how a door's answer is read.
type doorKind int

const (
	doorPage       doorKind = iota // a page: OWA logon form, resource paths (the given path, the logon page, /)
	doorBaseline                   // a random name: what this host answers for nothing
	doorOWA                        // /owa, /owa/: a real server redirects to its logon page
	doorECP                        // /ecp/: a real server redirects to the OWA logon page for ECP
	doorActiveSync                 // 401 asking for Basic/Bearer credentials
	doorNTLM                       // 401 with an NTLM CHALLENGE to our anonymous NEGOTIATE
	doorManifest                   // the export tool's ClickOnce manifest: the full build
)

// Door is one way a real Exchange shows itself to an anonymous client.
// Doors lists them in the order the fingerprint asks.
type Door struct {
	Path string // under the target's base path
	What string // what a real Exchange answers there
	kind doorKind
	ntlm bool // sent with an anonymous NTLM NEGOTIATE
}

// Doors returns the requests the fingerprint may send after the logon page
// (and the target's own path, when it has one), in order. It stops at the
// first door that settles the host as Exchange, then asks only what adds
// to the result (NTLM names, the manifest's build).
func Doors() []Door {
	return []Door{
		{pathBaseline, "a random name, to tell Exchange doors from a server that answers every path alike", doorBaseline, false},
		{"/", "often a redirect to /owa/ (IIS HTTP redirect)", doorPage, false},
		{"/owa", "redirect towards the logon page; X-OWA-Version and X-FEServer on real servers", doorOWA, false},
		{"/owa/", "302 to /owa/auth/logon.aspx?url=...&reason=0", doorOWA, false},
		{pathActiveSync, "401 (Basic or Bearer), X-OWA-Version and X-FEServer", doorActiveSync, false},
		{pathEWS, "401 with an NTLM challenge naming the server (NEGOTIATE sent)", doorNTLM, true},
		{pathAutodiscXML, "401 with an NTLM challenge: NetBIOS and DNS names, Windows version (NEGOTIATE sent)", doorNTLM, true},
		{pathECP, "302 to the OWA logon page for ECP", doorECP, false},
		{pathManifest, "ECP export tool manifest with the exact build, even when OWA is not published", doorManifest, false},
		{pathRPC, "401 with an NTLM challenge (Outlook Anywhere; NEGOTIATE sent)", doorNTLM, true},
		{pathMAPI, "401 with an NTLM challenge (MAPI over HTTP; NEGOTIATE sent)", doorNTLM, true},
	}
}

var (
	// /owa/auth/15.1.2176/themes/... (2013+) and /owa/14.3.513.0/themes/... (2010):
	// Metasploit's exchange.rb regex /owa/(?>auth/)?(\d+(?>\.\d+){3}) and
	// nuclei's /owa/auth/([0-9.]+)/ combined.
	rePathBuild = regexp.MustCompile(`/owa/(?:auth/)?(\d{1,2}\.\d{1,2}\.\d{1,5}(?:\.\d{1,5})?)/`)
	// The same, with the host the reference names, if any: a page copied
	// from another server keeps loading its resources from there.
	reResourceRef = regexp.MustCompile(`(?i)(?:(?:https?:)?//([a-z0-9._\-\[\]:]{1,260}))?/owa/(?:auth/)?(\d{1,2}\.\d{1,2}\.\d{1,5}(?:\.\d{1,5})?)/`)
	reAssembly    = regexp.MustCompile(`<assemblyIdentity\b[^>]*>`)
	reAttr        = regexp.MustCompile(`\b(name|version|publicKeyToken)\s*=\s*"([^"]*)"`)
	reBuild       = regexp.MustCompile(`^\d{1,2}\.\d{1,2}\.\d{1,5}(?:\.\d{1,5})?$`)
	reFormTag     = regexp.MustCompile(`(?is)<form\b[^>]{0,1000}>`)
	reFormAction  = regexp.MustCompile(`(?is)\baction\s*=\s*["']([^"']{0,1000})["']`)
	reDestination = regexp.MustCompile(`(?is)name\s*=\s*["']destination["']\s+value\s*=\s*["']([^"']{0,1000})["']`)
)

// Page markers of OWA (remote-scanning.md 1.7; Metasploit exchange.rb;
// WhatWeb outlook-web-app.rb; the titles nuclei's ms-exchange-server and
// microsoft-exchange-panel templates match), lower case: pages are compared
// case-insensitively. Any of them makes a page an OWA page; none is enough
// alone to call the host Exchange.
var owaMarkers = lowered(
	"<!-- OwaPage = ASP.auth_logon_aspx -->",
	"function IsOwaPremiumBrowser",
	"To use Outlook, browser settings must allow scripts to run.",
	"To use Outlook Web App, browser settings must allow scripts to run.",
	`<body class="owaLgnBdy"`,
	"<title>Outlook Web App</title>",
	"<title>Exchange Log In</title>",
	"<title>Microsoft Exchange - Outlook Web Access</title>",
	"<title>Exchange Admin Center</title>",
)

func lowered(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(strings.ToLower(s))
	}
	return out
}

// exchangeHeaders are sent only by Exchange's front end (HttpProxy) or OWA;
// any of them on any answer identifies the host, and their presence is how
// an active probe tells an answer from Exchange from one by a proxy in front.
var exchangeHeaders = []string{"X-OWA-Version", "X-FEServer", "X-BEServer", "X-CalculatedBETarget", "X-DiagInfo", "X-BackEndHttpStatus"}

// fromExchange reports whether an answer carries a header only Exchange sends.
func fromExchange(resp *response) bool {
	for _, h := range exchangeHeaders {
		if resp.Header.Get(h) != "" {
			return true
		}
	}
	return false
}

// NormalizeBuild turns 15.01.2176.002 into 15.1.2176.2; ok is false for
// anything that is not a 3- or 4-part build.
func NormalizeBuild(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if !reBuild.MatchString(s) {
		return "", false
	}
	parts := strings.Split(s, ".")
	for i, p := range parts {
		n, _ := strconv.Atoi(p)
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, "."), true
}

func precisionOf(b string) string {
	if strings.Count(b, ".") == 3 {
		return "full"
	}
	return "cu"
}

// PageBuilds returns the distinct builds in OWA resource paths of a page.
func PageBuilds(body []byte) []string {
	var out []string
	for _, m := range rePathBuild.FindAllSubmatch(body, 50) {
		if b, ok := NormalizeBuild(string(m[1])); ok && !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out
}

// ManifestBuild reads the export tool's version from its ClickOnce
// manifest: the assemblyIdentity named ...exporttool.application. ok is
// false unless the version is a plausible released build (Exchange 2013 RTM
// is 15.0.516.32, so every real one is 15.x with a build number of at least
// 516) signed with a real key: decoys answer this path with placeholders
// such as version 15.0.0.0 and publicKeyToken 0000000000000000.
func ManifestBuild(body []byte) (string, bool) {
	for _, tag := range reAssembly.FindAll(body, 20) {
		var name, ver, token string
		for _, a := range reAttr.FindAllSubmatch(tag, -1) {
			switch string(a[1]) {
			case "name":
				name = string(a[2])
			case "version":
				ver = string(a[2])
			case "publicKeyToken":
				token = string(a[2])
			}
		}
		if !strings.HasPrefix(strings.ToLower(name), "microsoft.exchange.ediscovery.exporttool") {
			continue
		}
		b, ok := NormalizeBuild(ver)
		if !ok || precisionOf(b) != "full" || strings.Trim(token, "0") == "" {
			return "", false
		}
		parts := strings.Split(b, ".")
		major, _ := strconv.Atoi(parts[0])
		build, _ := strconv.Atoi(parts[2])
		if major < 15 || build < 516 {
			return "", false
		}
		return b, true
	}
	return "", false
}

// evidence collects what the doors of one host showed.
type evidence struct {
	names      []string // host names and addresses that are this host
	strong     bool     // a header or manifest only Exchange produces
	page       bool     // an OWA page that is this host's own
	copied     bool     // an OWA page with signs of being copied from another host
	lookalike  []string // those signs
	behaviours []string // Exchange door behaviours seen (second signals)
	hints      []string // Exchange-like answers that settle nothing
	pageBuilds []BuildMethod
	baseline   *response
	asked      map[string]bool // paths requested (absolute)
	seen       map[string]bool // header signals reported once
	tampered   bool            // lookalike signs on a host that is Exchange
}

func newEvidence(ss *session, r *Result) *evidence {
	e := &evidence{asked: map[string]bool{}, seen: map[string]bool{}}
	e.names = append(e.names, strings.ToLower(ss.t.Host), r.IP)
	return e
}

// ours reports whether a host named in a page (host[:port]) is this host:
// its name or address as scanned, or a name on its TLS certificate.
func (e *evidence) ours(h string) bool {
	h = strings.ToLower(strings.TrimSpace(h))
	if i := strings.LastIndexByte(h, '@'); i >= 0 {
		h = h[i+1:]
	}
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			h = h[1:i]
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.Count(h, ":") == 1 {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	return h != "" && slices.Contains(e.names, h)
}

// decided: the host is Exchange; no further door can change that.
func (e *evidence) decided() bool {
	return e.strong || e.page && len(e.behaviours) > 0 || len(e.behaviours) >= 2
}

func (e *evidence) hint(r *Result, s string) {
	e.hints = append(e.hints, s)
	addSignal(r, s)
}

func (e *evidence) behaviour(r *Result, key, s string) {
	if !slices.Contains(e.behaviours, key) {
		e.behaviours = append(e.behaviours, key)
		addSignal(r, s)
	}
}

// observe reads one door's answer into the evidence and r.
func (e *evidence) observe(r *Result, d Door, src string, resp *response) {
	if r.ServerHeader == "" {
		r.ServerHeader = trimName(resp.Header.Get("Server"))
	}
	e.headers(r, src, resp)
	switch d.kind {
	case doorBaseline:
		e.baseline = resp
		return
	case doorPage:
		e.pageContent(r, src, resp)
		if loc, ok := e.redirect(resp); ok && strings.HasSuffix(strings.ToLower(loc), "/owa/") {
			e.hint(r, fmt.Sprintf("%s redirects to %s", src, clip(loc)))
		}
		return
	case doorOWA:
		e.pageContent(r, src, resp) // a proxy may serve its own logon form at /owa/
		if loc, ok := e.redirect(resp); ok && isLogonRedirect(loc, "") {
			e.behaviour(r, "owa-redirect", fmt.Sprintf("%s redirects to the OWA logon page %s (the pattern of a real OWA)", src, clip(loc)))
			return
		}
	case doorECP:
		if loc, ok := e.redirect(resp); ok && isLogonRedirect(loc, "ecp") {
			e.behaviour(r, "ecp-redirect", fmt.Sprintf("%s redirects to the OWA logon page for ECP: %s", src, clip(loc)))
			return
		}
	case doorActiveSync:
		if resp.Status == 401 && e.notAuthEverywhere() && offers(resp, "basic", "bearer", "negotiate") {
			e.behaviour(r, "activesync", fmt.Sprintf("%s answers 401 asking for %s while a random path does not", src, clip(strings.Join(resp.Header.Values("WWW-Authenticate"), ", "))))
			return
		}
	case doorNTLM:
		if resp.Status == 401 {
			for _, v := range resp.Header.Values("WWW-Authenticate") {
				if info, err := ParseNTLMChallenge(v); err == nil {
					if r.NTLM == nil {
						r.NTLM = info
					}
					if e.notAuthEverywhere() {
						e.behaviour(r, "ntlm "+d.Path, fmt.Sprintf("%s answers an NTLM NEGOTIATE with a CHALLENGE (computer %s) while a random path needs no login", src, clip(info.NetBIOSComputer)))
						return
					}
					e.hint(r, fmt.Sprintf("%s answers with an NTLM CHALLENGE, as does a random path (Windows authentication on the whole site)", src))
					return
				}
			}
			if offers(resp, "ntlm", "negotiate") && e.notAuthEverywhere() {
				e.hint(r, fmt.Sprintf("%s offers NTLM but answered an NTLM NEGOTIATE without a CHALLENGE", src))
				return
			}
		}
	case doorManifest:
		if resp.Status == 200 {
			if b, ok := ManifestBuild(resp.Body); ok {
				e.strong = true
				addSignal(r, fmt.Sprintf("ECP export tool manifest, version %s (%s)", b, src))
				addMethod(r, BuildMethod{Method: MethodManifest, Build: b, Precision: "full", Confidence: "medium", Source: src})
				return
			}
			if reAssembly.Match(resp.Body) && containsAny(resp.Body, "exporttool") {
				e.hint(r, fmt.Sprintf("%s answers an export tool manifest whose version or signing key is a placeholder, not a released build (a decoy?)", src))
				return
			}
		}
	}
	if d.kind != doorPage && e.differs(resp) {
		e.hint(r, fmt.Sprintf("%s answers %d where a random path answers %s", src, resp.Status, e.baselineStatus()))
	}
}

// headers reads the headers only Exchange sends.
func (e *evidence) headers(r *Result, src string, resp *response) {
	h := resp.Header
	if fromExchange(resp) {
		r.marked = true
	}
	once := func(key, s string) {
		if !e.seen[key] {
			e.seen[key] = true
			addSignal(r, s)
		}
	}
	if v := h.Get("X-OWA-Version"); v != "" {
		if b, ok := NormalizeBuild(v); ok {
			e.strong = true
			once("x-owa-version "+b, fmt.Sprintf("X-OWA-Version %s (%s)", b, src))
			addMethod(r, BuildMethod{Method: MethodHeader, Build: b, Precision: precisionOf(b), Confidence: "high", Source: src})
		} else {
			once("x-owa-version?", fmt.Sprintf("X-OWA-Version %q is not a build (%s)", clip(v), src))
		}
	}
	if v := h.Get("X-FEServer"); v != "" {
		e.strong = true
		once("x-feserver", fmt.Sprintf("X-FEServer %s (%s)", clip(v), src))
		if r.FEServer == "" {
			r.FEServer = trimName(v)
		}
	}
	for _, k := range []string{"X-BEServer", "X-CalculatedBETarget", "X-DiagInfo", "X-BackEndHttpStatus"} {
		if h.Get(k) != "" {
			e.strong = true
			once(strings.ToLower(k), fmt.Sprintf("%s header (%s)", k, src))
		}
	}
	for _, c := range h.Values("Set-Cookie") {
		lc := strings.ToLower(c)
		if strings.HasPrefix(lc, "x-beresource=") || strings.HasPrefix(lc, "x-owa-canary=") || strings.HasPrefix(lc, "x-backendcookie=") {
			e.strong = true
			name, _, _ := strings.Cut(c, "=")
			once("cookie", fmt.Sprintf("Exchange cookie %s (%s)", clip(name), src))
		}
	}
}

// pageContent reads an HTML answer: is it an OWA logon page, this host's
// own or one copied from elsewhere, and which build its resources name.
func (e *evidence) pageContent(r *Result, src string, resp *response) {
	if resp.Status != 200 || len(resp.Body) == 0 {
		return
	}
	body := resp.Body
	lower := bytes.ToLower(body)
	marker := slices.ContainsFunc(owaMarkers, func(m []byte) bool { return bytes.Contains(lower, m) })
	var own, foreign []string
	for _, m := range reResourceRef.FindAllSubmatch(body, 50) {
		b, ok := NormalizeBuild(string(m[2]))
		if !ok {
			continue
		}
		if host := string(m[1]); host != "" && !e.ours(host) {
			if s := host + " (build " + b + ")"; !slices.Contains(foreign, s) {
				foreign = append(foreign, s)
			}
			continue
		}
		if !slices.Contains(own, b) {
			own = append(own, b)
		}
	}
	if !marker && len(own) == 0 && len(foreign) == 0 {
		return
	}
	var signs []string
	if len(foreign) > 0 {
		signs = append(signs, "its OWA resources load from another host: "+clip(strings.Join(foreign, ", ")))
	}
	for _, tag := range reFormTag.FindAll(body, 10) {
		m := reFormAction.FindSubmatch(tag)
		if m == nil {
			continue
		}
		if why := e.foreignAction(string(m[1])); why != "" && (bytes.Contains(bytes.ToLower(tag), []byte("logonform")) || bytes.Contains(lower, []byte(`type="password"`))) {
			signs = append(signs, why)
			break
		}
	}
	if m := reDestination.FindSubmatch(body); m != nil {
		if host := urlHost(string(m[1])); host != "" && !e.ours(host) {
			signs = append(signs, "its logon form's destination names another host: "+clip(host))
		}
	}
	if xp := resp.Header.Get("X-Powered-By"); strings.Contains(strings.ToLower(xp), "php") {
		signs = append(signs, "it is generated by PHP (X-Powered-By: "+clip(xp)+")")
	}
	what := "OWA logon page"
	if len(own) > 0 {
		what += ", build " + strings.Join(own, ", ") + " in its resource paths"
	}
	if len(signs) > 0 {
		e.copied = true
		e.lookalike = append(e.lookalike, signs...)
		addSignal(r, fmt.Sprintf("%s (%s) with signs of a copy: %s", what, src, strings.Join(signs, "; ")))
		for _, b := range own {
			addSignal(r, "copied page names build "+b)
		}
		return
	}
	e.page = true
	addSignal(r, fmt.Sprintf("%s (%s)", what, src))
	for _, b := range own {
		m := BuildMethod{Method: MethodPath, Build: b, Precision: precisionOf(b), Confidence: "high", Source: src}
		if !slices.ContainsFunc(e.pageBuilds, func(o BuildMethod) bool { return o.Build == b }) {
			e.pageBuilds = append(e.pageBuilds, m)
		}
	}
}

// foreignAction explains why a logon form's action is not OWA's own
// (/owa/auth.owa on 2010+, owaauth.dll on 2007 and 2003, CookieAuth.dll
// when published through ISA/TMG), or returns "".
func (e *evidence) foreignAction(action string) string {
	a := strings.TrimSpace(action)
	if host := urlHost(a); host != "" && !e.ours(host) {
		return "its logon form posts to another host: " + clip(host)
	}
	p := strings.ToLower(a)
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	for _, own := range []string{"/auth.owa", "owaauth.dll", "cookieauth.dll"} {
		if strings.HasSuffix(p, own) {
			return ""
		}
	}
	return "its logon form posts to " + clip(a) + ", not to OWA's /owa/auth.owa"
}

// urlHost returns the host of an absolute or scheme-relative URL, or "".
func urlHost(s string) string {
	s = strings.TrimSpace(s)
	ls := strings.ToLower(s)
	switch {
	case strings.HasPrefix(ls, "https://"):
		s = s[8:]
	case strings.HasPrefix(ls, "http://"):
		s = s[7:]
	case strings.HasPrefix(s, "//"):
		s = s[2:]
	default:
		return ""
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	return s
}

// redirect returns the Location of a 3xx answer if it stays on this host.
func (e *evidence) redirect(resp *response) (string, bool) {
	if resp.Status/100 != 3 {
		return "", false
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", false
	}
	if host := urlHost(loc); host != "" && !e.ours(host) {
		return "", false
	}
	return loc, true
}

// isLogonRedirect: Location is OWA's logon page with its url= parameter
// (/owa/auth/logon.aspx?url=https%3a%2f%2fhost%2fowa%2f&reason=0), naming
// want (e.g. "ecp") in that parameter when want is set.
func isLogonRedirect(loc, want string) bool {
	l := strings.ToLower(loc)
	i := strings.Index(l, "/owa/auth/logon.aspx?")
	if i < 0 {
		return false
	}
	q := l[i:]
	return strings.Contains(q, "url=") && (want == "" || strings.Contains(q, want))
}

func offers(resp *response, schemes ...string) bool {
	for _, v := range resp.Header.Values("WWW-Authenticate") {
		f, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(v)), " ")
		f = strings.TrimSuffix(f, ",")
		if slices.Contains(schemes, f) {
			return true
		}
	}
	return false
}

// notAuthEverywhere: the random path does not ask for a login, so a 401 on
// an Exchange door is that door's own.
func (e *evidence) notAuthEverywhere() bool { return e.baseline == nil || e.baseline.Status != 401 }

func (e *evidence) baselineStatus() string {
	if e.baseline == nil {
		return "nothing"
	}
	return strconv.Itoa(e.baseline.Status)
}

// differs: an Exchange door answers otherwise than the random path, and
// not with a plain 404.
func (e *evidence) differs(resp *response) bool {
	if resp.Status == 404 || resp.Status == 0 {
		return false
	}
	if e.baseline == nil {
		return true
	}
	if e.baseline.Status != resp.Status {
		return true
	}
	return resp.Status == 200 && !sameBody(resp.Body, e.baseline.Body)
}

// classify settles the three states (README "Three states"):
//
//	yes:          a header or manifest only Exchange produces; or an OWA page
//	              of this host's own confirmed by one Exchange door behaviour
//	              (logon redirect, ActiveSync 401, an NTLM challenge on
//	              EWS/autodiscover/RPC/MAPI while a random path needs no
//	              login); or two such behaviours.
//	no:           an OWA page copied from another host (owa_lookalike), or
//	              nothing Exchange-like (every door answers like a random path).
//	unidentified: Exchange-like answers that settle nothing (an OWA page with
//	              no second signal, one behaviour, a door that answers unlike a
//	              random path).
func (e *evidence) classify(r *Result) {
	switch {
	case e.decided():
		r.ExchangeState, r.Exchange = StateYes, true
		if e.copied {
			e.tampered = true
			addSignal(r, "the logon page shows signs of a copy on a host that is Exchange: check logon.aspx for tampering (credential theft)")
		}
		if e.page && !e.strong {
			addSignal(r, "OWA logon page confirmed by a second signal: "+strings.Join(e.behaviours, ", "))
		}
	case e.copied:
		r.ExchangeState, r.OWALookalike = StateNo, true
		addSignal(r, "OWA look-alike: a page copying OWA from another host (phishing kit or honeypot), not Exchange")
	case e.page || len(e.behaviours) > 0 || len(e.hints) > 0:
		r.ExchangeState = StateUnidentified
		switch {
		case e.page:
			addSignal(r, "no second Exchange signal for the OWA page (no Exchange header, logon redirect, ActiveSync, EWS, autodiscover, RPC or MAPI behaviour)")
		case len(e.behaviours) == 1:
			addSignal(r, "one Exchange door behaviour and nothing else")
		}
	default:
		r.ExchangeState = StateNo
		addSignal(r, "no Exchange door answered unlike a random path (which answers "+e.baselineStatus()+")")
	}
	if r.ExchangeState != StateNo {
		for _, m := range e.pageBuilds {
			addMethod(r, m)
		}
	}
}

func trimName(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 255 {
		s = s[:255]
	}
	return strings.ToValidUTF8(s, "?")
}

func addSignal(r *Result, s string) {
	if !slices.Contains(r.Signals, s) {
		r.Signals = append(r.Signals, s)
	}
}

func addMethod(r *Result, m BuildMethod) {
	for _, o := range r.BuildMethods {
		if o.Method == m.Method && o.Build == m.Build {
			return
		}
	}
	r.BuildMethods = append(r.BuildMethods, m)
}

// chooseBuild picks the most precise, most trusted build and reports every
// pair of methods that disagree instead of hiding the loser.
func chooseBuild(ms []BuildMethod) (build, precision string, conflicts []string) {
	rank := func(m BuildMethod) int {
		r := 0
		if m.Precision == "full" {
			r += 10
		}
		if m.Confidence == "high" {
			r += 2
		} else if m.Confidence == "medium" {
			r++
		}
		return r
	}
	best := -1
	for i, m := range ms {
		if best < 0 || rank(m) > rank(ms[best]) {
			best = i
		}
	}
	if best < 0 {
		return "", "", nil
	}
	for i := range ms {
		for j := i + 1; j < len(ms); j++ {
			a, b := ms[i], ms[j]
			if !agree(a.Build, b.Build) {
				conflicts = append(conflicts, fmt.Sprintf("%s says %s, %s says %s", a.Method, a.Build, b.Method, b.Build))
			}
		}
	}
	return ms[best].Build, ms[best].Precision, conflicts
}

// agree: equal on every part both builds have.
func agree(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	n := min(len(pa), len(pb))
	return slices.Equal(pa[:n], pb[:n])
}

// basePath splits a URL target's path into the base every door is under
// and the path to ask first. A path into an Exchange virtual directory
// (/owa/, /ecp/..., /EWS/..., published under another prefix or not) is
// cut before it: https://h/mail/owa/ → base /mail, first /mail/owa/. Any
// other path is taken as the place OWA is published: https://h/webmail/ →
// base /webmail, first /webmail/.
func basePath(p string) (base, first string) {
	if p == "" || p == "/" {
		return "", ""
	}
	lp := strings.ToLower(p)
	for _, vd := range []string{"/owa", "/ecp", "/ews", "/autodiscover", "/microsoft-server-activesync", "/mapi", "/rpc", "/oab"} {
		for i := 0; ; {
			j := strings.Index(lp[i:], vd)
			if j < 0 {
				break
			}
			j += i
			if end := j + len(vd); end == len(lp) || lp[end] == '/' {
				return p[:j], p
			}
			i = j + 1
		}
	}
	return strings.TrimSuffix(p, "/"), p
}

// fingerprint asks the target's doors. The first request's network error
// is the host's error; later ones only cost their signal.
func (s *Scanner) fingerprint(ctx context.Context, ss *session, r *Result) error {
	e := newEvidence(ss, r)
	ask := func(d Door, path string) (*response, error) {
		e.asked[strings.ToLower(path)] = true
		hdr := map[string]string(nil)
		if d.ntlm {
			hdr = map[string]string{"Authorization": ntlmNegotiate}
		}
		limit := int64(maxBodyBytes)
		if d.kind != doorPage {
			limit = 64 << 10
		}
		resp, err := ss.fetch(ctx, path, hdr, limit)
		if err == nil {
			if r.TLS == nil {
				r.TLS = tlsInfo(resp.TLS, s.cfg.Now())
				if r.TLS != nil {
					e.names = append(e.names, r.TLS.Names...)
				}
			}
			e.observe(r, d, "GET "+path, resp)
		}
		return resp, err
	}
	_, first := basePath(ss.t.Path)
	logon := ss.base + pathLogon
	if first != "" && !strings.EqualFold(first, logon) {
		d := Door{Path: first, kind: doorPage}
		for _, o := range Doors() { // a door given as the target is read as that door
			if o.kind != doorBaseline && strings.EqualFold(first, ss.base+o.Path) {
				d = o
			}
		}
		if _, err := ask(d, first); err != nil {
			return err
		}
		_, _ = ask(Door{Path: pathLogon, kind: doorPage}, logon)
	} else if _, err := ask(Door{Path: pathLogon, kind: doorPage}, logon); err != nil {
		return err
	}
	for _, d := range Doors() {
		if e.decided() || ctx.Err() != nil {
			break
		}
		p := ss.base + d.Path
		if d.kind == doorBaseline {
			p = ss.base + "/exhunt-" + randHex(6)
		}
		if e.asked[strings.ToLower(p)] {
			continue
		}
		if _, err := ask(d, p); errors.Is(err, errHostGone) || errors.Is(err, errBudget) {
			break
		}
	}
	e.classify(r)
	if !r.Exchange {
		return nil
	}
	// Exchange: ask what adds to the result, the NTLM names and the
	// manifest's full build, then refine a CU-only build.
	for _, d := range Doors() {
		p := ss.base + d.Path
		switch {
		case e.asked[strings.ToLower(p)]:
		case d.kind == doorNTLM && r.NTLM == nil && (d.Path == pathAutodiscXML || d.Path == pathEWS),
			d.kind == doorManifest:
			_, _ = ask(d, p)
		}
	}
	s.versionFolders(ctx, ss, r)
	return nil
}

// versionFolders refines a CU-only build: ECP keeps one folder per
// installed build, so GET /ecp/<a.b.c.d>/exporttool/<manifest> answers 200
// for the installed build (exchange-knowledge.md C, Metasploit exchange.rb,
// righel). Folders of older builds may survive an upgrade, so candidates go
// newest first and the first hit wins; confidence is low. A catch-all
// server is ruled out by requiring a parseable export-tool manifest.
func (s *Scanner) versionFolders(ctx context.Context, ss *session, r *Result) {
	cand, ok := s.cfg.Assessor.(Candidater)
	if !ok {
		return
	}
	cu, prec, _ := chooseBuild(r.BuildMethods)
	if prec != "cu" {
		return
	}
	for i, b := range cand.Candidates(cu) {
		if i >= maxCandidates || ctx.Err() != nil {
			return
		}
		p := "/ecp/" + b + "/exporttool/microsoft.exchange.ediscovery.exporttool.application"
		resp, err := ss.get(ctx, p, nil, 64<<10)
		if err != nil {
			return
		}
		if _, ok := ManifestBuild(resp.Body); resp.Status == 200 && ok {
			addMethod(r, BuildMethod{Method: MethodFolder, Build: b, Precision: "full", Confidence: "low", Source: "GET " + ss.base + p})
			return
		}
	}
}
