package rules_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/exlog"
	"github.com/exhunt/exhunt/internal/iislog"
	"github.com/exhunt/exhunt/internal/rules"
)

// plExampleHits runs every text log of examples/evidence through its parser
// and the built-in pack, the way hunt does, and returns one
// "time source:line rule-title" string per hit.
func plExampleHits(t *testing.T, root string) []string {
	t.Helper()
	set := plBuiltin(t)
	var hits []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		head := b[:min(len(b), 4096)]
		report := func(m func(*evidence.Record) *rules.Matcher) func(*evidence.Record) error {
			return func(r *evidence.Record) error {
				m(r).Match(r, func(rule *rules.Rule) {
					hits = append(hits, fmt.Sprintf("%s %s:%d %s", r.Time.Format("2006-01-02T15:04:05Z"), rel, r.Line, rule.Title))
				})
				return nil
			}
		}
		switch _, isEx := exlog.Sniff(head); {
		case iislog.Sniff(head):
			m := set.ForSource(iislog.LogSource)
			_, err = iislog.Parse(t.Context(), strings.NewReader(string(b)), rel, iislog.Options{Filter: m.Candidate},
				report(func(*evidence.Record) *rules.Matcher { return m }))
		case isEx, strings.Contains(strings.ToLower(rel), "/logging/"):
			_, err = exlog.Parse(t.Context(), strings.NewReader(string(b)), rel, exlog.Options{},
				report(func(r *evidence.Record) *rules.Matcher { return set.ForSource(r.Log) }))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(hits)
	return hits
}

// TestPackLogsExample pins the log findings of the example evidence tree;
// examples/evidence/EXPECTED.md lists the same hits for readers.
func TestPackLogsExample(t *testing.T) {
	root := filepath.Join("..", "..", "examples", "evidence")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("example evidence not found: %v", err)
	}
	got := plExampleHits(t, root)
	if os.Getenv("EXHUNT_PRINT_EXAMPLE") != "" {
		t.Log("\n" + strings.Join(got, "\n"))
	}
	want := plExampleWant
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("example hits (-want +got):\n%s", d)
	}
}

