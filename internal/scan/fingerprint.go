package scan

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Requests the fingerprint sends, in order (all anonymous GETs).
const (
	pathLogon       = "/owa/auth/logon.aspx"
	pathAutodiscXML = "/autodiscover/autodiscover.xml"
	pathManifest    = "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application"
	pathEWS         = "/EWS/Exchange.asmx"
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

var (
	// /owa/auth/15.1.2176/themes/... (2013+) and /owa/14.3.513.0/themes/... (2010):
	// Metasploit's exchange.rb regex /owa/(?>auth/)?(\d+(?>\.\d+){3}) and
	// nuclei's /owa/auth/([0-9.]+)/ combined.
	rePathBuild = regexp.MustCompile(`/owa/(?:auth/)?(\d{1,2}\.\d{1,2}\.\d{1,5}(?:\.\d{1,5})?)/`)
	reAssembly  = regexp.MustCompile(`<assemblyIdentity\b[^>]*>`)
	reAttr      = regexp.MustCompile(`\b(name|version)\s*=\s*"([^"]*)"`)
	reBuild     = regexp.MustCompile(`^\d{1,2}\.\d{1,2}\.\d{1,5}(?:\.\d{1,5})?$`)
)

// Page markers of OWA (remote-scanning.md 1.7; Metasploit exchange.rb;
// WhatWeb outlook-web-app.rb). A title alone is not enough: catch-all
// servers and phishing kits copy it.
var owaMarkers = [][]byte{
	[]byte("<!-- OwaPage = ASP.auth_logon_aspx -->"),
	[]byte("function IsOwaPremiumBrowser"),
	[]byte("To use Outlook, browser settings must allow scripts to run."),
	[]byte("To use Outlook Web App, browser settings must allow scripts to run."),
	[]byte(`<body class="owaLgnBdy">`),
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
// manifest: the assemblyIdentity named ...exporttool.application.
func ManifestBuild(body []byte) (string, bool) {
	for _, tag := range reAssembly.FindAll(body, 20) {
		var name, ver string
		for _, a := range reAttr.FindAllSubmatch(tag, -1) {
			switch string(a[1]) {
			case "name":
				name = string(a[2])
			case "version":
				ver = string(a[2])
			}
		}
		if strings.HasPrefix(strings.ToLower(name), "microsoft.exchange.ediscovery.exporttool") {
			if b, ok := NormalizeBuild(ver); ok && precisionOf(b) == "full" {
				return b, true
			}
		}
	}
	return "", false
}

// observe reads every no-login signal from one response into r.
func observe(r *Result, resp *response, src string) {
	h := resp.Header
	if v := h.Get("X-OWA-Version"); v != "" {
		addSignal(r, "X-OWA-Version header")
		if b, ok := NormalizeBuild(v); ok {
			addMethod(r, BuildMethod{Method: MethodHeader, Build: b, Precision: precisionOf(b), Confidence: "high", Source: src})
		}
	}
	if v := h.Get("X-FEServer"); v != "" {
		addSignal(r, "X-FEServer header")
		if r.FEServer == "" {
			r.FEServer = trimName(v)
		}
	}
	if h.Get("X-CalculatedBETarget") != "" || h.Get("X-BEServer") != "" {
		addSignal(r, "X-BEServer/X-CalculatedBETarget header")
	}
	for _, c := range h.Values("Set-Cookie") {
		if strings.HasPrefix(strings.ToLower(c), "x-beresource=") || strings.HasPrefix(strings.ToLower(c), "x-owa-canary=") {
			addSignal(r, "Exchange cookie")
		}
	}
	if resp.Status == 200 && src == "GET "+pathManifest {
		if b, ok := ManifestBuild(resp.Body); ok {
			addSignal(r, "ECP export tool manifest")
			addMethod(r, BuildMethod{Method: MethodManifest, Build: b, Precision: "full", Confidence: "medium", Source: src})
		}
	}
	if resp.Status == 200 && src == "GET "+pathLogon {
		for _, m := range owaMarkers {
			if bytes.Contains(resp.Body, m) {
				addSignal(r, "OWA logon page")
				break
			}
		}
		for _, b := range PageBuilds(resp.Body) {
			addSignal(r, "OWA resource path")
			addMethod(r, BuildMethod{Method: MethodPath, Build: b, Precision: precisionOf(b), Confidence: "high", Source: src})
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

// strongSignals are those only Exchange produces; a lone NTLM 401 or a
// title is not among them.
func isExchange(r *Result) bool {
	for _, s := range r.Signals {
		if s != "NTLM on EWS" {
			return true
		}
	}
	return false
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

// fingerprint runs the passive requests. The first request's network
// error is the host's error; later ones only cost their signal.
func (s *Scanner) fingerprint(ctx context.Context, ss *session, r *Result) error {
	resp, err := ss.get(ctx, pathLogon, nil, maxBodyBytes)
	if err != nil {
		return err
	}
	r.TLS = tlsInfo(resp.TLS, s.cfg.Now())
	observe(r, resp, "GET "+pathLogon)

	if resp, err := ss.get(ctx, pathAutodiscXML, nil, 16<<10); err == nil {
		observe(r, resp, "GET "+pathAutodiscXML)
	}
	if !isExchange(r) {
		return nil
	}
	if resp, err := ss.get(ctx, pathManifest, nil, 64<<10); err == nil {
		observe(r, resp, "GET "+pathManifest)
	}
	s.versionFolders(ctx, ss, r)
	if resp, err := ss.get(ctx, pathEWS, map[string]string{"Authorization": ntlmNegotiate}, 16<<10); err == nil {
		observe(r, resp, "GET "+pathEWS)
		for _, v := range resp.Header.Values("WWW-Authenticate") {
			if info, err := ParseNTLMChallenge(v); err == nil {
				r.NTLM = info
				break
			}
		}
	}
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
	if _, prec, _ := chooseBuild(r.BuildMethods); prec != "cu" {
		return
	}
	cu, _, _ := chooseBuild(r.BuildMethods)
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
			addMethod(r, BuildMethod{Method: MethodFolder, Build: b, Precision: "full", Confidence: "low", Source: "GET " + p})
			return
		}
	}
}
