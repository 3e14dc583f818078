/*
 * exhunt default pack: ASPX/JScript web shells of the 2021 Exchange waves.
 *
 * External variables (set by exhunt per file, as "yara -d"):
 *   filename  base name ("logon.aspx"), filepath  Windows-style path inside
 *   the evidence ("\C\inetpub\wwwroot\aspnet_client\x.aspx"), extension
 *   lower-case with the dot (".aspx").
 * Meta read by exhunt: description, severity, attack, cve, reference.
 */

rule China_Chopper_ASPX {
	meta:
		description = "China Chopper ASPX/JScript web shell (eval of a request parameter with \"unsafe\")"
		severity = "critical"
		attack = "T1505.003"
		cve = "CVE-2021-26855,CVE-2021-27065"
		reference = "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"
		reference2 = "https://www.fireeye.com/content/dam/legacy/resources/pdfs/fireeye-china-chopper-report.pdf"
	strings:
		// <%@ Page Language="Jscript"%><%eval(Request.Item["z"],"unsafe");%>
		$eval = /eval\s*\(\s*Request(\.Item|\.Form|\.QueryString|\.Params)?\s*\[[^\]]{1,64}\]\s*,\s*["']unsafe["']/ nocase
	condition:
		filesize < 2MB and $eval
}

rule JScript_Eval_Runat_Server {
	meta:
		description = "JScript <script runat=server> block that calls eval (Hafnium OAB/ECP web shell form)"
		severity = "critical"
		attack = "T1505.003"
		cve = "CVE-2021-27065"
		reference = "https://www.volexity.com/blog/2021/03/02/active-exploitation-of-microsoft-exchange-zero-day-vulnerabilities/"
	strings:
		// <script language="JScript" runat="server">function Page_Load(){eval(Request["x"],"unsafe");}</script>
		$s = /<script[^>]{0,80}language\s*=\s*["']?JScript["']?[^>]{0,80}runat\s*=\s*["']?server[^>]{0,20}>[^<]{0,200}eval\s*\(/ nocase
		$s2 = /<script[^>]{0,80}runat\s*=\s*["']?server["']?[^>]{0,80}language\s*=\s*["']?JScript[^>]{0,20}>[^<]{0,200}eval\s*\(/ nocase
	condition:
		filesize < 2MB and any of them and not China_Chopper_ASPX
}

rule Eval_On_Request_ASPX {
	meta:
		description = "Server-side page that evaluates or compiles code taken from the HTTP request"
		severity = "high"
		attack = "T1505.003"
		reference = "https://www.microsoft.com/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
	strings:
		$asp1 = "<%@" ascii
		$asp2 = /runat\s*=\s*["']?server/ nocase
		$asp3 = /Page\s+Language\s*=/ nocase
		$e1 = /eval\s*\(\s*(System\.Text\.Encoding\.[A-Za-z0-9]+\.GetString\s*\(\s*)?(System\.Convert\.FromBase64String\s*\(\s*)?Request(\.Item|\.Form|\.QueryString|\.Params)?\s*[\[\(]/ nocase
		$e2 = /Assembly\.Load\s*\(\s*[^)]{0,80}Request/ nocase
		$e3 = /CompileAssemblyFromSource\s*\([^)]{0,120}Request/ nocase
	condition:
		filesize < 2MB and any of ($asp*) and any of ($e*) and not China_Chopper_ASPX and not JScript_Eval_Runat_Server
}

rule ASPX_Command_Exec_From_Request {
	meta:
		description = "ASP.NET page that starts cmd.exe or PowerShell with input from the request"
		severity = "high"
		attack = "T1505.003"
		reference = "https://www.microsoft.com/security/blog/2021/03/25/analyzing-attacks-taking-advantage-of-the-exchange-server-vulnerabilities/"
	strings:
		$asp1 = "<%@" ascii
		$asp2 = /runat\s*=\s*["']?server/ nocase
		$p1 = "ProcessStartInfo" ascii
		$p2 = "Process.Start(" ascii
		$c1 = "cmd.exe" nocase ascii
		$c2 = "powershell" nocase ascii
		$r = /Request(\.Form|\.QueryString|\.Params|\.Item)?\s*\[/ ascii
		$r2 = /\.Text\b/ ascii
	condition:
		filesize < 2MB and any of ($asp*) and any of ($p*) and any of ($c*) and ($r or $r2)
}
