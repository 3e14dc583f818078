package scan

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/emulator"
	"github.com/google/go-cmp/cmp"
)

func TestFingerprintAgainstEmulator(t *testing.T) {
	s := testScanner(t, Config{})
	type want struct {
		exchange   bool
		build      string
		precision  string
		methods    []string
		conflicts  int
		exposed    bool
		suDepCount int
	}
	tests := []struct {
		name string
		cfg  emulator.Config
		tls  bool
		want want
	}{
		{"unpatched 2016 CU19: no header, path gives CU, manifest gives full", emulator.Config{Kind: emulator.Exchange, Build: "15.1.2176.2"}, true,
			want{true, "15.1.2176.2", "full", []string{"exporttool-manifest=15.1.2176.2", "owa-resource-path=15.1.2176"}, 0, true, 0}},
		{"patched SE with X-OWA-Version (header on logon and autodiscover)", emulator.Config{Kind: emulator.Exchange, Build: "15.2.2562.46", VersionHeader: true}, true,
			want{true, "15.2.2562.46", "full", []string{"exporttool-manifest=15.2.2562.46", "owa-resource-path=15.2.2562", "x-owa-version=15.2.2562.46"}, 0, false, 0}},
		{"CU only: no header, no manifest: CU known, SU unknown", emulator.Config{Kind: emulator.Exchange, Build: "15.1.2176.14", NoManifest: true}, false,
			want{true, "15.1.2176", "cu", []string{"owa-resource-path=15.1.2176"}, 0, true, 7}},
		{"CU only from the page, SU read from the ECP version folder", emulator.Config{Kind: emulator.Exchange, Build: "15.1.2176.12", CurrentManifestMissing: true}, true,
			want{true, "15.1.2176.12", "full", []string{"ecp-version-folder=15.1.2176.12", "owa-resource-path=15.1.2176"}, 0, true, 0}},
		{"manifest carries another build than the header: conflict reported, header wins", emulator.Config{Kind: emulator.Exchange, Build: "15.2.1748.49", VersionHeader: true, ManifestBuild: "15.2.1748.10"}, true,
			want{true, "15.2.1748.49", "full", []string{"exporttool-manifest=15.2.1748.10", "owa-resource-path=15.2.1748", "x-owa-version=15.2.1748.49"}, 1, false, 0}},
		{"plain IIS is not Exchange", emulator.Config{Kind: emulator.NotExchange}, true, want{}},
		{"IIS with Windows auth (401 NTLM everywhere) is not Exchange", emulator.Config{Kind: emulator.IISNTLM}, true, want{}},
		{"catch-all 200 server is not Exchange", emulator.Config{Kind: emulator.CatchAll}, false, want{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startHost(t, tt.cfg, tt.tls)
			r := scanHost(t, s, h)
			if r.Error != "" {
				t.Fatalf("error: %s", r.Error)
			}
			got := want{r.Exchange, r.Build, r.Precision, methods(r), len(r.Conflicts), r.Exposed, len(r.SUDependentCVEs)}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("(-want +got)\n%s\nsignals %v conflicts %v", diff, r.Signals, r.Conflicts)
			}
			if tt.want.precision == "cu" && !slices.ContainsFunc(r.Notes, func(n string) bool { return n[:8] == "CU known" }) {
				t.Errorf("CU-only result lacks the 'CU known, security update unknown' note: %q", r.Notes)
			}
		})
	}
}

func TestFingerprintNamesTheHost(t *testing.T) {
	s := testScanner(t, Config{})
	h := startHost(t, emulator.Config{Kind: emulator.Exchange, Build: "15.2.1748.49", VersionHeader: true, Computer: "MBX07", Domain: "contoso.test"}, true)
	r := scanHost(t, s, h)
	if r.TLS == nil || !r.TLS.SelfSigned || r.TLS.Expired || !slices.Contains(r.TLS.Names, "mbx07.contoso.test") {
		t.Errorf("tls = %+v, want self-signed, not expired, naming mbx07.contoso.test", r.TLS)
	}
	wantNTLM := &NTLMInfo{TargetName: "CONTOSO", NetBIOSDomain: "CONTOSO", NetBIOSComputer: "MBX07", DNSDomain: "contoso.test",
		DNSComputer: "mbx07.contoso.test", DNSTree: "contoso.test", OSVersion: "10.0.17763"}
	if diff := cmp.Diff(wantNTLM, r.NTLM); diff != "" {
		t.Errorf("ntlm (-want +got)\n%s", diff)
	}
	if r.FEServer != "MBX07" {
		t.Errorf("fe_server = %q, want MBX07", r.FEServer)
	}
}

