package scan

import (
	"slices"
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
	man := []byte(`<assemblyIdentity version="15.2.986.5" name="microsoft.exchange.ediscovery.exporttool.application" />
<assemblyIdentity name="other" version="1.2.3.4"/>`)
	if b, ok := ManifestBuild(man); !ok || b != "15.2.986.5" {
		t.Errorf("ManifestBuild = %q %v, want 15.2.986.5 (attribute order must not matter)", b, ok)
	}
	if b, ok := ManifestBuild([]byte(`<assemblyIdentity name="other" version="15.2.986.5"/>`)); ok {
		t.Errorf("ManifestBuild read %q from another assembly", b)
	}
}
