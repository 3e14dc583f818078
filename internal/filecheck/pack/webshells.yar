/*
 * exhunt default pack: ASP.NET web shells of every Exchange wave (2021
 * ProxyLogon/Hafnium, ProxyShell, ProxyNotShell, OWASSRF and later), and
 * the generic ASP.NET shell families they were drawn from.
 *
 * Written for exhunt from the behaviour of each family (what the page
 * does with the request), not copied from another rule set. A rule fires
 * on a capability a legitimate page does not need: evaluating request
 * text, loading request bytes as an assembly, starting a shell with
 * request input, relaying a socket through HTTP, rewriting file times,
 * reading IIS credentials. The families each rule was tested on are named
 * in its description; internal/filecheck/pack_test.go holds a true
 * positive (a real sample) and a near-miss benign twin for every rule.
 *
 * External variables (set by exhunt per file, as "yara -d"):
 *   filename  base name ("logon.aspx"), filepath  Windows-style path inside
 *   the evidence ("\C\inetpub\wwwroot\aspnet_client\x.aspx"), extension
 *   lower-case with the dot (".aspx").
 * Meta read by exhunt: description, severity, attack, cve, reference,
 * reason. Every rule here also compiles with the yara 4.2 CLI.
 */

// ---------------------------------------------------------------------
// Shared gates (private: never reported on their own)
// ---------------------------------------------------------------------

