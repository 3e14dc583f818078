package emulator

import (
	"strings"
)

// logonPage is an abridged OWA 2013+ forms logon page. The facts that
// scanners key on are kept verbatim: the OwaPage marker comment
// (remote-scanning.md 1.7, WhatWeb outlook-web-app.rb), the resource paths
// /owa/auth/<a.b.c>/themes/resources/... that carry the CU build (nuclei
// ms-exchange-server.yaml, exchange-knowledge.md C), the IsOwaPremiumBrowser
// function and the noscript sentence Metasploit's exchange.rb matches.
func logonPage(cu string) string {
	return strings.ReplaceAll(`<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">
<!-- {57A118C6-2DA9-419d-BE9A-F92B0F9A418B} -->
<!-- OwaPage = ASP.auth_logon_aspx -->
<html>
<head>
<meta http-equiv="X-UA-Compatible" content="IE=10" />
<link rel="shortcut icon" href="/owa/auth/{CU}/themes/resources/favicon.ico" type="image/x-icon">
<meta http-equiv="Content-Type" content="text/html; CHARSET=utf-8">
<meta name="Robots" content="NOINDEX, NOFOLLOW">
<title>Outlook</title>
<link type="text/css" rel="stylesheet" href="/owa/auth/{CU}/themes/resources/logon.css">
<link type="text/css" rel="stylesheet" href="/owa/auth/{CU}/themes/resources/owafont_en.css">
<script type="text/javascript" src="/owa/auth/{CU}/scripts/premium/flogon.js"></script>
<script type="text/javascript">
	function IsOwaPremiumBrowser()
	{
		return true;
	}
</script>
</head>
<body class="signInBg" style="background: #f2f2f2 url('/owa/auth/{CU}/themes/resources/bg_gradient.jpg') repeat-x">
<noscript>
	<div id="dvErr">
		<table cellpadding="0" cellspacing="0">
		<tr>
			<td><img src="/owa/auth/{CU}/themes/resources/warn.png" alt=""></td>
			<td style="width:100%">To use Outlook, browser settings must allow scripts to run. For information about how to allow scripts, consult the Help for your browser. If your browser doesn't support scripts, you can download <a href="http://www.microsoft.com/windows/ie/downloads/default.mspx">Windows Internet Explorer</a> for access to Outlook.</td>
		</tr>
		</table>
	</div>
</noscript>
<form action="/owa/auth.owa" method="POST" name="logonForm" ENCTYPE="application/x-www-form-urlencoded" autocomplete="off">
<input type="hidden" name="destination" value="">
<input type="hidden" name="flags" value="4">
<input type="hidden" name="forcedownlevel" value="0">
<div class="signInInputLabel" id="userNameLabel" aria-hidden="true">Domain\user name:</div>
<div><input id="username" name="username" class="signInInputText" role="textbox" aria-labelledby="userNameLabel"/></div>
<div class="signInInputLabel" id="passwordLabel" aria-hidden="true">Password:</div>
<div><input id="password" onfocus="g_fFcs=0" name="password" value="" type="password" class="signInInputText" aria-labelledby="passwordLabel"/></div>
<div class="signInEnter"><div onclick="clkLgn()" class="signinbutton" role="button" tabIndex="0"><span class="signinTxt">sign in</span></div></div>
</form>
</body>
</html>
`, "{CU}", cu)
}

// logonPage2010 is an abridged Exchange 2010 SP3 forms logon page: the
// full build in /owa/<build>/themes/resources/ paths, body class owaLgnBdy
// and the form posting to /owa/auth.owa, as in the copy of a real 2010
// SP3 page a phishing kit kept (recorded/phishing-kit-owa2010) and
// WhatWeb's outlook-web-app.rb version patterns.
func logonPage2010(build string) string {
	return strings.ReplaceAll(`<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.0 Transitional//EN">
<!-- {57A118C6-2DA9-419d-BE9A-F92B0F9A418B} -->
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; CHARSET=utf-8">
<meta name="Robots" content="NOINDEX, NOFOLLOW">
<title>Outlook Web App</title>
<link type="text/css" rel="stylesheet" href="/owa/{B}/themes/resources/logon.css">
<link rel="shortcut icon" href="/owa/{B}/themes/resources/favicon.ico" type="image/x-icon">
<script type="text/javascript" src="/owa/{B}/scripts/premium/flogon.js"></script>
</head>
<body class="owaLgnBdy">
<noscript><div id="dvErr">To use Outlook Web App, browser settings must allow scripts to run.</div></noscript>
<form action="/owa/auth.owa" method="POST" name="logonForm" autocomplete="off">
<input type="hidden" name="destination" value="">
<table id="tblMain"><tr><td class="lgnTL"><img src="/owa/{B}/themes/resources/lgntopl.gif" alt=""></td></tr>
<tr><td><label for="username">Domain\user name:</label><input id="username" name="username" type="text" class="txt"></td></tr>
<tr><td><label for="password">Password:</label><input id="password" name="password" type="password" class="txt"></td></tr>
<tr><td><input type="submit" class="btn" value="Sign in"><input name="isUtf8" value="1" type="hidden"></td></tr></table>
</form>
</body>
</html>
`, "{B}", build)
}

// exportToolManifest is the ClickOnce deployment manifest ECP serves at
// /ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application;
// scanners read the assemblyIdentity version (righel's regex
// <assemblyIdentity.*version="(%d+.%d+.%d+.%d+)", exchange-knowledge.md C).
func exportToolManifest(build string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<asmv1:assembly xsi:schemaLocation="urn:schemas-microsoft-com:asm.v1 assembly.adaptive.xsd" manifestVersion="1.0" xmlns:asmv1="urn:schemas-microsoft-com:asm.v1" xmlns="urn:schemas-microsoft-com:asm.v2" xmlns:asmv2="urn:schemas-microsoft-com:asm.v2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="` + build + `" publicKeyToken="b1d1a6c45aa418ce" language="neutral" processorArchitecture="msil" xmlns="urn:schemas-microsoft-com:asm.v1" />
  <description asmv2:publisher="Microsoft Corporation" co.v1:suiteName="Microsoft Exchange" asmv2:product="Microsoft Exchange eDiscovery Export Tool" xmlns="urn:schemas-microsoft-com:asm.v1" xmlns:co.v1="urn:schemas-microsoft-com:clickonce.v1" />
  <deployment install="false" trustURLParameters="true" mapFileExtensions="true" />
  <dependency>
    <dependentAssembly dependencyType="install" codebase="` + build + `\microsoft.exchange.ediscovery.exporttool.exe.manifest" size="19361">
      <assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.exe" version="` + build + `" publicKeyToken="b1d1a6c45aa418ce" language="neutral" processorArchitecture="msil" type="win32" />
    </dependentAssembly>
  </dependency>
</asmv1:assembly>
`
}

const iisStartPage = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1" />
<title>IIS Windows Server</title>
</head>
<body>
<div id="container"><a href="http://go.microsoft.com/fwlink/?linkid=66138&amp;clcid=0x409"><img src="iisstart.png" alt="IIS" width="960" height="600" /></a></div>
</body>
</html>
`

const iis404Page = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>
<title>404 - File or directory not found.</title>
</head>
<body>
<div id="header"><h1>Server Error</h1></div>
<div id="content">
 <div class="content-container"><fieldset>
  <h2>404 - File or directory not found.</h2>
  <h3>The resource you are looking for might have been removed, had its name changed, or is temporarily unavailable.</h3>
 </fieldset></div>
</div>
</body>
</html>
`
