package scan

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/exhunt/exhunt/internal/emulator"
	"github.com/google/go-cmp/cmp"
)

// emulatedBody fetches a real emulator response body as a fuzz seed.
func emulatedBody(cfg emulator.Config, path string, hdr ...string) ([]byte, http.Header) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	emulator.Handler(cfg).ServeHTTP(rec, req)
	return rec.Body.Bytes(), rec.Header()
}

func FuzzParseEntry(f *testing.F) {
	for _, s := range []string{"10.0.0.1", "10.0.0.0/24", "2001:db8::/120", "mail.example.com", "mail.example.com:8443",
		"[2001:db8::1]:443", "https://mail.example.com/owa/", "http://10.0.0.1:8080", "fe80::1%eth0", "a..b", "::ffff:10.0.0.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEntry(s)
		if err != nil {
			return
		}
		if n := e.Count([]int{443}); n < 1 || n > 1<<maxCIDRBits {
			t.Fatalf("%q expands to %d targets", s, n)
		}
		again, err := ParseEntry(s)
		if err != nil || e != again {
			t.Fatalf("re-parse of %q differs: %v", s, err)
		}
		i := 0
		e.targets([]int{443}, func(tg Target) bool {
			if _, err := ParseEntry(tg.Key()); err != nil {
				t.Fatalf("%q yields target %q that does not parse: %v", s, tg.Key(), err)
			}
			i++
			return i < 4
		})
	})
}

func FuzzNTLMChallenge(f *testing.F) {
	f.Add("NTLM " + base64.StdEncoding.EncodeToString(emulator.ChallengeMessage("EXCH01", "corp.local")))
	f.Add("NTLM " + base64.StdEncoding.EncodeToString(emulator.ChallengeMessage("a", "b")))
	f.Add(ntlmNegotiate)
	f.Add("Negotiate")
	f.Fuzz(func(t *testing.T, h string) {
		info, err := ParseNTLMChallenge(h)
		if err != nil {
			return
		}
		for _, s := range []string{info.TargetName, info.NetBIOSComputer, info.NetBIOSDomain, info.DNSComputer, info.DNSDomain, info.DNSTree} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 %q", s)
			}
		}
		again, _ := ParseNTLMChallenge(h)
		if !cmp.Equal(info, again) {
			t.Fatal("decoding is not deterministic")
		}
	})
}

func FuzzBuildParsers(f *testing.F) {
	logon, _ := emulatedBody(emulator.Config{Kind: emulator.Exchange, Build: "15.1.2176.2"}, pathLogon)
	man, _ := emulatedBody(emulator.Config{Kind: emulator.Exchange, Build: "15.2.986.5"}, pathManifest)
	f.Add(logon)
	f.Add(man)
	f.Add([]byte(`<link href="/owa/14.3.513.0/themes/base/logon.css">`))
	f.Add([]byte(`<assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="15.02.0986.005"/>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, b := range PageBuilds(body) {
			if n, ok := NormalizeBuild(b); !ok || n != b {
				t.Fatalf("PageBuilds gave %q, which does not normalise to itself (%q)", b, n)
			}
		}
		if b, ok := ManifestBuild(body); ok {
			if n, ok2 := NormalizeBuild(b); !ok2 || n != b || precisionOf(b) != "full" {
				t.Fatalf("ManifestBuild gave %q", b)
			}
		}
		if b, ok := NormalizeBuild(string(body)); ok {
			if again, _ := NormalizeBuild(b); again != b {
				t.Fatalf("NormalizeBuild not idempotent: %q -> %q -> %q", body, b, again)
			}
		}
	})
}

// FuzzObserve feeds arbitrary headers and bodies to the response reader.
func FuzzObserve(f *testing.F) {
	body, hdr := emulatedBody(emulator.Config{Kind: emulator.Exchange, Build: "15.2.1748.49", VersionHeader: true}, pathLogon)
	var sb strings.Builder
	hdr.Write(&sb)
	f.Add(sb.String(), body, 200)
	_, hdr = emulatedBody(emulator.Config{Kind: emulator.Exchange, Build: "15.1.2176.2", SSRF: true}, pathSSRF, "Cookie", cookieSSRF)
	sb.Reset()
	hdr.Write(&sb)
	f.Add(sb.String(), []byte{}, 500)
	f.Add("X-OWA-Version: 15.01.2176.002\r\nX-FEServer: EX\r\n", []byte("<!-- OwaPage = ASP.auth_logon_aspx -->"), 200)
	f.Add("Location: https://mail.example.com/owa/auth/logon.aspx?url=x&reason=0\r\n", []byte(`<form action="./?gosend" name="logonForm"><link href="https://other.example/owa/14.3.123.3/x">`), 302)
	f.Fuzz(func(t *testing.T, rawHdr string, body []byte, status int) {
		h := http.Header{}
		for line := range strings.SplitSeq(rawHdr, "\n") {
			if k, v, ok := strings.Cut(strings.TrimRight(line, "\r"), ":"); ok {
				h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			}
		}
		resp := &response{Status: status, Header: h, Body: body}
		r := &Result{IP: "127.0.0.1"}
		e := &evidence{names: []string{"mail.example.com", "127.0.0.1"}, asked: map[string]bool{}, seen: map[string]bool{}}
		for _, d := range append(Doors(), Door{Path: pathLogon, kind: doorPage}) {
			e.observe(r, d, "GET "+d.Path, resp)
		}
		e.classify(r)
		if r.ExchangeState == "" || r.Exchange != (r.ExchangeState == StateYes) || r.OWALookalike && r.Exchange {
			t.Fatalf("state %q exchange %v lookalike %v", r.ExchangeState, r.Exchange, r.OWALookalike)
		}
		for _, p := range []probe{probeSSRF, probeProxyShell, probeProxyNotShell(r), probeProxyToken, probeFrowny} {
			if c := judge(p, "GET x", true, resp, nil); c.Result == "" || c.Evidence == "" {
				t.Fatalf("%s: empty verdict", p.check)
			}
		}
		judgeShell(resp, resp)
		b, p, _ := chooseBuild(r.BuildMethods)
		if b != "" && precisionOf(b) != p {
			t.Fatalf("chooseBuild precision %q for %q", p, b)
		}
		seen := map[string]bool{}
		for _, s := range r.Signals {
			if seen[s] {
				t.Fatalf("duplicate signal %q", s)
			}
			seen[s] = true
		}
		if !utf8.ValidString(r.FEServer) || len(r.FEServer) > 255 {
			t.Fatalf("fe_server %q", r.FEServer)
		}
	})
}
