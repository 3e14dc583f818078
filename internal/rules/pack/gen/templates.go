package main

import (
	"regexp"
	"strings"
)

// meta is the fixed part of one generated rule.
type meta struct {
	id, title, level, desc, logsource string
	tags, refs, fps                   []string
}

const (
	iisSource   = "    category: webserver\n    product: windows\n    service: iis\n"
	proxySource = "    product: exchange\n    service: httpproxy\n"
)

var (
	ipRefs = []string{
		"https://www.volexity.com/blog/2021/03/02/active-exploitation-of-microsoft-exchange-zero-day-vulnerabilities/",
		"https://github.com/volexity/threat-intel/blob/main/2021/2021-03-02%20-%20Operation%20Exchange%20Marauder/indicators/indicators.csv",
		"https://www.cisa.gov/news-events/cybersecurity-advisories/aa21-062a",
		"https://github.com/cisagov/CHIRP/blob/main/indicators/AA21-062A/AA21062A.yaml",
	}
	ipDesc = `Requests from addresses Volexity and CISA (AA21-062A) published as
    ProxyLogon exploitation sources in March 2021. They are rented VPS and
    VPN exits, so a hit outside January-March 2021 is weaker evidence.
    Generated from iocs/attacker-ips.csv.`
	iisIP = meta{
		id: "c5ad4838-19d0-456a-8a92-64cf32755501", title: "Request from a published ProxyLogon attacker address (IIS)",
		level: "high", desc: ipDesc, logsource: iisSource, refs: ipRefs,
		tags: []string{"attack.initial-access", "attack.t1190", "cve.2021-26855", "exhunt.indicator"},
		fps:  []string{"Reassigned VPS addresses long after March 2021"},
	}
	proxyIP = meta{
		id: "cac720ad-55e2-41d3-affc-996dc11242e3", title: "Request from a published ProxyLogon attacker address (HttpProxy)",
		level: "high", desc: ipDesc, logsource: proxySource, refs: ipRefs,
		tags: []string{"attack.initial-access", "attack.t1190", "cve.2021-26855", "exhunt.indicator"},
		fps:  []string{"Reassigned VPS addresses long after March 2021"},
	}
	uaRefs = []string{
		"https://www.volexity.com/blog/2021/03/02/active-exploitation-of-microsoft-exchange-zero-day-vulnerabilities/",
		"https://www.cisa.gov/news-events/cybersecurity-advisories/aa21-062a",
		"https://github.com/SCS-Labs/HAFNIUM-Microsoft-Exchange-0day/blob/main/indicators/useragents",
	}
	uaDesc = `User agents Volexity saw on ProxyLogon exploitation requests
    (POSTs to /owa/auth/Current and /ecp resources): a fake EWS client with
    build 0.0.0.0, python-requests, the AntSword shell manager, spoofed
    crawlers and an old Linux Chrome. Volexity notes they are "not
    necessarily indicative of compromise" alone. Googlebot strings are
    handled by the spoofed-Googlebot rule. Generated from iocs/user-agents.csv.`
	iisUA = meta{
		id: "c3d4b874-a65e-497e-9d17-a0c6c9c7c3da", title: "ProxyLogon-era attacker user agent (IIS)",
		level: "medium", desc: uaDesc, logsource: iisSource, refs: uaRefs,
		tags: []string{"attack.initial-access", "attack.t1190", "cve.2021-26855", "exhunt.indicator"},
		fps:  []string{"Real crawlers (Bing, Yandex, Baidu) fetching the OWA logon page", "In-house python-requests monitoring scripts"},
	}
	proxyUA = meta{
		id: "e8267aaf-6c5f-488e-9a5d-8b3dd266fd4a", title: "ProxyLogon-era attacker user agent (HttpProxy)",
		level: "medium", desc: uaDesc, logsource: proxySource, refs: uaRefs,
		tags: []string{"attack.initial-access", "attack.t1190", "cve.2021-26855", "exhunt.indicator"},
		fps:  []string{"Real crawlers fetching the OWA logon page", "In-house python-requests monitoring scripts"},
	}
	webshellRefs = []string{
		"https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/",
		"https://github.com/SCS-Labs/HAFNIUM-Microsoft-Exchange-0day/blob/main/indicators/webshell_paths",
		"https://www.cisa.gov/news-events/cybersecurity-advisories/aa21-062a",
	}
	webshellDesc = `ProxyLogon and ProxyShell web shells were written to
    /aspnet_client/ (any script page there is foreign), /owa/auth/,
    /ecp/auth/ (only a handful of stock pages live there) and the OAB
    folder. A request that the server did not answer with 404 means the
    file exists (3xx: probed, 2xx: used). Stock names come from
    iocs/stock-aspx.csv; 404s (scanners guessing other people's shells)
    are left out. Real true positives: a March 2021 incident's
    /owa/auth/RedirSuiteServerProxy.aspx (stock is RedirSuiteServiceProxy)
    and the probes of errorFS.aspx, win.ashx and others (helsecert).`
	webshell = meta{
		id: "0a8fab97-6c27-45db-8211-14cbbb3b1965", title: "Request to a non-stock script page in an Exchange web shell folder",
		level: "high", refs: webshellRefs, logsource: iisSource, desc: webshellDesc,
		tags: []string{"attack.persistence", "attack.t1505.003"},
		fps:  []string{"Custom logon pages or third-party add-ins installed under /owa/auth/"},
	}
	proxyWebshell = meta{
		id: "8691c3d9-321c-4d5c-9f69-f7b3ecea4f96", title: "Request to a non-stock script page in an Exchange web shell folder (HttpProxy)",
		level: "high", refs: webshellRefs, logsource: proxySource, desc: webshellDesc,
		tags: []string{"attack.persistence", "attack.t1505.003"},
		fps:  []string{"Custom logon pages or third-party add-ins installed under /owa/auth/"},
	}
	webshellCmdDesc = `A request to a script page (.aspx, .ashx, .asmx, .soap) that is
    not a stock Exchange page, anywhere on the site, whose query string
    carries an operator command (whoami, dsquery, powershell, comsvcs
    MiniDump of lsass, ...): web shells live wherever the attacker could
    write, such as /aspnet_netclient/4_0_30319/devilzShell.aspx?cmd=dsquery.
    A marker that may be someone's search (on a stock search page such as
    SharePoint's osssearchresults.aspx?k=powershell+script+examples, or in a
    search parameter, q=cmd.exe+whoami+meaning) counts only with what
    shows web-shell use: shell syntax (cmd /c, powershell -enc, whoami
    chained with & or |), a command in base64, a POST, or a page in a web
    shell drop folder. Markers come from iocs/webshell-query-markers.txt,
    the syntax from iocs/webshell-command-syntax.txt, the search pages and
    parameters from iocs/webshell-search.txt.`
	webshellCmd = meta{
		id: "b483843e-e51c-4470-a1c7-5f9ad591c4d3", title: "Web shell command in the query of a non-stock script page",
		level: "critical", refs: webshellRefs, logsource: iisSource, desc: webshellCmdDesc,
		tags: []string{"attack.persistence", "attack.t1505.003", "attack.execution", "attack.t1059"},
		fps:  []string{"A search for an operator command with shell syntax, or posted, on a search page"},
	}
	proxyWebshellCmd = meta{
		id: "95b08694-8b3d-4404-acaa-b87eea5a91e9", title: "Web shell command in the query of a non-stock script page (HttpProxy)",
		level: "critical", refs: webshellRefs, logsource: proxySource, desc: webshellCmdDesc,
		tags: []string{"attack.persistence", "attack.t1505.003", "attack.execution", "attack.t1059"},
		fps:  []string{"A search for an operator command with shell syntax, or posted, on a search page"},
	}
	googlebot = meta{
		id: "16ad40d8-bc39-401e-bbf0-37dc6181e819", title: "Googlebot user agent from a non-Google address",
		level: "medium", logsource: iisSource,
		desc: `Volexity saw ProxyLogon requests with Googlebot user agents. Real
    Googlebot crawls from Google's published ranges (iocs/google-crawler-ranges.txt);
    from anywhere else the user agent is spoofed.`,
		refs: []string{
			"https://www.volexity.com/blog/2021/03/02/active-exploitation-of-microsoft-exchange-zero-day-vulnerabilities/",
			"https://developers.google.com/search/docs/crawling-indexing/verifying-googlebot",
		},
		tags: []string{"attack.initial-access", "attack.t1190", "attack.defense-evasion", "attack.t1036", "exhunt.indicator"},
		fps:  []string{"Googlebot ranges added after the list was refreshed"},
	}
)