func TestExpiredCertificate(t *testing.T) {
	s := testScanner(t, Config{})
	h, err := emulator.Start(emulator.Config{Kind: emulator.Exchange, Build: "15.2.1748.49"}, emulator.Options{TLS: true, CertExpired: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	r := scanHost(t, s, h)
	if r.TLS == nil || !r.TLS.Expired || !r.Exchange {
		t.Errorf("expired certificate: tls %+v exchange %v error %q", r.TLS, r.Exchange, r.Error)
	}
}

func TestChooseBuild(t *testing.T) {
	test := func(ms []BuildMethod, wantBuild, wantPrec string, wantConflicts int) {
		t.Helper()
		b, p, c := chooseBuild(ms)
		if b != wantBuild || p != wantPrec || len(c) != wantConflicts {
			t.Errorf("chooseBuild(%v) = %s %s %v, want %s %s %d conflicts", ms, b, p, c, wantBuild, wantPrec, wantConflicts)
		}
	}
	hdr := func(b string) BuildMethod {
		return BuildMethod{Method: MethodHeader, Build: b, Precision: precisionOf(b), Confidence: "high"}
	}
	man := func(b string) BuildMethod {
		return BuildMethod{Method: MethodManifest, Build: b, Precision: "full", Confidence: "medium"}
	}
	path := func(b string) BuildMethod {
		return BuildMethod{Method: MethodPath, Build: b, Precision: precisionOf(b), Confidence: "high"}
	}
	test(nil, "", "", 0)
	test([]BuildMethod{path("15.1.2176")}, "15.1.2176", "cu", 0)
	test([]BuildMethod{path("15.1.2176"), man("15.1.2176.2")}, "15.1.2176.2", "full", 0)
	test([]BuildMethod{path("15.1.2176"), man("15.1.2176.2"), hdr("15.1.2176.14")}, "15.1.2176.14", "full", 1)
	test([]BuildMethod{path("15.1.2375"), hdr("15.1.2176.14")}, "15.1.2176.14", "full", 1) // stale page after an upgrade: said, not hidden
}

func TestParsers(t *testing.T) {
	test := func(in, want string, ok bool) {
		t.Helper()
		got, gotOK := NormalizeBuild(in)
		if got != want || gotOK != ok {
			t.Errorf("NormalizeBuild(%q) = %q %v, want %q %v", in, got, gotOK, want, ok)
		}
	}
	test("15.01.2176.002", "15.1.2176.2", true)
	test("15.2.1748", "15.2.1748", true)
	test("15.2", "", false)
	test("15.2.1748.36.1", "", false)
	test("Version 15.1 (Build 2176.2)", "", false)

	page := []byte(`<link href="/owa/auth/15.1.2176/themes/resources/favicon.ico"><img src="/owa/14.3.513.0/themes/base/x.gif"><a href="/owa/auth/current/x">`)
	if diff := cmp.Diff([]string{"15.1.2176", "14.3.513.0"}, PageBuilds(page)); diff != "" {
		t.Errorf("PageBuilds (-want +got)\n%s", diff)
	}
	man := []byte(`<assemblyIdentity version="15.2.986.5" publicKeyToken="b1d1a6c45aa418ce" name="microsoft.exchange.ediscovery.exporttool.application" />
<assemblyIdentity name="other" version="1.2.3.4"/>`)
	if b, ok := ManifestBuild(man); !ok || b != "15.2.986.5" {
		t.Errorf("ManifestBuild = %q %v, want 15.2.986.5 (attribute order must not matter)", b, ok)
	}
	for _, near := range []string{
		`<assemblyIdentity name="other" version="15.2.986.5" publicKeyToken="b1d1a6c45aa418ce"/>`,                                              // another assembly
		`<assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="15.0.0.0" publicKeyToken="0000000000000000"/>`, // a decoy's placeholders
		`<assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="15.2.986.5" publicKeyToken="0000000000000000"/>`,
		`<assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="15.0.0.0" publicKeyToken="b1d1a6c45aa418ce"/>`,
		`<assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="15.2.986.5"/>`, // unsigned
	} {
		if b, ok := ManifestBuild([]byte(near)); ok {
			t.Errorf("ManifestBuild read %q from %s", b, near)
		}
	}
}

// kbWith2010 is a knowledge base that covers Exchange 2010, as the real one
// does: the product is out of support, so exposed, with no CVE listed for
// the build.
type kbWith2010 struct{ fakeKB }

func (k kbWith2010) Assess(b string) (Assessment, error) {
	switch {
	case strings.HasPrefix(b, "14.3."):
		return Assessment{Build: b, Product: "Exchange Server 2010", CU: "SP3", Update: "RU32", Known: true, Exposed: true,
			Notes: []string{"Exchange Server 2010 is unsupported since 2020-10-13"}}, nil
	case b == "15.2.1748.49": // an out-of-support line still patched (ESU): not exposed by lifecycle alone
		return Assessment{Build: b, Product: "Exchange Server 2019", CU: "CU15", Update: "Aug26SU", Known: true}, nil
	}
	return k.fakeKB.Assess(b)
}

// Exchange 2010 is judged, not waved through: with a knowledge base that
// does not cover it (today's) and with one that does, it is exposed.
func TestExchange2010IsExposed(t *testing.T) {
	for _, kb := range []Assessor{fakeKB{}, kbWith2010{}} {
		s := testScanner(t, Config{Assessor: kb})
		r := scanHost(t, s, startHost(t, profile(t, "exchange-2010sp3"), true))
		if !r.Exchange || r.Build != "14.3.513.0" || r.Precision != "full" || r.Product != "Exchange Server 2010" || r.CU != "SP3" || !r.Exposed {
			t.Errorf("%T: exchange %v build %s/%s product %q cu %q exposed %v", kb, r.Exchange, r.Build, r.Precision, r.Product, r.CU, r.Exposed)
		}
		if !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "2020-10-13") }) {
			t.Errorf("%T: no lifecycle note: %q", kb, r.Notes)
		}
		// Its logon page has no Exchange-only header: the /owa redirect confirmed it.
		if !slices.ContainsFunc(r.Signals, func(s string) bool { return strings.HasPrefix(s, "OWA logon page confirmed by a second signal") }) {
			t.Errorf("%T: signals %q", kb, r.Signals)
		}
	}
	// A patched build of a line out of support is not exposed by the lifecycle rule.
	r := scanHost(t, testScanner(t, Config{Assessor: kbWith2010{}}), startHost(t, profile(t, "patched-2019cu15"), true))
	if r.Exposed {
		t.Errorf("2019 CU15 Aug26SU exposed: %q", r.Notes)
	}
}