var plExampleWant = []string{
	"2021-01-03T03:12:40Z inetpub/logs/LogFiles/W3SVC1/u_ex210103.log:5 ProxyLogon-era attacker user agent (IIS)",
	"2021-01-03T03:12:44Z inetpub/logs/LogFiles/W3SVC1/u_ex210103.log:6 ProxyLogon SSRF request to a short .js name under /ecp or /owa/auth",
	"2021-01-03T03:12:44Z inetpub/logs/LogFiles/W3SVC1/u_ex210103.log:6 ProxyLogon-era attacker user agent (IIS)",
	"2021-01-03T03:12:51Z inetpub/logs/LogFiles/W3SVC1/u_ex210103.log:7 ProxyLogon SSRF request to a short .js name under /ecp or /owa/auth",
	"2021-01-03T03:12:51Z inetpub/logs/LogFiles/W3SVC1/u_ex210103.log:7 ProxyLogon-era attacker user agent (IIS)",
	"2021-01-04T22:41:09Z inetpub/logs/LogFiles/W3SVC1/u_ex210104.log:402 POST to a static OWA or ECP resource (ProxyLogon)",
	"2021-01-04T22:41:09Z inetpub/logs/LogFiles/W3SVC1/u_ex210104.log:402 ProxyLogon-era attacker user agent (IIS)",
	"2021-01-04T22:41:09Z inetpub/logs/LogFiles/W3SVC1/u_ex210104.log:402 Request from a published ProxyLogon attacker address (IIS)",
	"2021-01-20T11:02:03Z inetpub/logs/LogFiles/W3SVC1/u_ex210120.log:131 ProxyLogon-era attacker user agent (IIS)",
	"2021-01-20T11:02:03Z inetpub/logs/LogFiles/W3SVC1/u_ex210120.log:131 RPC proxy requested from outside with a non-RPC method",
	"2021-03-02T23:55:10Z inetpub/logs/LogFiles/W3SVC1/u_ex210302.log:477 Googlebot user agent from a non-Google address",
	"2021-03-02T23:55:10Z inetpub/logs/LogFiles/W3SVC1/u_ex210302.log:477 POST to a static OWA or ECP resource (ProxyLogon)",
	"2021-03-03T12:10:01Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:15 ProxyLogon-era attacker user agent (HttpProxy)",
	"2021-03-03T12:10:01Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:15 Request from a published ProxyLogon attacker address (HttpProxy)",
	"2021-03-03T12:10:01Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:199 ProxyLogon SSRF request to a short .js name under /ecp or /owa/auth",
	"2021-03-03T12:10:01Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:199 ProxyLogon-era attacker user agent (IIS)",
	"2021-03-03T12:10:01Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:199 Request from a published ProxyLogon attacker address (IIS)",
	"2021-03-03T12:10:05Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:16 ProxyLogon SSRF AnchorMailbox in HttpProxy log",
	"2021-03-03T12:10:05Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:16 ProxyLogon-era attacker user agent (HttpProxy)",
	"2021-03-03T12:10:05Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:16 Request from a published ProxyLogon attacker address (HttpProxy)",
	"2021-03-03T12:10:05Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:200 ProxyLogon SSRF request to a short .js name under /ecp or /owa/auth",
	"2021-03-03T12:10:05Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:200 ProxyLogon-era attacker user agent (IIS)",
	"2021-03-03T12:10:05Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:200 Request from a published ProxyLogon attacker address (IIS)",
	"2021-03-03T12:10:09Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:17 ProxyLogon SSRF AnchorMailbox in HttpProxy log",
	"2021-03-03T12:10:09Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:17 ProxyLogon-era attacker user agent (HttpProxy)",
	"2021-03-03T12:10:09Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:17 Request from a published ProxyLogon attacker address (HttpProxy)",
	"2021-03-03T12:10:09Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:201 ProxyLogon SSRF request to a short .js name under /ecp or /owa/auth",
	"2021-03-03T12:10:09Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:201 ProxyLogon-era attacker user agent (IIS)",
	"2021-03-03T12:10:09Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:201 Request from a published ProxyLogon attacker address (IIS)",
	"2021-03-03T12:10:15Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:18 ProxyLogon SSRF AnchorMailbox in HttpProxy log",
	"2021-03-03T12:10:15Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:18 ProxyLogon-era attacker user agent (HttpProxy)",
	"2021-03-03T12:10:15Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:18 Request from a published ProxyLogon attacker address (HttpProxy)",
	"2021-03-03T12:10:15Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:202 ProxyLogon SSRF request to a short .js name under /ecp or /owa/auth",
	"2021-03-03T12:10:15Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:202 ProxyLogon-era attacker user agent (IIS)",
	"2021-03-03T12:10:15Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:202 Request from a published ProxyLogon attacker address (IIS)",
	"2021-03-03T12:10:15Z inetpub/logs/LogFiles/W3SVC2/u_ex210303.log:5 ProxyLogon-era attacker user agent (IIS)",
	"2021-03-03T12:10:20Z Program Files/Microsoft/Exchange Server/V15/Logging/ECP/Server/ECPServer20210303-1.LOG:8 Script tag in a Set-*VirtualDirectory URL (ECP server log)",
	"2021-03-03T12:10:20Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:19 ProxyLogon SSRF AnchorMailbox in HttpProxy log",
	"2021-03-03T12:10:20Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:19 ProxyLogon-era attacker user agent (HttpProxy)",
	"2021-03-03T12:10:20Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:19 Request from a published ProxyLogon attacker address (HttpProxy)",
	"2021-03-03T12:10:20Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:203 ProxyLogon SSRF request to a short .js name under /ecp or /owa/auth",
	"2021-03-03T12:10:20Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:203 ProxyLogon-era attacker user agent (IIS)",
	"2021-03-03T12:10:20Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:203 Request from a published ProxyLogon attacker address (IIS)",
	"2021-03-03T12:10:20Z inetpub/logs/LogFiles/W3SVC2/u_ex210303.log:6 ProxyLogon-era attacker user agent (IIS)",
	"2021-03-03T12:10:26Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:20 ProxyLogon SSRF AnchorMailbox in HttpProxy log",
	"2021-03-03T12:10:26Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:20 ProxyLogon SSRF to ResetOABVirtualDirectory succeeded (ECP HttpProxy)",
	"2021-03-03T12:10:26Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:20 ProxyLogon-era attacker user agent (HttpProxy)",
	"2021-03-03T12:10:26Z Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030312-1.LOG:20 Request from a published ProxyLogon attacker address (HttpProxy)",
	"2021-03-03T12:10:26Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:204 ProxyLogon SSRF request to a short .js name under /ecp or /owa/auth",
	"2021-03-03T12:10:26Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:204 ProxyLogon-era attacker user agent (IIS)",
	"2021-03-03T12:10:26Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:204 Request from a published ProxyLogon attacker address (IIS)",
	"2021-03-03T12:10:26Z inetpub/logs/LogFiles/W3SVC2/u_ex210303.log:7 ECP request resetting the OAB virtual directory (ProxyLogon web shell drop)",
	"2021-03-03T12:10:26Z inetpub/logs/LogFiles/W3SVC2/u_ex210303.log:7 ProxyLogon-era attacker user agent (IIS)",
	"2021-03-03T12:10:31Z Program Files/Microsoft/Exchange Server/V15/Logging/OABGeneratorLog/OABGenerator20210303-1.LOG:8 OAB generator wrote a temporary file outside ClientAccess\\OAB",
	"2021-03-03T12:11:02Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:205 ProxyLogon-era attacker user agent (IIS)",
	"2021-03-03T12:11:02Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:205 Request from a published ProxyLogon attacker address (IIS)",
	"2021-03-03T12:11:02Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:205 Request to a non-stock script page in an Exchange web shell folder",
	"2021-03-03T12:12:10Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:206 ProxyLogon-era attacker user agent (IIS)",
	"2021-03-03T12:12:10Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:206 Request from a published ProxyLogon attacker address (IIS)",
	"2021-03-03T12:12:10Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:206 Request to a non-stock script page in an Exchange web shell folder",
	"2021-03-03T12:12:10Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:206 Web shell command in the query of a non-stock script page",
	"2021-03-03T12:14:30Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:209 ProxyLogon-era attacker user agent (IIS)",
	"2021-03-03T12:14:30Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:209 Request from a published ProxyLogon attacker address (IIS)",
	"2021-03-03T12:14:30Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:209 Request to a non-stock script page in an Exchange web shell folder",
	"2021-03-03T12:14:30Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:209 Web shell command in the query of a non-stock script page",
	"2021-03-03T12:20:00Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:214 ProxyLogon-era attacker user agent (IIS)",
	"2021-03-03T12:20:00Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:214 Request from a published ProxyLogon attacker address (IIS)",
	"2021-03-03T12:20:00Z inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:214 Request to a non-stock script page in an Exchange web shell folder",
	"2021-03-03T13:05:40Z Program Files/Microsoft/Exchange Server/V15/Logging/CmdletInfra/LocalPowerShell/Cmdlet/LocalPowerShell--Cmdlet_2021030313-1.LOG:7 Mailbox Import Export role assigned (cmdlet log)",
	"2021-03-03T13:06:02Z Program Files/Microsoft/Exchange Server/V15/Logging/CmdletInfra/LocalPowerShell/Cmdlet/LocalPowerShell--Cmdlet_2021030313-1.LOG:8 Mailbox export request in cmdlet log",
	"2021-03-04T03:00:12Z inetpub/logs/LogFiles/W3SVC1/u_ex210304.log:5 ProxyLogon-era attacker user agent (IIS)",
	"2021-03-04T03:00:12Z inetpub/logs/LogFiles/W3SVC1/u_ex210304.log:5 Request to a non-stock script page in an Exchange web shell folder",
	"2021-03-04T03:00:12Z inetpub/logs/LogFiles/W3SVC1/u_ex210304.log:5 Web shell command in the query of a non-stock script page",
	"2021-03-10T08:15:00Z inetpub/logs/LogFiles/W3SVC1/u_ex210310.log:80 ProxyLogon SSRF request to a short .js name under /ecp or /owa/auth",
	"2021-03-10T08:15:00Z inetpub/logs/LogFiles/W3SVC1/u_ex210310.log:80 ProxyLogon-era attacker user agent (IIS)",
}
