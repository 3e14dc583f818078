package scan

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/exhunt/exhunt/internal/emulator"
	"github.com/google/go-cmp/cmp"
)

func TestActiveProbes(t *testing.T) {
	s := testScanner(t, Config{Active: true})
	tests := []struct {
		name    string
		profile string
		want    map[string]string
		exposed bool
	}{
		{"unpatched: SSRF, ProxyShell, ProxyToken confirmed; ProxyNotShell path open on a build without the fix", "vulnerable-2016cu19",
			map[string]string{"CVE-2021-26855": Vulnerable, "CVE-2021-34473": Vulnerable, "CVE-2022-41040": Vulnerable, "CVE-2021-33766": Vulnerable, "CVE-2021-31195": Vulnerable}, true},
		{"EOMT-mitigated: SSRF request aborted = blocked; build unknown to the KB: ProxyNotShell inconclusive", "mitigated-2019cu8",
			map[string]string{"CVE-2021-26855": Blocked, "CVE-2021-34473": Vulnerable, "CVE-2022-41040": Inconclusive, "CVE-2021-33766": Vulnerable, "CVE-2021-31195": Vulnerable}, true},
		{"patched twin: every probe answered by Exchange the patched way", "patched-2019cu15",
			map[string]string{"CVE-2021-26855": NotVulnerable, "CVE-2021-34473": NotVulnerable, "CVE-2022-41040": NotVulnerable, "CVE-2021-33766": NotVulnerable, "CVE-2021-31195": NotVulnerable}, false},
		{"EOMTv2 rule aborts the ProxyNotShell path", "patched-2019cu11-nov22-eomtv2",
			map[string]string{"CVE-2021-26855": NotVulnerable, "CVE-2021-34473": NotVulnerable, "CVE-2022-41040": Blocked, "CVE-2021-33766": NotVulnerable, "CVE-2021-31195": NotVulnerable}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := scanHost(t, s, startHost(t, profile(t, tt.profile), true))
			got := map[string]string{}
			for _, c := range r.Active {
				got[c.Check] = c.Result
				if c.Request == "" || c.Evidence == "" {
					t.Errorf("%s: request %q evidence %q: each probe must say what it sent and saw", c.Check, c.Request, c.Evidence)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s\n%+v", diff, r.Active)
			}
			// The fake KB knows no CVEs for 15.2.792.3: exposure there comes from probes only.
			if r.Exposed != tt.exposed {
				t.Errorf("exposed = %v, want %v", r.Exposed, tt.exposed)
			}
			if got["CVE-2021-26855"] == Vulnerable && !slices.Contains(r.CVEs, "CVE-2021-26855") {
				t.Errorf("confirmed CVE-2021-26855 missing from cves %v", r.CVEs)
			}
		})
	}
}

func TestActiveSkipsNonExchange(t *testing.T) {
	s := testScanner(t, Config{Active: true})
	for _, k := range []emulator.Kind{emulator.NotExchange, emulator.CatchAll, emulator.IISNTLM} {
		r := scanHost(t, s, startHost(t, emulator.Config{Kind: k}, true))
		if len(r.Active) != 0 || r.Exposed {
			t.Errorf("%v: active probes ran on a non-Exchange host: %+v", k, r.Active)
		}
	}
}

// A reverse proxy in front of a real Exchange answers every probe path
// itself with a bare 404: one answer, one verdict, whichever probe sent it.
func TestOneMeaningPerAnswer(t *testing.T) {
	exch := emulator.Handler(profile(t, "vulnerable-2016cu19"))
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := strings.ToLower(r.URL.RequestURI())
		if strings.Contains(u, "x.js") || strings.Contains(u, "autodiscover.json") || strings.Contains(u, "personalsettings") || strings.Contains(u, "frowny") {
			w.Header().Set("Server", "nginx")
			w.WriteHeader(http.StatusNotFound) // the proxy's own 404
			return
		}
		exch.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	ap := netip.MustParseAddrPort(srv.Listener.Addr().String())
	r := testScanner(t, Config{Active: true}).scanOne(t.Context(), Target{Host: ap.Addr().String(), Port: int(ap.Port())})
	if !r.Exchange || len(r.Active) != 5 {
		t.Fatalf("exchange %v, %d probes: %+v", r.Exchange, len(r.Active), r)
	}
	for _, c := range r.Active {
		if c.Result != Blocked || !strings.Contains(c.Evidence, "404 without the Exchange headers") {
			t.Errorf("%s: %s (%s), want blocked: the proxy answered, not Exchange", c.Check, c.Result, c.Evidence)
		}
	}

	// The same answers fed to every probe directly.
	res := &Result{Build: "15.1.2176.2", Precision: "full", Product: "Exchange Server 2016", CVEs: []string{"CVE-2022-41040"}}
	probes := []probe{probeSSRF, probeProxyShell, probeProxyNotShell(res), probeProxyToken, probeFrowny}
	same := func(name string, marked bool, resp *response, err error, want string) {
		t.Helper()
		for _, p := range probes {
			if c := judge(p, "GET x", marked, resp, err); c.Result != want {
				t.Errorf("%s, %s: %s (%s), want %s", name, p.check, c.Result, c.Evidence, want)
			}
		}
	}
	proxy404 := &response{Status: 404, Header: hdr("Server", "nginx")}
	same("front-proxy 404 on a host whose answers carry Exchange headers", true, proxy404, nil, Blocked)
	same("the same 404 on a host that never sent Exchange headers", false, proxy404, nil, Inconclusive)
	same("connection reset (URL Rewrite AbortRequest)", true, nil, syscall.ECONNRESET, Blocked)
	same("EOF", false, nil, io.EOF, Blocked)
	same("timeout", true, nil, errors.New("timeout"), Inconclusive)
}

