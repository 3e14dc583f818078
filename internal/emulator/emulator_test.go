package emulator

import (
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func serve(t *testing.T, cfg Config, path string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	Handler(cfg).ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExchangeResponseShapes(t *testing.T) {
	vuln := Config{Kind: Exchange, Build: "15.1.2176.2", SSRF: true, ProxyShell: true, WebShells: []string{"/aspnet_client/supp0rt.aspx"}}
	patched := Config{Kind: Exchange, Build: "15.2.1748.49", VersionHeader: true}
	test := func(name string, cfg Config, path string, status int, header, headerHas, bodyHas string, reqHdr ...string) {
		t.Helper()
		r := serve(t, cfg, path, reqHdr...)
		b := body(t, r)
		if r.StatusCode != status {
			t.Errorf("%s: status %d, want %d", name, r.StatusCode, status)
		}
		if header != "" && !strings.Contains(strings.Join(r.Header.Values(header), ", "), headerHas) {
			t.Errorf("%s: header %s = %q, want it to contain %q", name, header, r.Header.Values(header), headerHas)
		}
		if !strings.Contains(b, bodyHas) {
			t.Errorf("%s: body lacks %q", name, bodyHas)
		}
	}
	test("logon page carries the CU path", vuln, "/owa/auth/logon.aspx", 200, "request-id", "-", "/owa/auth/15.1.2176/themes/resources/favicon.ico")
	if v := serve(t, vuln, "/owa/auth/logon.aspx").Header.Get("X-FEServer"); v != "" {
		t.Errorf("X-FEServer %q on the logon page, which the front end serves itself", v)
	}
	test("proxied answers name the front end", vuln, "/owa/", 302, "X-FEServer", "EXCH01", "")
	if v := serve(t, vuln, "/exhunt-random").Header.Get("X-FEServer"); v != "" {
		t.Errorf("X-FEServer %q on a path outside Exchange's virtual directories", v)
	}
	old := Config{Kind: Exchange, Build: Build2010SP3}
	test("2010: full build in /owa/<build>/ paths", old, "/owa/auth/logon.aspx", 200, "", "", `href="/owa/14.3.513.0/themes/resources/logon.css"`)
	for _, p := range []string{"/owa/", "/EWS/Exchange.asmx", "/owa/auth/logon.aspx"} {
		if v := serve(t, old, p).Header.Get("X-FEServer"); v != "" {
			t.Errorf("2010 %s: X-FEServer %q; 2010 has no HttpProxy", p, v)
		}
	}
	test("2010: no export tool manifest", old, "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application", 404, "", "", "")
	test("pre-Jul21 build sends no X-OWA-Version", vuln, "/owa/auth/logon.aspx", 200, "", "", "<!-- OwaPage = ASP.auth_logon_aspx -->")
	if v := serve(t, vuln, "/owa/auth/logon.aspx").Header.Get("X-OWA-Version"); v != "" {
		t.Errorf("X-OWA-Version %q on a build without the header", v)
	}
	test("patched build sends X-OWA-Version", patched, "/owa/auth/logon.aspx", 200, "X-OWA-Version", "15.2.1748.49", "IsOwaPremiumBrowser")
	test("IIS paths are case-insensitive", patched, "/OWA/AUTH/LOGON.ASPX", 200, "", "", "OwaPage")
	test("/owa/ redirects to logon", patched, "/owa/", 302, "Location", "/owa/auth/logon.aspx?url=", "")
	test("manifest names the full build", vuln, "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application", 200,
		"Content-Type", "application/x-ms-application", `name="microsoft.exchange.ediscovery.exporttool.application" version="15.1.2176.2"`)
	test("versioned exporttool folder exists", vuln, "/ecp/15.1.2176.2/exporttool/microsoft.exchange.ediscovery.exporttool.application", 200, "", "", "assemblyIdentity")
	test("other version folder does not", vuln, "/ecp/15.1.2176.9/exporttool/microsoft.exchange.ediscovery.exporttool.application", 404, "", "", "")
	test("autodiscover wants auth", patched, "/autodiscover/autodiscover.xml", 401, "WWW-Authenticate", "NTLM", "")
	test("EWS wants NTLM", patched, "/EWS/Exchange.asmx", 401, "WWW-Authenticate", "Negotiate", "")
	test("NTLM negotiate gets a challenge", patched, "/EWS/Exchange.asmx", 401, "WWW-Authenticate", "NTLM TlRMTVNTUAACAAAA", "",
		"Authorization", "NTLM TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=")
	ssrfCookie := "X-AnonResource=true; X-AnonResource-Backend=localhost/ecp/default.flt?~3; X-BEResource=localhost/owa/auth/logon.aspx?~3;"
	test("SSRF: back end taken from the cookie", vuln, "/owa/auth/x.js", 500, "X-CalculatedBETarget", "localhost", "", "Cookie", ssrfCookie)
	test("patched: cookie ignored", patched, "/owa/auth/x.js", 404, "", "", "", "Cookie", ssrfCookie)
	ps := "/autodiscover/autodiscover.json?@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com"
	test("ProxyShell: 302 to errorFE", vuln, ps, 302, "Location", "errorFE.aspx", "OwaADUserNotFoundException")
	test("ProxyShell patched: 400", patched, ps, 400, "", "", "")
	frowny := "/owa/auth/frowny.aspx?app=people&et=ServerError&esrc=MasterPage&te=%5C&refurl=%7D%7D%7D%3Balert(document.domain)%2F%2F"
	test("frowny.aspx echoes refurl when vulnerable", Config{Kind: Exchange, Build: "15.1.2176.2", FrownyXSS: true}, frowny, 500, "Content-Type", "text/html", "alert(document.domain)//&et=ServerError")
	if strings.Contains(body(t, serve(t, patched, frowny)), "alert(") {
		t.Error("patched frowny.aspx echoes refurl")
	}
	test("planted shell answers", vuln, "/aspnet_client/supp0rt.aspx", 200, "", "", "")
	test("random name in aspnet_client is 404", vuln, "/aspnet_client/random123.aspx", 404, "", "", "404 - File or directory not found.")
	test("plain IIS", Config{Kind: NotExchange}, "/", 200, "Server", "Microsoft-IIS/10.0", "IIS Windows Server")
	test("catch-all", Config{Kind: CatchAll}, "/aspnet_client/anything.aspx", 200, "", "", "It works")
}

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "10.0.0.1:0", "[::]:0", "192.168.1.1:443"} {
		if _, err := Start(Config{Kind: NotExchange}, Options{Addr: addr}); !errors.Is(err, ErrNotLoopback) {
			t.Errorf("Start(%s) err = %v, want ErrNotLoopback", addr, err)
		}
	}
	if _, err := StartFleet([]Config{{Kind: NotExchange}}, FleetOptions{FirstIP: netip.MustParseAddr("10.1.0.1")}); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("StartFleet on 10.1.0.1: err = %v, want ErrNotLoopback", err)
	}
}

