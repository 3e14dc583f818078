package hunt

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/finding"
)

func TestServesExchange(t *testing.T) {
	test := func(stem, status string, want bool) {
		t.Helper()
		if got := servesExchange(stem, status); got != want {
			t.Errorf("servesExchange(%q, %q) = %v, want %v", stem, status, got, want)
		}
		if want && !mayNameExchangeURL([]byte("2021-03-05 03:06:27 10.0.0.5 GET "+stem+" - 443 - 1.2.3.4 - - "+status+" 0 0 1")) {
			t.Errorf("the line test misses %q", stem)
		}
	}
	test("/owa/auth/logon.aspx", "200", true)
	test("/OWA/", "200", true)
	test("/EWS/Exchange.asmx", "401", true)
	test("/Microsoft-Server-ActiveSync", "449", true)
	test("/rpc/rpcproxy.dll", "401", true)
	test("/PowerShell", "401", true)
	// Near misses: not found, a site-wide redirect, look-alike paths.
	test("/owa/auth/logon.aspx", "404", false)
	test("/owa/", "301", false)
	test("/owa/", "302", false)
	test("/owasp/index.aspx", "200", false)
	test("/powershell-docs/intro.aspx", "200", false)
	test("/rpc/other.dll", "200", false)
	test("/app/owa/login.aspx", "200", false)
	if mayNameExchangeURL([]byte("2019-09-03 10:13:36 10.0.2.15 GET /erp/conn.aspx proxy&port=3389&ip=127.0.0.1 80 - 10.0.2.17 - - 200 0 0 7")) {
		t.Error("the line test keeps a line without an Exchange URL")
	}
}

// IIS logs alone tell an Exchange server: the real 2021 incident's IIS
// logs (OWA pages answered 200) keep CVE-2021-26855 on a ProxyLogon probe
// found beside them; beside the real Tunna lab's IIS log (a server with no
// Exchange URL) the same probe's CVE is not applied. The probe lines are
// ours: a scanner's SSRF request (POST /ecp/y.js, answered 404 there) and
// a request from a published attacker address.
func TestIISShowsExchange(t *testing.T) {
	iis := needReal(t, "helsecert/assembled/EXCH/inetpub/logs/LogFiles/W3SVC1")
	tunna := filepath.Join(needReal(t, "eas"), "Command_and_Control_Tunna_rdp_tunnel_IIS.log")
	probe := "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n" +
		"2021-03-03 06:12:01 10.0.0.5 POST /ecp/y.js - 443 - 104.140.114.110 ExchangeServicesClient/0.0.0.0 - 404 0 0 12\n"
	copyTo := func(dir, src string) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, filepath.Base(src)), b, 0o644)
	}
	cves := func(r finding.HostResult) (applied, not []string) {
		for _, f := range r.Findings {
			if f.Source != "u_ex210303.log" {
				continue
			}
			applied = append(applied, f.CVEs...)
			if f.Details["cves_not_applied"] != "" {
				not = append(not, f.Details["cves_not_applied"])
			}
		}
		return applied, not
	}
	opt := builtinOptions(t)

	exch := t.TempDir()
	for _, n := range []string{"u_ex210305.log", "u_ex210306.log", "u_ex210308.log"} {
		copyTo(exch, filepath.Join(iis, n))
	}
	os.WriteFile(filepath.Join(exch, "u_ex210303.log"), []byte(probe), 0o644)
	applied, not := cves(hunt1(t, exch, opt)[0])
	if !slices.Contains(applied, "CVE-2021-26855") || len(not) != 0 {
		t.Errorf("beside the incident's IIS logs: CVEs %q, not applied %q; want CVE-2021-26855 applied", applied, not)
	}

	other := t.TempDir()
	copyTo(other, tunna)
	os.WriteFile(filepath.Join(other, "u_ex210303.log"), []byte(probe), 0o644)
	applied, not = cves(hunt1(t, other, opt)[0])
	if len(applied) != 0 || len(not) == 0 || !strings.Contains(not[0], "CVE-2021-26855: the host shows no sign of Exchange") {
		t.Errorf("beside a non-Exchange IIS log: CVEs %q, not applied %q; want CVE-2021-26855 not applied", applied, not)
	}
}