// Each probe's own answers, and the near misses that must not pass for them.
func TestProbeJudgesNearMisses(t *testing.T) {
	test := func(p probe, resp *response, want string) {
		t.Helper()
		if got := judge(p, "GET x", true, resp, nil); got.Result != want {
			t.Errorf("%s: got %s (%s), want %s", p.check, got.Result, got.Evidence, want)
		}
	}
	fe := func(kv ...string) http.Header { return hdr(append([]string{"X-FEServer", "EX1"}, kv...)...) }
	test(probeSSRF, &response{Status: 200, Header: hdr()}, Blocked) // a catch-all proxy
	test(probeSSRF, &response{Status: 500, Header: hdr("X-CalculatedBETarget", "mbx01.corp.local")}, NotVulnerable)
	test(probeSSRF, &response{Status: 500, Header: hdr("X-CalculatedBETarget", "localhost")}, Vulnerable)
	test(probeProxyShell, &response{Status: 302, Header: fe("Location", "https://sso.example/login")}, Inconclusive)
	test(probeProxyShell, &response{Status: 302, Header: fe("Location", "/owa/auth/errorFE.aspx?httpCode=500")}, Vulnerable)
	test(probeProxyShell, &response{Status: 401, Header: fe()}, Inconclusive)
	test(probeProxyShell, &response{Status: 400, Header: fe()}, NotVulnerable)
	test(probeProxyShell, &response{Status: 400, Header: hdr()}, Blocked) // a WAF's 400
	test(probeProxyToken, &response{Status: 403, Header: fe(), Body: []byte(`<span id="msgCode">403</span> function signOut() {`)}, Inconclusive)
	res := &Result{Build: "15.2.1748.49", Precision: "full", Product: "Exchange Server 2019"}
	test(probeProxyNotShell(res), &response{Status: 302, Header: fe()}, NotVulnerable)
	res = &Result{Build: "15.1.2176", Precision: "cu", Product: "Exchange Server 2016", SUDependentCVEs: []string{"CVE-2022-41040"}}
	test(probeProxyNotShell(res), &response{Status: 302, Header: fe()}, Inconclusive) // CU known only
	echo := []byte("refurl=}}};alert(document.domain)//&et=ServerError mail/bootr.ashx")
	test(probeFrowny, &response{Status: 500, Header: fe("Content-Type", "text/html"), Body: echo}, Vulnerable)
	test(probeFrowny, &response{Status: 200, Header: fe("Content-Type", "text/html"), Body: echo}, Inconclusive) // a catch-all echo server
	test(probeFrowny, &response{Status: 500, Header: fe("Content-Type", "application/json"), Body: echo}, NotVulnerable)
}

// The ProxyShell probe on a real Exchange 2016 CU19's recorded answer
// (mr-r3bot's write-up): the back end's MAPI page came back through the
// front end.
func TestProxyShellOnRecordedAnswer(t *testing.T) {
	h := startHost(t, recordedConfig(t, "ex2016cu19-proxyshell"), true)
	s := testScanner(t, Config{})
	n := 0
	ss := s.newSession(Target{Host: h.Addr.Addr().String(), Port: int(h.Addr.Port())}, h.Addr, "https", nil, &n)
	defer ss.close()
	resp, err := ss.get(t.Context(), pathProxyShellMAPI, nil, 16<<10)
	c := judge(probeProxyShell, "GET "+pathProxyShellMAPI, true, resp, err)
	if c.Result != Vulnerable || !strings.Contains(c.Evidence, "Exchange MAPI/HTTP Connectivity Endpoint") {
		t.Errorf("recorded ProxyShell answer: %s (%s), want vulnerable", c.Result, c.Evidence)
	}
	// The /owa/ variant was not recorded: its bare 404 is no Exchange answer.
	resp, err = ss.get(t.Context(), pathProxyShell, nil, 16<<10)
	if c := judge(probeProxyShell, "GET "+pathProxyShell, true, resp, err); c.Result != Blocked {
		t.Errorf("unrecorded path: %s (%s), want blocked", c.Result, c.Evidence)
	}
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestProbesAreDocumentedAndSafe(t *testing.T) {
	for _, p := range Probes() {
		if !strings.HasPrefix(p.Request, "GET ") || p.Vulnerable == "" || p.NotVulnerable == "" {
			t.Errorf("%s: not a documented GET: %+v", p.Check, p)
		}
		for _, bad := range []string{"proxyLogon.ecp", "DDIService", "SetObject", "/powershell", "OABVirtualDirectory"} {
			if strings.Contains(p.Request, bad) {
				t.Errorf("%s: probe touches an exploit-chain step %q", p.Check, bad)
			}
		}
	}
	var defined []string
	for _, v := range Verdicts() {
		defined = append(defined, v.Result)
	}
	for _, r := range []string{Vulnerable, NotVulnerable, Blocked, Inconclusive} {
		if !slices.Contains(defined, r) {
			t.Errorf("verdict %s is not defined in Verdicts()", r)
		}
	}
}
