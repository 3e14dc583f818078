/*
 * exhunt default pack: Exchange-aware file checks. These rules look at
 * where a file sits (external variables filename, filepath, extension) as
 * much as at its content. See webshells.yar for the variables.
 */

rule ASPX_In_Aspnet_Client {
	meta:
		description = "Server-side page in aspnet_client, a folder that holds only static .NET client scripts"
		severity = "high"
		attack = "T1505.003"
		cve = "CVE-2021-26855,CVE-2021-27065"
		reference = "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"
		reason = "any .aspx/.ashx/.asmx in aspnet_client is foreign: the folder ships only system_web/<version>/*.js"
	condition:
		filepath icontains "\\aspnet_client\\" and
		extension matches /^\.(aspx|ashx|asmx|asp|asa|cer|soap|cshtml|config)$/
}

rule Nonstock_Page_In_Auth_Folder {
	meta:
		description = "Server-side page in owa\\auth or ecp\\auth that is not part of the stock Exchange file set"
		severity = "high"
		attack = "T1505.003"
		cve = "CVE-2021-26855,CVE-2021-27065"
		reference = "https://github.com/microsoft/CSS-Exchange/tree/main/Security (stock list: iocs/stock-aspx.csv)"
		reason = "owa\\auth and ecp\\auth hold only the stock logon/logoff/error pages"
	condition:
		filepath matches /\\(owa|ecp)\\auth\\/i and
		extension matches /^\.(aspx|ashx|asmx|asp|soap)$/ and
		// Keep in step with iocs/stock-aspx.csv (checked by TestStockListMatchesPack).
		not filename matches /^(errorFE|ExpiredPassword|frowny|logoff|logon|OutlookCN|RedirSuiteServiceProxy|signout|TimeoutLogout|TimeoutLogoff)\.aspx$/i
}

rule Exchange_VDir_Settings_Dump_With_Script {
	meta:
		description = "Exchange virtual-directory settings dump whose ExternalUrl/InternalUrl carries server-side script (CVE-2021-27065 web shell)"
		severity = "critical"
		attack = "T1505.003"
		cve = "CVE-2021-27065"
		reference = "https://www.volexity.com/blog/2021/03/02/active-exploitation-of-microsoft-exchange-zero-day-vulnerabilities/"
	strings:
		$d1 = /(OfflineAddressBooks|PollInterval|ExternalAuthenticationMethods|RequireSSL|BasicAuthentication|WindowsAuthentication)\s*:/ nocase ascii wide
		$u = /(External|Internal)Url\s*:[^\r\n]{0,400}(<script|runat\s*=\s*["']?server|<%)/ nocase ascii wide
	condition:
		filesize < 5MB and $d1 and $u
}

rule PST_Export_Saved_As_Page {
	meta:
		description = "Outlook PST (mailbox export) saved as a server-side page: ProxyShell web-shell drop via New-MailboxExportRequest"
		severity = "critical"
		attack = "T1505.003"
		cve = "CVE-2021-34473,CVE-2021-34523,CVE-2021-31207"
		reference = "https://www.zerodayinitiative.com/blog/2021/8/17/from-pwn2own-2021-a-new-attack-surface-on-microsoft-exchange-proxyshell"
		reason = "the file starts with the PST signature !BDN but has a page extension IIS executes"
	condition:
		uint32(0) == 0x4E444221 and extension matches /^\.(aspx|ashx|asmx|asp|soap)$/
}