func (m meta) render(detection string) string {
	var b strings.Builder
	b.WriteString("title: " + q(m.title) + "\n")
	b.WriteString("id: " + m.id + "\nstatus: experimental\n")
	b.WriteString("description: |\n    " + m.desc + "\n")
	b.WriteString("references:\n" + list("    ", m.refs))
	b.WriteString("author: exhunt\ndate: 2026-11-26\n")
	b.WriteString("tags:\n" + list("    ", m.tags))
	b.WriteString("logsource:\n" + m.logsource)
	b.WriteString("detection:\n" + detection)
	b.WriteString("falsepositives:\n" + list("    ", m.fps))
	b.WriteString("level: " + m.level + "\n")
	return b.String()
}

func ipRule(m meta, field string, ips []string) string {
	return m.render("    selection:\n        " + field + ":\n" + list("            ", ips) + "    condition: selection\n")
}

func uaRule(m meta, field string, exact, contains []string) string {
	return m.render("    selection_exact:\n        " + field + ":\n" + list("            ", exact) +
		"    selection_contains:\n        " + field + "|contains:\n" + list("            ", contains) +
		"    condition: 1 of selection_*\n")
}

func googlebotRule(ranges []string) string {
	return googlebot.render("    selection:\n        cs(User-Agent)|contains: 'Googlebot'\n" +
		"    filter_google:\n        c-ip|cidr:\n" + list("            ", ranges) +
		"    condition: selection and not filter_google\n")
}

