package scan

import (
	"net/http"
	"slices"
	"strings"
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
		{"unpatched: SSRF, ProxyShell, ProxyToken confirmed", "vulnerable-2016cu19",
			map[string]string{"CVE-2021-26855": Vulnerable, "CVE-2021-34473": Vulnerable, "CVE-2022-41040": Reachable, "CVE-2021-33766": Vulnerable, "CVE-2021-31195": Vulnerable}, true},
		{"EOMT-mitigated: SSRF request aborted", "mitigated-2019cu8",
			map[string]string{"CVE-2021-26855": Mitigated, "CVE-2021-34473": Vulnerable, "CVE-2022-41040": Reachable, "CVE-2021-33766": Vulnerable, "CVE-2021-31195": Vulnerable}, true},
		{"patched twin: nothing confirmed", "patched-2019cu15",
			map[string]string{"CVE-2021-26855": NotVulnerable, "CVE-2021-34473": NotVulnerable, "CVE-2022-41040": Reachable, "CVE-2021-33766": NotVulnerable, "CVE-2021-31195": NotVulnerable}, false},
		{"EOMTv2 rule blocks the ProxyNotShell path", "patched-2019cu11-nov22-eomtv2",
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
			// The fake KB knows no CVEs for the 2019 builds: exposure here comes from probes only.
			if tt.profile != "vulnerable-2016cu19" && r.Exposed != tt.exposed {
				t.Errorf("exposed = %v, want %v", r.Exposed, tt.exposed)
			}
			if tt.exposed && !slices.Contains(r.CVEs, "CVE-2021-26855") && got["CVE-2021-26855"] == Vulnerable {
				t.Errorf("confirmed CVE-2021-26855 missing from cves %v", r.CVEs)
			}
		})
	}
}

func TestActiveSkipsNonExchange(t *testing.T) {
	s := testScanner(t, Config{Active: true})
	for _, k := range []emulator.Kind{emulator.NotExchange, emulator.CatchAll} {
		r := scanHost(t, s, startHost(t, emulator.Config{Kind: k}, true))
		if len(r.Active) != 0 || r.Exposed {
			t.Errorf("%v: active probes ran on a non-Exchange host: %+v", k, r.Active)
		}
	}
}

// A catch-all server that answers the SSRF request with 200 must not be
// called vulnerable; nor a reverse proxy that 302s everything.
func TestProbeJudgesNearMisses(t *testing.T) {
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	test := func(got Check, want string) {
		t.Helper()
		if got.Result != want {
			t.Errorf("%s: got %s (%s), want %s", got.Check, got.Result, got.Evidence, want)
		}
	}
	test(checkSSRF(&response{Status: 200, Header: hdr()}, nil), NotVulnerable)
	test(checkSSRF(&response{Status: 500, Header: hdr("X-CalculatedBETarget", "mbx01.corp.local")}, nil), NotVulnerable)
	test(checkSSRF(&response{Status: 500, Header: hdr("X-CalculatedBETarget", "localhost")}, nil), Vulnerable)
	test(checkProxyShell(&response{Status: 302, Header: hdr("Location", "https://sso.example/login")}, nil), Inconclusive)
	test(checkProxyShell(&response{Status: 302, Header: hdr("Location", "/owa/auth/errorFE.aspx?httpCode=500")}, nil), Vulnerable)
	test(checkProxyShell(&response{Status: 401, Header: hdr()}, nil), Inconclusive)
	test(checkProxyShell(&response{Status: 400, Header: hdr()}, nil), NotVulnerable)
	test(checkProxyToken(&response{Status: 403, Header: hdr(), Body: []byte(`<span id="msgCode">403</span> function signOut() {`)}, nil), Inconclusive)
	test(checkProxyNotShell(&response{Status: 404, Header: hdr()}, nil), Blocked)
	echo := []byte("refurl=}}};alert(document.domain)//&et=ServerError mail/bootr.ashx")
	test(checkFrowny(&response{Status: 500, Header: hdr("Content-Type", "text/html"), Body: echo}, nil), Vulnerable)
	test(checkFrowny(&response{Status: 200, Header: hdr("Content-Type", "text/html"), Body: echo}, nil), Inconclusive) // a catch-all echo server
	test(checkFrowny(&response{Status: 500, Header: hdr("Content-Type", "application/json"), Body: echo}, nil), NotVulnerable)
}

func TestProbesAreDocumentedAndSafe(t *testing.T) {
	for _, p := range Probes() {
		if !strings.HasPrefix(p.Request, "GET ") {
			t.Errorf("%s: probe is not a GET: %s", p.Check, p.Request)
		}
		for _, bad := range []string{"proxyLogon.ecp", "DDIService", "SetObject", "/powershell", "OABVirtualDirectory"} {
			if strings.Contains(p.Request, bad) {
				t.Errorf("%s: probe touches an exploit-chain step %q", p.Check, bad)
			}
		}
	}
}