// The three states on synthetic hosts: a proxy that publishes only the
// logon page of a header-less Exchange leaves a page with no second signal
// (unidentified, build kept for whoever chases it); other products are no.
func TestThreeStates(t *testing.T) {
	onlyLogon := startHostHandler(t, profile(t, "vulnerable-2016cu19"), func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != pathLogon {
				http.NotFound(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	s := testScanner(t, Config{Active: true})
	r := scanHost(t, s, onlyLogon)
	if r.ExchangeState != StateUnidentified || r.Exchange || r.Build != "15.1.2176" || r.Exposed || len(r.Active) != 0 || len(r.CVEs) != 0 ||
		!slices.ContainsFunc(r.Signals, func(s string) bool { return strings.HasPrefix(s, "no second Exchange signal") }) {
		t.Errorf("logon page alone: state %s build %q exposed %v active %d signals %q", r.ExchangeState, r.Build, r.Exposed, len(r.Active), r.Signals)
	}
	for _, k := range []emulator.Kind{emulator.NotExchange, emulator.IISNTLM, emulator.CatchAll} {
		if r := scanHost(t, s, startHost(t, emulator.Config{Kind: k}, true)); r.ExchangeState != StateNo || r.Exchange {
			t.Errorf("%v: state %s: %q", k, r.ExchangeState, r.Signals)
		}
	}
}

// What a host costs (the README states it): a host that is not Exchange
// gets the logon page and every door; an Exchange that sends X-OWA-Version
// on its logon page gets that page, one NTLM door for its names and the
// manifest.
func TestRequestCounts(t *testing.T) {
	s := testScanner(t, Config{})
	if r := scanHost(t, s, startHost(t, emulator.Config{Kind: emulator.NotExchange}, true)); r.Requests != 1+len(Doors()) || len(Doors()) != 11 {
		t.Errorf("plain IIS: %d requests, want 12", r.Requests)
	}
	if r := scanHost(t, s, startHost(t, profile(t, "patched-se"), true)); r.Requests != 3 || r.NTLM == nil {
		t.Errorf("patched SE: %d requests (ntlm %v), want 3", r.Requests, r.NTLM)
	}
}