// webFields names the request fields of one log kind.
type webFields struct{ stem, query, status, method string }

var (
	iisWeb   = webFields{"cs-uri-stem", "cs-uri-query", "sc-status", "cs-method"}
	proxyWeb = webFields{"UrlStem", "UrlQuery", "HttpStatus", "Method"}
)

// cmdData is what the command rules are made of (iocs/): the operator
// markers, the shell syntax that makes a marker a command, and the search
// pages and parameters where a marker alone is someone's search.
type cmdData struct {
	markers, syntax, searchPages, searchParams []string
}

// b64Commands are the commands whose base64 form in a query (a shell that
// takes its command encoded) is web-shell use wherever it is.
var b64Commands = []string{"whoami", "powershell", "cmd.exe", "cmd /c", "comsvcs", "Add-PSSnapin"}

// webshellFolders are where the 2021 web shells were written; the hunt's
// page inventory (internal/hunt/pages.go) uses the same list.
var webshellFolders = []string{"/aspnet_client/", "/owa/auth/", "/ecp/auth/", "/oab/"}

// scriptExts are the script pages the command rules look at anywhere.
// The folder rules leave .asmx out: the line prefilter keys on these
// extensions, and Exchange Web Services (/EWS/Exchange.asmx) is a tenth of
// a server's requests; a .asmx with a command still trips the command
// rule, and the hunt's page inventory follows the rest.
var (
	scriptExts = []string{".aspx", ".ashx", ".asmx", ".soap"}
	folderExts = []string{".aspx", ".ashx", ".soap"}
)

// webshellRule flags requests to non-stock script pages in the web shell
// folders (cmd nil). With cmd, it flags requests to non-stock script pages
// anywhere whose query carries an operator marker, unless the marker may
// be someone's search (a stock search page, a search parameter holding
// it) and nothing else shows web-shell use: shell syntax, a command in
// base64, a POST, or a page in a web-shell drop folder.
func webshellRule(m meta, f webFields, stock []string, cmd *cmdData) string {
	d := ""
	exts := scriptExts
	if cmd == nil {
		d += "    selection_folder:\n        " + f.stem + "|startswith:\n" + list("            ", webshellFolders)
		exts = folderExts
	}
	d += "    selection_ext:\n        " + f.stem + "|endswith:\n" + list("            ", exts)
	if cmd != nil {
		d += "    selection_cmd:\n        " + f.query + "|contains:\n" + list("            ", cmd.markers)
	}
	d += "    filter_stock:\n        " + f.stem + ":\n" + list("            ", stock) +
		"    filter_missing:\n        " + f.status + ": 404\n"
	if cmd == nil {
		return m.render(d + "    condition: all of selection_* and not 1 of filter_*\n")
	}
	var syntax []string
	for _, s := range cmd.syntax {
		syntax = append(syntax, "(?i)"+s)
	}
	var quoted []string
	for _, mk := range cmd.markers {
		quoted = append(quoted, regexp.QuoteMeta(mk))
	}
	params := "(?i)(^|[&;?])(" + strings.Join(cmd.searchParams, "|") + ")=[^&]*(" + strings.Join(quoted, "|") + ")"
	d += "    search_page:\n        " + f.stem + "|endswith:\n" + list("            ", cmd.searchPages) +
		"    search_param:\n        " + f.query + "|re: " + q(params) + "\n" +
		"    strong_syntax:\n        " + f.query + "|re:\n" + list("            ", syntax) +
		"    strong_base64:\n        " + f.query + "|base64offset|contains:\n" + list("            ", b64Commands) +
		"    strong_post:\n        " + f.method + ": POST\n" +
		"    strong_folder:\n        " + f.stem + "|startswith:\n" + list("            ", webshellFolders) +
		"    condition: selection_ext and selection_cmd and not 1 of filter_* and (1 of strong_* or not 1 of search_*)\n"
	return m.render(d)
}