// Server-side ASP.NET (or classic ASP) code: a directive, a code block,
// a runat=server script, a handler/service class or an XSLT script block.
private rule ASPNET_Server_Code {
	strings:
		$block = "<%" ascii
		$runat = /runat\s*=\s*["']?server/ nocase ascii
		$handler = /\b(IHttpHandler|IHttpModule|System\.Web\.Services\.WebService|HttpContext\.Current)\b/ ascii
		$xsl = "<msxsl:script" nocase ascii
		// Razor pages (.cshtml)
		$razor1 = "@{" ascii
		$razor2 = "@using " ascii
	condition:
		any of them
}

// Server-side JScript .NET: the language of China Chopper and of the
// Hafnium OAB/ECP shells (a page directive, a runat=server script block
// or an XSLT script block declaring JScript).
private rule ASPNET_JScript_Code {
	strings:
		$dir = /<%\s*@[^>]{0,200}Language\s*=\s*[^A-Za-z0-9>]{0,4}(JScript|javascript|js)\b/ nocase ascii
		$tag1 = /<script[^>]{0,200}runat\s*=\s*["']?server[^>]{0,200}language\s*=\s*["']?(JScript|javascript|js)\b/ nocase ascii
		$tag2 = /<script[^>]{0,200}language\s*=\s*["']?(JScript|javascript|js)\b[^>]{0,200}runat\s*=\s*["']?server/ nocase ascii
		$xsl = /<msxsl:script[^>]{0,200}language\s*=\s*["']?(JScript|javascript)\b/ nocase ascii
	condition:
		any of them
}

// ---------------------------------------------------------------------
// China Chopper and other eval shells (JScript, and C# calling JScript)
// ---------------------------------------------------------------------

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
		// also Request.Item(0), Request["z"], and typographic quotes.
		$eval = /eval\s*\(\s*Request(\.Item|\.Form|\.QueryString|\.Params)?\s*[\[(][^\])]{1,64}[\])]\s*,\s*[^A-Za-z0-9,)]{1,3}unsafe/ nocase ascii
		$g = "unsafe" nocase ascii private
	condition:
		filesize < 2MB and $g and $eval
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
		$g1 = "jscript" nocase ascii private
		$g2 = "eval" nocase ascii private
	condition:
		filesize < 2MB and $g1 and $g2 and any of ($s*) and not China_Chopper_ASPX
}

rule JScript_Server_Eval {
	meta:
		description = "Server-side JScript that evaluates code: the China Chopper family with its obfuscations (eval(x, \"unsafe\") with the argument or the word unsafe assembled, escaped or decoded)"
		severity = "critical"
		attack = "T1505.003"
		cve = "CVE-2021-27065"
		reference = "https://www.fireeye.com/content/dam/legacy/resources/pdfs/fireeye-china-chopper-report.pdf"
		reason = "JScript .NET eval runs any code it is given; the two-argument form eval(code, \"unsafe\") runs it with full trust. Legitimate pages do not evaluate code"
	strings:
		// eval( ... , with JScript identifier escapes (\u0065val) and comments
		// allowed between the name and the parenthesis; lower case only, so
		// data binding's Eval("Field", "{0}") does not count.
		$two = /\beval\s*(\/\*.{0,64}\*\/\s*)?\([^;\n]{0,300},/ ascii
		$esc = /\\u0065\\u0076\\u0061\\u006[cC]|e\\u0076al|ev\\u0061l|eva\\u006[cC]|\\u0065val/ ascii
		$unsafe1 = /["']unsafe["']/ ascii
		$unsafe3 = "\\x75\\x6E\\x73" nocase ascii
		$unsafe4 = /["']ns["']/ ascii
		$call = /\beval\s*(\/\*.{0,64}\*\/\s*)?\(\s*(Request|System\.Text\.Encoding|Server\.UrlDecode|decodeURI)/ ascii
		$g = "eval" ascii private
	condition:
		filesize < 2MB and ($g or $esc) and ($two or $esc or ($call and any of ($unsafe*))) and ASPNET_JScript_Code and
		not China_Chopper_ASPX and not JScript_Eval_Runat_Server
}

rule CSharp_JScript_Evaluate {
	meta:
		description = "C#/VB page that hands request text straight to Microsoft.JScript's evaluator (the C# form of the China Chopper eval)"
		severity = "critical"
		attack = "T1505.003"
		reference = "https://learn.microsoft.com/en-us/dotnet/api/microsoft.jscript.eval.jscriptevaluate"
		reason = "Eval.JScriptEvaluate compiles and runs a string; fed from the request it is a code-execution backdoor (formula evaluators pass their own expression, not the request)"
	strings:
		$e = /JScriptEvaluate\s*\(\s*(System\.Text\.Encoding\.\w+\.GetString\s*\(\s*)?((System\.)?Convert\.FromBase64String\s*\(\s*)?(HttpContext\.Current\.|context\.|Context\.|this\.|Page\.)?Request\b/ ascii
		$g = "JScriptEvaluate" ascii private
	condition:
		filesize < 2MB and $g and $e and ASPNET_Server_Code
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
		$g1 = "eval" ascii private
		$g2 = "Assembly.Load" nocase ascii private
		$g3 = "CompileAssemblyFromSource" nocase ascii private
	condition:
		filesize < 2MB and any of ($g*) and any of ($e*) and any of ($asp*) and not China_Chopper_ASPX and not JScript_Eval_Runat_Server and not JScript_Server_Eval
}

rule XSLT_Script_Shell {
	meta:
		description = "Page that runs a trusted XSLT stylesheet whose msxsl:script block evaluates code or starts a shell (XSLT-wrapped China Chopper)"
		severity = "critical"
		attack = "T1505.003,T1220"
		reference = "https://learn.microsoft.com/en-us/dotnet/standard/data/xml/xslt-security-considerations"
		reason = "script in a stylesheet runs only when the page enables it; the script here evaluates code or runs a shell"
	strings:
		$x = "msxsl:script" nocase ascii
		$t1 = "TrustedXslt" ascii
		$t2 = /EnableScript\s*=\s*true/ nocase ascii
		$t3 = /new\s+XsltSettings\s*\(\s*(true|false)\s*,\s*true\s*\)/ ascii
		$c1 = /[^.\w]eval\s*\(/ ascii
		$c2 = "ActiveXObject" ascii
		$c3 = /Process\.Start|Diagnostics\.Process/ ascii
		$c4 = "WScript.Shell" nocase ascii
	condition:
		filesize < 2MB and $x and any of ($t*) and any of ($c*) and ASPNET_Server_Code
}

// ---------------------------------------------------------------------
// Command execution
// ---------------------------------------------------------------------

rule ASPX_Command_Exec_From_Request {
	meta:
		description = "ASP.NET page or handler that starts cmd.exe, PowerShell or a program named by the client, with input from the request or a form field"
		severity = "high"
		attack = "T1505.003,T1059.003"
		reference = "https://www.microsoft.com/security/blog/2021/03/25/analyzing-attacks-taking-advantage-of-the-exchange-server-vulnerabilities/"
	strings:
		// start a process
		$p1 = "ProcessStartInfo" ascii private
		$p2 = "Process.Start" ascii private
		$p3 = "StartInfo" nocase ascii private
		$p4 = "new Process" nocase ascii private
		$p5 = "Diagnostics.Process" nocase ascii private
		// a command interpreter
		$c1 = "cmd.exe" nocase ascii
		$c2 = "powershell" nocase ascii
		$c3 = "COMSPEC" nocase ascii
		$c4 = /["'](\/c|\/k)\s/ nocase ascii private
		// input from the request or a form field
		$r1 = /Request\s*(\.(Form|QueryString|Params|Item))?\s*[\[(]/ nocase ascii private
		$r2 = ".Text" nocase ascii private
		$r3 = /Request\.(InputStream|BinaryRead)/ ascii private
		// or the program itself named by a form field or the request
		$u1 = /(Process\.Start|ProcessStartInfo)\s*\(\s*["\\\s+]*(this\.)?(\w+\.(Text|Value)\b|Request\b)/ nocase ascii
		$u2 = /\.FileName\s*=\s*(this\.)?(\w+\.(Text|Value)|Request)\b/ nocase ascii
		// or the request typed into the shell's standard input
		$u3 = /StandardInput\.Write(Line)?\s*\(\s*(HttpContext\.Current\.|context\.)?Request\b/ nocase ascii
	condition:
		filesize < 2MB and any of ($p*) and
		((any of ($c*) and any of ($r*)) or any of ($u*)) and
		ASPNET_Server_Code
}

rule WScript_Shell_Exec_ASPX {
	meta:
		description = "Page (ASP.NET, classic ASP or a script block in web.config) that runs commands through the WScript.Shell or Shell.Application COM objects"
		severity = "high"
		attack = "T1505.003,T1059"
		reference = "https://media.defense.gov/2020/Jun/09/2002313081/-1/-1/0/CSI-DETECT-AND-PREVENT-WEB-SHELL-MALWARE-20200422.PDF"
		reason = "a web page has no need to spawn commands through the Windows Script Host"
	strings:
		$o1 = "WScript.Shell" nocase ascii
		$o2 = "Shell.Application" nocase ascii
		$x1 = /\.(Exec|Run|ShellExecute)\s*\(/ nocase ascii
		$x2 = /InvokeMember\s*\(\s*["'](Exec|Run|ShellExecute)["']/ nocase ascii
		$r = "Request" nocase ascii private
		$t = ".Text" nocase ascii private
	condition:
		filesize < 2MB and any of ($o*) and any of ($x*) and ($r or $t) and ASPNET_Server_Code
}

rule ASPX_SQL_Server_Command_Exec {
	meta:
		description = "Page that runs operating-system commands through SQL Server (xp_cmdshell, sp_oacreate, sp_oamethod)"
		severity = "high"
		attack = "T1505.003,T1059"
		reference = "https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/xp-cmdshell-transact-sql"
		reason = "a web page that calls xp_cmdshell or OLE automation procedures gives its user a shell on the database server"
	strings:
		// running a command built from input, or switching the feature on
		$x1 = /xp_cmdshell\s*(N?'|\\")\s*["']\s*(\+|&)/ nocase ascii
		$x2 = /sp_configure\s*'xp_cmdshell'\s*,\s*1/ nocase ascii
		$x3 = "addextendedproc" nocase ascii
		$x4 = /sp_oacreate\s*'?\s*(wscript\.shell|shell\.application|scripting\.filesystemobject)/ nocase ascii
		$d1 = /(Sql|OleDb|Odbc)(Connection|Command)/ ascii private
		$d2 = "ADODB.Connection" nocase ascii private
		$i1 = "Request" ascii private
		$i2 = ".Text" nocase ascii private
	condition:
		filesize < 2MB and any of ($x*) and any of ($d*) and any of ($i*) and ASPNET_Server_Code
}

// ---------------------------------------------------------------------
// In-memory .NET loaders: Behinder, Godzilla, AntSword and SharPyShell
// ---------------------------------------------------------------------

rule ASPX_Assembly_Loader {
	meta:
		description = "Page that loads a .NET assembly from bytes it decodes or decrypts (request body, parameter or embedded blob) and runs it: Behinder, Godzilla, AntSword C#, SharPyShell and other in-memory loaders"
		severity = "critical"
		attack = "T1505.003,T1620"
		reference = "https://www.microsoft.com/en-us/security/blog/2022/07/26/malicious-iis-extensions-quietly-open-persistent-backdoors-into-servers/"
		reason = "Assembly.Load of request or decrypted bytes followed by CreateInstance/Invoke executes attacker-supplied code inside w3wp.exe"
	strings:
		// the load: Assembly.Load(bytes), typeof(Assembly).GetMethod("Load"),
		// AppDomain.CurrentDomain.Load(bytes)
		$l1 = /Assembly\s*\.\s*Load\s*\(/ nocase ascii
		$l2 = /GetMethod\s*\(\s*["']Load["']/ ascii
		$l3 = /AppDomain\.CurrentDomain\.Load\s*\(/ ascii
		// ... then run it
		$x1 = "CreateInstance" ascii private
		$x2 = ".Invoke" ascii private
		$x3 = ".EntryPoint" ascii private
		// ... of bytes that come decoded, decrypted or straight from the body
		$b1 = "FromBase64String" ascii
		$b2 = "CreateDecryptor" ascii
		$b3 = "TransformFinalBlock" ascii
		$b4 = "BinaryRead" ascii
		$b5 = "InputStream" ascii
		$b6 = /byte\s*\[\s*\]\s*\w+\s*=\s*(new\s+byte\s*\[\s*\]\s*)?\{\s*(0x)?[0-9A-Fa-f]/ ascii
		$b7 = /\^=?\s*\(byte\)/ ascii
		$b8 = /\^\s*\w+\s*\[\s*\w+\s*%\s*\w+\.Length\s*\]/ ascii
		// request input reaching the page at all
		$r = "Request" ascii private
	condition:
		filesize < 5MB and any of ($x*) and $r and any of ($l*) and any of ($b*) and ASPNET_Server_Code
}

rule ASPX_Payload_In_Session {
	meta:
		description = "Page that keeps a loaded assembly or decrypted payload in Session or Application state between requests (Godzilla and AntSword-style loaders)"
		severity = "critical"
		attack = "T1505.003,T1620"
		reference = "https://www.microsoft.com/en-us/security/blog/2022/07/26/malicious-iis-extensions-quietly-open-persistent-backdoors-into-servers/"
		reason = "an Assembly object stored in Session/Application is the staged payload of a memory-resident web shell"
	strings:
		$s1 = /(Session|Application)\s*\[[^\]]{1,64}\]\s*=\s*\(\s*(System\.Reflection\.)?Assembly\s*\)/ ascii
		$s2 = /\(\s*(System\.Reflection\.)?Assembly\s*\)\s*(Context\.)?(Session|Application)\s*\[/ ascii
		$s3 = /(Session|Application)\s*\[[^\]]{1,64}\]\s*as\s+(System\.Reflection\.)?Assembly\b/ ascii
		$cast = "Assembly)" ascii private
		$as1 = "as Assembly" ascii private
		$as2 = "as System.Reflection.Assembly" ascii private
	condition:
		filesize < 5MB and (($cast and ($s1 or $s2)) or (any of ($as*) and $s3)) and ASPNET_Server_Code
}

rule ASPX_Runtime_Compiler {
	meta:
		description = "Page that compiles source code in memory and runs it (SharPyShell raw agents, CodeDom shells)"
		severity = "critical"
		attack = "T1505.003,T1027.004"
		reference = "https://github.com/antonioCoco/SharPyShell"
		reason = "CompileAssemblyFromSource with GenerateInMemory and a request parameter runs attacker-sent C# inside w3wp.exe"
	strings:
		$c1 = /CompileAssemblyFrom(Source|Dom|File)\s*\(/ ascii
		$m = "GenerateInMemory" ascii
		$x1 = "CreateInstance" ascii private
		$x2 = ".Invoke" ascii private
		// the source arrives encoded or encrypted in the request
		$d1 = /FromBase64String\s*\(\s*(context\.)?Request/ ascii
		$d2 = "CreateDecryptor" ascii
		$d3 = /Request\s*\.\s*(BinaryRead|InputStream)/ ascii
		$d4 = /\^\s*\w+\s*\[\s*\w+\s*%\s*\w+\.Length\s*\]/ ascii
	condition:
		filesize < 5MB and $c1 and $m and any of ($x*) and any of ($d*) and ASPNET_Server_Code
}

rule ASPX_Embedded_Executable {
	meta:
		description = "Page that carries a Windows executable as Base64 (TVqQ... = MZ) and writes or loads it (bind/back-connect shells, in-memory loaders)"
		severity = "high"
		attack = "T1505.003,T1027"
		reference = "https://media.defense.gov/2020/Jun/09/2002313081/-1/-1/0/CSI-DETECT-AND-PREVENT-WEB-SHELL-MALWARE-20200422.PDF"
		reason = "a web page that decodes an embedded PE and writes it to disk or loads it is a dropper"
	strings:
		$pe1 = "TVqQAAMAAAAEAAAA" ascii
		$pe2 = "TVpQAAIAAAAEAA8A" ascii
		$pe3 = "TVoAAAAAAAAAAAAA" ascii
		// ... or as a byte array starting with MZ (msfvenom -f aspx-exe)
		$pe4 = /\{\s*0x4d\s*,\s*0x5a\s*,\s*0x90\s*,/ nocase ascii
		$pe5 = /\{\s*77\s*,\s*90\s*,\s*144\s*,/ ascii
		$w1 = "WriteAllBytes" ascii
		$w2 = "FileStream" ascii
		$w3 = /Assembly\s*\.\s*Load\s*\(/ nocase ascii
		$w4 = "FromBase64String" ascii
		$w5 = "File.Create" ascii
	condition:
		filesize < 20MB and any of ($pe*) and any of ($w*) and ASPNET_Server_Code
}

rule ASPX_Shellcode_Loader {
	meta:
		description = "Page that allocates executable memory and starts a thread in it (Metasploit msfvenom -f aspx, Sliver and Cobalt Strike stagers, shellcode loaders)"
		severity = "critical"
		attack = "T1505.003,T1055"
		reference = "https://github.com/rapid7/metasploit-framework/blob/master/data/templates/scripts/to_mem.aspx.template"
		reason = "a web page has no use for VirtualAlloc and a new thread: this runs shellcode inside w3wp.exe"
	strings:
		$a1 = /VirtualAlloc(Ex|ExNuma)?\s*\(/ ascii
		$a2 = "VirtualProtect" ascii
		$x1 = "CreateThread" ascii
		$x2 = "RtlMoveMemory" ascii
		$x3 = "CreateFiber" ascii
		$x4 = "QueueUserAPC" ascii
		$x5 = "GetDelegateForFunctionPointer" ascii
		$i = "DllImport" ascii private
	condition:
		filesize < 5MB and $i and any of ($a*) and any of ($x*) and ASPNET_Server_Code
}

// ---------------------------------------------------------------------
// Socket tunnels: reGeorg, Neo-reGeorg, Tunna, ABPTTS
// ---------------------------------------------------------------------

rule ASPX_Socket_Tunnel {
	meta:
		description = "Page that opens TCP connections for the client and relays them over HTTP, keeping the socket between requests (reGeorg, Neo-reGeorg, Tunna, ABPTTS and similar SOCKS-over-HTTP tunnels)"
		severity = "critical"
		attack = "T1505.003,T1090.001,T1572"
		reference = "https://www.microsoft.com/security/blog/2021/03/25/analyzing-attacks-taking-advantage-of-the-exchange-server-vulnerabilities/"
		reason = "a page that connects a socket to a host and port chosen by the client and pipes the request body into it is a proxy into the internal network"
	strings:
		$sock1 = /new\s+(System\.Net\.Sockets\.)?Socket\s*\(/ nocase ascii
		$sock2 = /new\s+(System\.Net\.Sockets\.)?TcpClient\s*\(/ nocase ascii
		$conn = /\.(Connect|BeginConnect)\s*\(/ ascii private
		$send = ".Send(" ascii
		$recv = ".Receive(" ascii
		// the socket kept between requests
		$k1 = /Socket\s*\)\s*(Session|Application)\s*\[/ ascii private
		$k2 = /\]\s*as\s+(System\.Net\.Sockets\.)?Socket\b/ ascii private
		$k3 = /\.Add\s*\([^,]{1,64},\s*\w*(sock|Sock|SOCK|sender|Sender|conn|Conn|client|Client)\w*\s*\)/ ascii private
		$k4 = /\]\s*=\s*\w*(sock|Sock)\w*\s*[;(]/ ascii private
		$k5 = /Hashtable\s*\)\s*(Session|Application)\s*\[/ ascii private
		// the client's bytes going in, the target's bytes coming out
		$io1 = /Request\s*\.\s*(InputStream|BinaryRead)/ ascii
		$io2 = "Response.BinaryWrite" ascii
		$io3 = /FromBase64String\s*\(\s*Request/ ascii
		$io4 = "ToBase64String" ascii
	condition:
		filesize < 5MB and $recv and $send and any of ($sock*) and $conn and any of ($io*) and any of ($k*) and ASPNET_Server_Code
}

rule ASPX_Packet_Sniffer {
	meta:
		description = "Page that opens a raw socket in promiscuous mode (SIO_RCVALL) to capture the server's traffic (ASPX websniff)"
		severity = "high"
		attack = "T1505.003,T1040"
		reference = "https://learn.microsoft.com/en-us/windows/win32/winsock/sio-rcvall"
		reason = "a web page has no use for a raw receive-all socket except sniffing credentials off the wire"
	strings:
		$raw = "SocketType.Raw" ascii
		$all1 = "IOControlCode.ReceiveAll" ascii
		$all2 = "SIO_RCVALL" ascii
		$all3 = /IOControl\s*\(\s*(unchecked\s*\(\s*)?\(?\s*int\s*\)?\s*0x98000001/ nocase ascii
	condition:
		filesize < 5MB and $raw and any of ($all*) and ASPNET_Server_Code
}

// ---------------------------------------------------------------------
// SQL consoles and database dumpers
// ---------------------------------------------------------------------

rule ASPX_SQL_Console {
	meta:
		description = "Page that connects to a database with a connection string typed by its user and runs the user's query (SQL consoles, database dumpers such as ASPX 'tuoku' pages)"
		severity = "high"
		attack = "T1505.003,T1005"
		reference = "https://media.defense.gov/2020/Jun/09/2002313081/-1/-1/0/CSI-DETECT-AND-PREVENT-WEB-SHELL-MALWARE-20200422.PDF"
		reason = "a legitimate page takes its connection string from configuration; one that takes server, user and password from the form and runs arbitrary SQL is a database console for whoever reaches it"
	strings:
		$db = /(Sql|OleDb|Odbc|MySql|Oracle|Npgsql)Connection\b/ nocase ascii
		// the connection string from the form or the request
		$cs1 = /(ConnectionString\s*=|Connection\s*\()\s*(this\.)?(\w+\.(Text|Value)\b|Request\b)/ nocase ascii
		$cs2 = /["'];?(Data Source=|Server=|User Id=|Password=|Initial Catalog=|Database=)\s*["']\s*(\+|&)\s*(this\.)?\w+/ nocase ascii
		$cs3 = /Request\s*(\.(Form|QueryString|Params|Item))?\s*[\[(]\s*["'](conn|connstr|connstring|connection|dsn|db|database)["']/ nocase ascii
		$cs4 = /\.Open\s*\(\s*(this\.)?\w+\.(Text|Value)\s*\)/ nocase ascii
		$cs5 = /Format\s*\(\s*["'][^"'\n]{0,120}(Password|Pwd)\s*=\s*\{\d\}[^"'\n]{0,120}["']\s*,\s*(this\.)?\w+\.(Text|Value)\b/ nocase ascii
		// the query from the form or the request
		$q1 = /(Command|DataAdapter)\s*\(\s*(this\.)?(\w+\.(Text|Value|SelectedItem\.Value)\b|Request\b)/ nocase ascii
		$q2 = /CommandText\s*=\s*(this\.)?(\w+\.(Text|Value)\b|Request\b)/ nocase ascii
		$q3 = /["']select\s+[^"']{0,20}from\s*["']\s*(\+|&)/ nocase ascii
		$q4 = /Request\s*(\.(Form|QueryString|Params|Item))?\s*[\[(]\s*["'](sql|query|sqlstr|strsql)["']/ nocase ascii
		$q5 = /\.Execute\s*\(\s*(this\.)?\w+\.(Text|Value)\s*\)/ nocase ascii
	condition:
		filesize < 5MB and $db and ASPNET_Server_Code and any of ($cs*) and any of ($q*)
}

// ---------------------------------------------------------------------
// Droppers and file managers
// ---------------------------------------------------------------------

rule ASPX_File_Write_From_Request {
	meta:
		description = "Page that writes a file at a path taken from the request or a form field (one-line uploaders and 'write anything anywhere' droppers)"
		severity = "high"
		attack = "T1505.003,T1105"
		reference = "https://media.defense.gov/2020/Jun/09/2002313081/-1/-1/0/CSI-DETECT-AND-PREVENT-WEB-SHELL-MALWARE-20200422.PDF"
		reason = "legitimate upload code saves to a folder the application chooses; here the target path comes from the client"
	strings:
		// the target path straight from the request or a form field
		$w1 = /StreamWriter\s*\(\s*(this\.)?(Server\.MapPath\s*\(\s*)?(Request\b|context\.Request\b|HttpContext\.Current\.Request\b|\w+\.(Text|Value)\b)/ nocase ascii
		$w2 = /File\.(WriteAll\w+|AppendAll\w+|CreateText|AppendText|OpenWrite)\s*\(\s*(this\.)?(Server\.MapPath\s*\(\s*)?(Request\b|context\.Request\b|HttpContext\.Current\.Request\b|\w+\.(Text|Value)\b)/ nocase ascii
		$w8 = /File\.Create\s*\(\s*(this\.)?(Server\.MapPath\s*\(\s*)?(Request\b|context\.Request\b|HttpContext\.Current\.Request\b|\w+\.(Text|Value)\b)/ nocase ascii
		$w3 = /FileStream\s*\(\s*(this\.)?(Server\.MapPath\s*\(\s*)?(Request\b|context\.Request\b|\w+\.(Text|Value)\b)[^;\n]{0,120}FileMode\.(Create|CreateNew|Append|OpenOrCreate)/ nocase ascii
		$w4 = /\.SaveAs\s*\(\s*(this\.)?(Server\.MapPath\s*\(\s*)?(Request\b|context\.Request\b)/ nocase ascii
		$w5 = /\.SaveAs\s*\(\s*(this\.)?\w+\.(Text|Value)\b/ nocase ascii
		// an upload saved under a name the request gives (Path.Combine(root, Request[...]))
		$w6 = /\.SaveAs\s*\(\s*(System\.IO\.)?Path\.Combine\s*\([^;\n]{0,80},\s*(context\.)?Request\s*(\.(Form|QueryString|Params|Item))?\s*[\[(]/ nocase ascii
		// an upload saved as a page IIS will execute (SIMPLESEESHARP-style droppers)
		$w7 = /\.SaveAs\s*\([^;\n]{0,120}\.(aspx|ashx|asmx|asp|asa|cer|cshtml|soap)["']/ nocase ascii
		// an upload written next to the page under the client's file name
		$self = "Request.PhysicalPath" ascii
		$posted1 = "PostedFile" ascii private
		$posted2 = "Request.Files" ascii private
		$create1 = "FileMode.Create" ascii private
		$create2 = ".SaveAs" ascii private
	condition:
		filesize < 5MB and (any of ($w*) or ($self and any of ($posted*) and any of ($create*))) and ASPNET_Server_Code
}

rule ASPX_Server_Console {
	meta:
		description = "Multi-tool web shell (ASPXSpy, WSO, devilzShell, K8 and other Chinese 'big horse' consoles): a page combining three or more server-control capabilities: drive listing, time stomping, IIS metabase, registry, WMI, processes, services, local accounts, privileged API calls, raw sockets, SQL command execution, self-deletion"
		severity = "critical"
		attack = "T1505.003"
		reference = "https://media.defense.gov/2020/Jun/09/2002313081/-1/-1/0/CSI-DETECT-AND-PREVENT-WEB-SHELL-MALWARE-20200422.PDF"
		reason = "each capability alone can have a use; a page holding several is a remote administration console"
	strings:
		// offensive capabilities
		$s_stomp1 = /\.Set(Creation|LastWrite|LastAccess)Time(Utc)?\s*\(/ ascii
		$s_stomp2 = /\.(CreationTime|LastWriteTime|LastAccessTime)(Utc)?\s*=\s*[^=]/ ascii
		$s_iis = "IIS://localhost" nocase ascii
		$s_users = "WinNT://" nocase ascii
		$s_logon = /\b(LogonUser|CreateProcessAsUser|CreateProcessWithLogonW|DuplicateToken(Ex)?|RevertToSelf)\b/ ascii
		$s_wsh = /WScript\.Shell|Shell\.Application/ nocase ascii
		$s_xp = /xp_cmdshell|sp_oacreate/ nocase ascii
		$s_selfdel = /File\.Delete\s*\(\s*(Request\.PhysicalPath|Server\.MapPath\s*\(\s*Request\.(Path|FilePath|CurrentExecutionFilePath))/ nocase ascii
		$s_listen = /new\s+(System\.Net\.Sockets\.)?TcpListener\s*\(/ nocase ascii
		$s_pe = "TVqQAAMAAAAEAAAA" ascii
		$s_raw = "SocketType.Raw" ascii
		$s_shell = /cmd\.exe|COMSPEC|powershell\.exe/ nocase ascii
		// administrative capabilities (common in monitoring pages too)
		$w_drives = /GetLogicalDrives|DriveInfo\.GetDrives/ nocase ascii private
		$w_reg = /Registry\.(LocalMachine|ClassesRoot|CurrentUser|Users|CurrentConfig)\b|\bRegistryKey\b/ ascii private
		$w_wmi = /ManagementObjectSearcher|Win32_(Process|Service|UserAccount|OperatingSystem|LogicalDisk)/ ascii private
		$w_exec = /ProcessStartInfo|StartInfo\.FileName|Process\.Start\s*\(/ nocase ascii private
		$w_procs = /Process\.GetProcesses\s*\(|\.Kill\s*\(\s*\)/ nocase ascii private
		$w_svc = "ServiceController" ascii private
		$w_pinvoke = /DllImport\s*\(\s*["'](kernel32|advapi32|ntdll)/ nocase ascii private
		$w_tcp = /new\s+(System\.Net\.Sockets\.)?(TcpClient|Socket)\s*\(/ nocase ascii private
		$w_fetch = /\.DownloadFile\s*\(/ nocase ascii private
	condition:
		filesize < 5MB and (2 of ($s_*) or (1 of ($s_*) and 2 of ($w_*))) and ASPNET_Server_Code

}

rule ASPX_File_Browser {
	meta:
		description = "Page that lists the server's drives and folders and reads, serves, deletes or overwrites any file the client names (ASP.NET file-system browsers)"
		severity = "high"
		attack = "T1505.003,T1083,T1005"
		reference = "https://media.defense.gov/2020/Jun/09/2002313081/-1/-1/0/CSI-DETECT-AND-PREVENT-WEB-SHELL-MALWARE-20200422.PDF"
		reason = "an application's own file pages stay inside its folders; enumerating the machine's drives and handing out any file is a web shell's file manager"
	strings:
		$drives = /GetLogicalDrives|DriveInfo\.GetDrives/ nocase ascii
		$list = /\.?Get(Directories|Files|FileSystemEntries|FileSystemInfos)\s*\(/ nocase ascii
		$io1 = /Response\.(WriteFile|TransmitFile)\s*\(/ nocase ascii
		$io2 = /File\.(ReadAllBytes|ReadAllText|Delete|Move|Copy|WriteAllBytes|WriteAllText)\s*\(/ nocase ascii
		$io3 = /Directory\.(Delete|Move)\s*\(/ nocase ascii
		$io4 = /new\s+(System\.IO\.)?(StreamReader|StreamWriter|FileStream)\s*\(/ nocase ascii
		// the folder or file named by the client
		$req = /Request\s*(\.(Form|QueryString|Params|Item))?\s*[\[(]\s*["'](dir|directory|path|folder|file|filename|src|f|d|p)["']/ nocase ascii
		// or a file operation straight on a request value
		$ioreq = /(Response\.(WriteFile|TransmitFile)|File\.(Delete|ReadAllBytes|ReadAllText|Move|Copy)|Directory\.(Delete|Move))\s*\(\s*(context\.)?Request\b/ nocase ascii
	condition:
		filesize < 5MB and $drives and $list and ((any of ($io*) and $req) or $ioreq) and ASPNET_Server_Code
}

rule ASPX_IIS_Credential_Harvest {
	meta:
		description = "Page that reads IIS metabase site settings including the anonymous user's password (ASPXSpy-style IIS spy)"
		severity = "high"
		attack = "T1505.003,T1552.001"
		reference = "https://learn.microsoft.com/en-us/previous-versions/iis/6.0-sdk/ms524569(v=vs.90)"
		reason = "reading AnonymousUserPass from IIS://localhost/W3SVC harvests site credentials"
	strings:
		$m = "IIS://localhost/W3SVC" nocase ascii
		$p1 = "AnonymousUserPass" nocase ascii
		$p2 = "WAMUserPass" nocase ascii
		$p3 = "AppPoolIdentity" nocase ascii
	condition:
		filesize < 5MB and $m and any of ($p*) and ASPNET_Server_Code
}

rule ASPX_Registry_Walker {
	meta:
		description = "Page that walks whole registry hives (three or more roots, recursively by subkey) to harvest paths or secrets (ASPX writable-path and registry scanners)"
		severity = "high"
		attack = "T1505.003,T1012"
		reference = "https://media.defense.gov/2020/Jun/09/2002313081/-1/-1/0/CSI-DETECT-AND-PREVENT-WEB-SHELL-MALWARE-20200422.PDF"
		reason = "enumerating every registry root from a web page is reconnaissance"
	strings:
		$h1 = "Registry.ClassesRoot" ascii
		$h2 = "Registry.CurrentConfig" ascii
		$h3 = "Registry.CurrentUser" ascii
		$h4 = "Registry.LocalMachine" ascii
		$h5 = "Registry.Users" ascii
		$walk = "GetSubKeyNames" ascii
	condition:
		filesize < 5MB and 3 of ($h*) and $walk and ASPNET_Server_Code
}

rule ASPX_Writable_Folder_Scanner {
	meta:
		description = "Page that crawls the file system creating a probe file in every folder to find writable ones (ASPX 'ScanWriteable' tools)"
		severity = "high"
		attack = "T1505.003,T1083"
		reference = "https://media.defense.gov/2020/Jun/09/2002313081/-1/-1/0/CSI-DETECT-AND-PREVENT-WEB-SHELL-MALWARE-20200422.PDF"
		reason = "probing every folder for write access finds where to plant the next web shell"
	strings:
		$probe = /File\.Create\s*\(\s*\w+(\.FullName)?\s*\+\s*["'][\\\/]/ ascii
		$walk1 = "GetDirectories" ascii
		$walk2 = "GetSubKeyNames" ascii
	condition:
		filesize < 5MB and $probe and any of ($walk*) and ASPNET_Server_Code
}

rule China_Chopper_Custom_Server {
	meta:
		description = "China Chopper / AntSword 'custom' server script (.aspx/.ashx/.asmx/.soap): a switch over single-letter commands (A list drives, B list folder, C read, D write, ... ) driven by request parameters"
		severity = "critical"
		attack = "T1505.003"
		reference = "https://www.fireeye.com/content/dam/legacy/resources/pdfs/fireeye-china-chopper-report.pdf"
		reason = "the Chopper client protocol: one-letter command codes dispatched on a request parameter"
	strings:
		$case = /case\s+["'][A-Q]["']\s*:/ nocase ascii
		$fs1 = "GetLogicalDrives" ascii private
		$fs2 = "GetDirectories" ascii private
		$r = "Request" ascii private
	condition:
		filesize < 2MB and any of ($fs*) and $r and #case >= 10 and ASPNET_Server_Code
}

rule ASPX_Obfuscated_Code {
	meta:
		description = "Server-side code hiding its identifiers: runs of \\u-escaped ASCII letters or code assembled one character at a time, next to code-execution primitives"
		severity = "high"
		attack = "T1505.003,T1027"
		reference = "https://media.defense.gov/2020/Jun/09/2002313081/-1/-1/0/CSI-DETECT-AND-PREVENT-WEB-SHELL-MALWARE-20200422.PDF"
		reason = "legitimate code has no reason to spell Request or eval as \\u0052... or \"R\"+\"e\"+..."
	strings:
		$u = /(\\u00[4-7][0-9A-Fa-f]){4}/ ascii
		// one escaped letter glued to an identifier: Assembly.\u004coad, R\u0065quest
		$u2 = /[A-Za-z_.]\\u00[4-7][0-9A-Fa-f][A-Za-z_(]/ ascii
		$c1 = /(["'][A-Za-z(\[.]["']\+(\/\*[^\n]{0,40}\*\/)?){6}/ ascii
		$c2 = /(["'][A-Za-z(\[.]["'] \+ ){6}/ ascii
		$plus = "\"+\"" ascii private
		$x1 = /[^.\w]eval\s*[(\/]/ ascii private
		$x2 = "Assembly" ascii private
		$x3 = "Invoke" ascii private
		$x4 = "Process" ascii private
		$x5 = "Request" ascii private
	condition:
		filesize < 2MB and any of ($x*) and ASPNET_Server_Code and ($u or $u2 or $c2 or ($plus and $c1))
}

// ---------------------------------------------------------------------
// web.config web shells
// ---------------------------------------------------------------------

rule WebConfig_Embedded_Script {
	meta:
		description = "web.config (or other .config) carrying server-side script that IIS is made to execute"
		severity = "critical"
		attack = "T1505.003"
		reference = "https://soroush.me/blog/2019/08/uploading-web-config-for-fun-and-profit-2/"
		reason = "configuration files never contain <% %> code blocks"
	strings:
		$cfg = /<configuration[\s>]/ nocase ascii
		$code = /<%[^%]{0,400}(Response\.Write|Request|CreateObject|eval|Execute|Process|Server\.)/ nocase ascii
		$pct = "<%" ascii private
	condition:
		filesize < 2MB and $cfg and $pct and $code
}

rule WebConfig_Script_Handler_Mapping {
	meta:
		description = "web.config that makes IIS execute config or static files as script: a handler or build provider mapping *.config, images or text to an ASP/ASP.NET processor, or un-hiding web.config"
		severity = "high"
		attack = "T1505.003"
		reference = "https://soroush.me/blog/2019/08/uploading-web-config-for-fun-and-profit-2/"
		reason = "legitimate configurations map script extensions only (.aspx, .ashx, .asmx, .svc, ...), and keep web.config hidden"
	strings:
		$cfg = /<configuration[\s>]/ nocase ascii
		$m1 = /<remove\s+fileExtension\s*=\s*["']\.config["']/ nocase ascii
		$m2 = /<remove\s+segment\s*=\s*["']web\.config["']/ nocase ascii
		$m3 = /["']\*\.(config|jpg|jpeg|png|gif|txt|css|js|ico)["'][^>]{0,250}(asp\.dll|aspnet_isapi\.dll|PageHandlerFactory|SimpleHandlerFactory|WebServiceHandlerFactory)/ nocase ascii
		$m4 = /extension\s*=\s*["']\.(config|jpg|jpeg|png|gif|txt|css|js|ico)["'][^>]{0,300}(PageBuildProvider|WebHandlerBuildProvider|WebServiceBuildProvider)/ nocase ascii
		$g3 = /asp\.dll|aspnet_isapi\.dll|HandlerFactory/ nocase ascii private
		$g4 = "BuildProvider" nocase ascii private
	condition:
		filesize < 2MB and $cfg and ($m1 or $m2 or ($g3 and $m3) or ($g4 and $m4))
}
