package scan

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/exhunt/exhunt/internal/emulator"
	"github.com/google/go-cmp/cmp"
)

// scanRecorded replays a recorded host on loopback and scans it as a user
// would (its own path, if it has one, given in a URL). It also returns
// every path the host was asked for.
func scanRecorded(t *testing.T, s *Scanner, name string) (*Result, []string) {
	t.Helper()
	rec, err := emulator.LoadRecorded(name)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var paths []string
	cfg := recordedConfig(t, name)
	h := startHostHandler(t, cfg, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			paths = append(paths, r.URL.RequestURI())
			mu.Unlock()
			next.ServeHTTP(w, r)
		})
	})
	input := h.Addr.String()
	if rec.Target != "" {
		input = "https://" + h.Addr.String() + rec.Target
	}
	r := s.scanOne(t.Context(), Target{Input: input, Host: h.Addr.Addr().String(), Port: int(h.Addr.Port()), Path: rec.Target})
	mu.Lock()
	defer mu.Unlock()
	return r, append([]string(nil), paths...)
}

// Every recorded host, judged against its source's truth: what a real
// Exchange shows through any one door is enough, a copied OWA page never
// is, and a Microsoft product that is not Exchange stays "no".
func TestRecordedHosts(t *testing.T) {
	s := testScanner(t, Config{Active: true, WebShells: true, HostRate: -1})
	type want struct {
		state     string
		lookalike bool
		build     string
		signal    string // a reason the result must give
	}
	tests := map[string]want{
		// Real Exchange, each showing itself through one door only.
		"ex2019cu14-activesync-f5":    {StateYes, false, "15.2.1544.11", "X-OWA-Version 15.2.1544.11 (GET /Microsoft-Server-ActiveSync)"},
		"ex2019cu11-autodiscover-401": {StateYes, false, "15.2.986.14", "X-OWA-Version 15.2.986.14 (GET /autodiscover/autodiscover.xml)"},
		"ex2016cu22-manifest-ntlm":    {StateYes, false, "15.1.2375.7", "ECP export tool manifest, version 15.1.2375.7"},
		"ex2019cu15-doors":            {StateYes, false, "15.2.1748.10", "X-OWA-Version 15.2.1748.10 (GET /owa/)"},
		"ex2019cu9-root-redirect":     {StateYes, false, "", "X-FEServer WIN-12OUO7A66M7 (GET /)"},
		// A real logon page without an Exchange-only header: confirmed by the /owa/ redirect.
		"ex2019cu9-nuclei": {StateYes, false, "15.2.858", "OWA logon page confirmed by a second signal: owa-redirect"},
		// Only a probe's answer was recorded: nothing to identify the host by.
		"ex2016cu19-proxyshell": {StateNo, false, "", "no Exchange door answered unlike a random path"},
		// Look-alikes: a phishing kit copying OWA 2010, a honeypot copying OWA 2016.
		"phishing-kit-owa2010": {StateNo, true, "", "its OWA resources load from another host: webmail.ntu.edu.sg (build 14.3.123.3)"},
		"owa-honeypot":         {StateNo, true, "", "its logon form's destination names another host: webmail.vfmc.vic.gov.au"},
		// Other products, and a decoy.
		"sharepoint2013": {StateNo, false, "", "no Exchange door answered unlike a random path"},
		"iis-plain":      {StateNo, false, "", "no Exchange door answered unlike a random path (which answers 404)"},
		"apache-plain":   {StateNo, false, "", "no Exchange door answered unlike a random path"},
		"decoy-manifest": {StateUnidentified, false, "", "placeholder, not a released build"},
	}
	hosts, err := emulator.RecordedHosts()
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != len(tests) {
		t.Errorf("%d recorded hosts, %d expectations: every recorded host needs one", len(hosts), len(tests))
	}
	for _, rec := range hosts {
		t.Run(rec.Name, func(t *testing.T) {
			w, ok := tests[rec.Name]
			if !ok {
				t.Fatal("no expectation")
			}
			// The expectation agrees with the source's truth.
			if rec.Truth.Identifiable && (w.state == StateYes) != rec.Truth.Exchange || w.lookalike != rec.Truth.Lookalike ||
				w.state == StateYes && w.build != rec.Truth.Build {
				t.Fatalf("expectation %+v contradicts the recorded truth %+v", w, rec.Truth)
			}
			r, paths := scanRecorded(t, s, rec.Name)
			if r.Error != "" {
				t.Fatalf("error: %s", r.Error)
			}
			got := want{r.ExchangeState, r.OWALookalike, r.Build, w.signal}
			if diff := cmp.Diff(w, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("(-want +got)\n%s\nsignals %q", diff, r.Signals)
			}
			if !strings.Contains(strings.Join(r.Signals, "\n"), w.signal) {
				t.Errorf("no signal %q in %q", w.signal, r.Signals)
			}
			if r.Exchange != (r.ExchangeState == StateYes) {
				t.Errorf("exchange %v with state %s", r.Exchange, r.ExchangeState)
			}
			if r.Requests != len(paths) || r.Requests > maxHostRequests {
				t.Errorf("requests = %d, the host saw %d (%q)", r.Requests, len(paths), paths)
			}
			// --active and --webshells only on hosts judged Exchange.
			probed := false
			for _, p := range paths {
				if strings.Contains(p, "x.js") || strings.Contains(p, "aspnet_client/") && !strings.HasSuffix(p, "aspnet_client/") {
					probed = true
				}
			}
			if probed != r.Exchange || (len(r.Active) > 0) != r.Exchange {
				t.Errorf("exchange %v but active probes %d, probe or census requests sent: %v", r.Exchange, len(r.Active), probed)
			}
			if !r.Exchange && (r.Exposed || r.Product != "" || len(r.CVEs) > 0) {
				t.Errorf("a host not judged Exchange was assessed: %+v", r)
			}
		})
	}
}

// The NTLM challenge of a real Exchange's autodiscover names it (the
// names nmap's http-ntlm-info decoded on the same server).
func TestRecordedNTLMNames(t *testing.T) {
	r, _ := scanRecorded(t, testScanner(t, Config{}), "ex2016cu22-manifest-ntlm")
	want := &NTLMInfo{TargetName: "INLANEFREIGHT", NetBIOSDomain: "INLANEFREIGHT", NetBIOSComputer: "EXCH01", DNSDomain: "inlanefreight.local",
		DNSComputer: "exch01.inlanefreight.local", DNSTree: "inlanefreight.local", OSVersion: "10.0.17763"}
	if diff := cmp.Diff(want, r.NTLM); diff != "" {
		t.Errorf("ntlm (-want +got)\n%s", diff)
	}
}
