package scan

import (
	"crypto/tls"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/emulator"
)

// nuclei is not installable here (remote-scanning.md section 0); these
// are the request and matchers of its two Exchange identification
// templates, as in projectdiscovery/nuclei-templates:
//
//	http/technologies/microsoft/ms-exchange-server.yaml (0474fff6): GET
//	{{BaseURL}}/owa/auth/logon.aspx; OR of header regex (?i)(X-Owa-Version:),
//	body regex /owa/auth/[0-9.]+/, words <title>Exchange Log In</title> and
//	<title>Microsoft Exchange - Outlook Web Access</title>; extractors kval
//	x_owa_version and body regex /owa/auth/([0-9.]+)/ group 1.
//
//	http/exposed-panels/microsoft-exchange-panel.yaml (009be43a): GET
//	{{BaseURL}}/owa/auth/logon.aspx?replaceCurrent=1&url={{BaseURL}}/ecp;
//	AND of status 200 and word 'Exchange Admin Center'.
//
// nuclei does not follow redirects for these templates.
var (
	nucleiHeader = regexp.MustCompile(`(?i)(X-Owa-Version:)`)
	nucleiBody   = regexp.MustCompile(`/owa/auth/[0-9.]+/`)
	nucleiBuild  = regexp.MustCompile(`/owa/auth/([0-9.]+)/`)
)

type nucleiResult struct {
	matched bool
	build   string // what its extractors give, if anything
}

func nucleiRun(t *testing.T, baseURL string) nucleiResult {
	t.Helper()
	client := &http.Client{
		Timeout:       5 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()
	get := func(u string) (int, string, string) {
		resp, err := client.Get(u)
		if err != nil {
			return 0, "", ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 10<<20))
		var hdr strings.Builder
		resp.Header.Write(&hdr)
		return resp.StatusCode, hdr.String(), string(b)
	}
	var res nucleiResult
	_, hdr, body := get(baseURL + "/owa/auth/logon.aspx")
	if nucleiHeader.MatchString(hdr) || nucleiBody.MatchString(body) ||
		strings.Contains(body, "<title>Exchange Log In</title>") || strings.Contains(body, "<title>Microsoft Exchange - Outlook Web Access</title>") {
		res.matched = true
		for _, line := range strings.Split(hdr, "\r\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "X-Owa-Version") {
				res.build = strings.TrimSpace(v)
			}
		}
		if m := nucleiBuild.FindStringSubmatch(body); m != nil && res.build == "" {
			res.build = m[1]
		}
	}
	if st, _, body := get(baseURL + "/owa/auth/logon.aspx?replaceCurrent=1&url=" + baseURL + "/ecp"); st == 200 && strings.Contains(body, "Exchange Admin Center") {
		res.matched = true
	}
	return res
}

// The same hosts (every recorded real response, and the emulator's
// profiles) through nuclei's Exchange identification templates and
// exhunt: exhunt identifies every real Exchange nuclei identifies, with
// the same build at least as precisely, and more besides; where nuclei
// takes a copied OWA page for Exchange, exhunt names it a look-alike and
// still reports the build the page names.
func TestNucleiComparison(t *testing.T) {
	s := testScanner(t, Config{HostRate: -1})
	type host struct {
		name      string
		recorded  bool // a real host's recorded answers, not an emulator profile
		exchange  bool
		lookalike bool
		baseURL   string
		result    *Result
	}
	var hosts []host
	recs, err := emulator.RecordedHosts()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if !rec.Truth.Identifiable {
			continue
		}
		r, _ := scanRecorded(t, s, rec.Name)
		hosts = append(hosts, host{"recorded/" + rec.Name, true, rec.Truth.Exchange, rec.Truth.Lookalike, r.URL, r})
	}
	for _, p := range []string{"vulnerable-2016cu19", "vulnerable-2013cu23", "patched-se", "cu-only-2016cu19-may21", "exchange-2010sp3", "not-exchange", "iis-ntlm", "catch-all"} {
		cfg := profile(t, p)
		h := startHost(t, cfg, true)
		hosts = append(hosts, host{p, false, cfg.Kind == emulator.Exchange, false, h.URL(), scanHost(t, s, h)})
	}
	// Counted apart: real hosts (recorded answers) and emulator profiles.
	type tally struct{ exchange, nucleiEx, exhuntEx, other, nucleiFP, exhuntFP int }
	var recorded, emulated tally
	for _, h := range hosts {
		r := h.result
		c := &emulated
		if h.recorded {
			c = &recorded
		}
		n := nucleiRun(t, h.baseURL)
		t.Logf("%-40s nuclei %-5v %-12s exhunt %-12s %-12s lookalike=%v", h.name, n.matched, n.build, r.ExchangeState, r.Build, r.OWALookalike)
		if h.exchange {
			c.exchange++
		} else {
			c.other++
		}
		if h.exchange && r.Exchange {
			c.exhuntEx++
		}
		if !h.exchange && r.ExchangeState == StateYes {
			c.exhuntFP++
			t.Errorf("%s: exhunt calls a non-Exchange host Exchange: %q", h.name, r.Signals)
		}
		if !n.matched {
			continue
		}
		if !h.exchange {
			c.nucleiFP++
			if r.ExchangeState == StateYes {
				t.Errorf("%s: nuclei's false positive is exhunt's too", h.name)
			}
			if h.lookalike && (!r.OWALookalike || n.build != "" && !strings.Contains(strings.Join(r.Signals, " "), n.build)) {
				t.Errorf("%s: want owa_lookalike with the copied build %s named in the signals: %q", h.name, n.build, r.Signals)
			}
			continue
		}
		c.nucleiEx++
		if !r.Exchange {
			t.Errorf("%s: nuclei identifies it, exhunt says %s: %q", h.name, r.ExchangeState, r.Signals)
			continue
		}
		if nb, ok := NormalizeBuild(n.build); n.build != "" && (!ok || !agree(nb, r.Build) || len(r.Build) < len(nb)) {
			t.Errorf("%s: nuclei's build %s, exhunt's %q", h.name, n.build, r.Build)
		}
	}
	t.Logf("recorded real hosts: %+v; emulator profiles: %+v", recorded, emulated)
	// The README states these numbers: of 6 real Exchange hosts (recorded
	// answers) nuclei identifies 1 and exhunt 6; of 5 emulated Exchange
	// profiles nuclei 4 and exhunt 5; of 6 recorded non-Exchange hosts
	// nuclei calls 1 (the honeypot) Exchange, exhunt none, and none of 3
	// emulated ones.
	if want := (tally{exchange: 6, nucleiEx: 1, exhuntEx: 6, other: 6, nucleiFP: 1, exhuntFP: 0}); recorded != want {
		t.Errorf("recorded real hosts %+v, the README says %+v", recorded, want)
	}
	if want := (tally{exchange: 5, nucleiEx: 4, exhuntEx: 5, other: 3, nucleiFP: 0, exhuntFP: 0}); emulated != want {
		t.Errorf("emulator profiles %+v, the README says %+v", emulated, want)
	}
}

func countIf[T any](xs []T, f func(T) bool) int {
	n := 0
	for _, x := range xs {
		if f(x) {
			n++
		}
	}
	return n
}