func TestFleetServesTLSWithHostNames(t *testing.T) {
	cfgs := Mix(12, MixOptions{Seed: 7, SlowDelay: time.Millisecond})
	f, err := StartFleet(cfgs, FleetOptions{FirstIP: netip.MustParseAddr("127.4.0.1"), TLS: true, ExpiredEvery: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if len(f.Hosts) != 12 {
		t.Fatalf("%d hosts", len(f.Hosts))
	}
	expired := 0
	for i, h := range f.Hosts {
		if !h.Addr.Addr().IsLoopback() {
			t.Fatalf("host %d on %s", i, h.Addr)
		}
		conn, err := tls.Dial("tcp", h.Addr.String(), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatalf("host %d: %v", i, err)
		}
		cert := conn.ConnectionState().PeerCertificates[0]
		conn.Close()
		if cert.Subject.CommonName != h.Config.FQDN() {
			t.Errorf("host %d: CN %q, want %q", i, cert.Subject.CommonName, h.Config.FQDN())
		}
		if time.Now().After(cert.NotAfter) {
			expired++
		}
	}
	if expired != 3 {
		t.Errorf("%d expired certificates, want 3 (every 4th)", expired)
	}
}

func TestMixShares(t *testing.T) {
	cfgs := Mix(1000, MixOptions{Seed: 1})
	var vuln, non, slow, shelled int
	for _, c := range cfgs {
		if c.SSRF {
			vuln++
		}
		if c.Kind != Exchange {
			non++
		}
		if c.Delay > 0 {
			slow++
		}
		if len(c.WebShells) > 0 {
			shelled++
		}
	}
	if vuln != 100 || non != 50 || slow != 20 || shelled != 4 {
		t.Errorf("vulnerable %d non-Exchange %d slow %d web-shelled %d, want 100 50 20 4", vuln, non, slow, shelled)
	}
	if again := Mix(1000, MixOptions{Seed: 1}); again[17].Computer != cfgs[17].Computer {
		t.Error("same seed, different fleet")
	}
}
