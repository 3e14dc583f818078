<%@ Page language="c#" AutoEventWireup="false" Inherits="Microsoft.Exchange.HttpProxy.Logon" %>
<%@ Import namespace="Microsoft.Exchange.Clients"%>
<%@ Import namespace="Microsoft.Exchange.Clients.Owa.Core"%>
<%@ Import namespace="Microsoft.Exchange.HttpProxy"%>
<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html dir="<%=(IsRtl ? "rtl" : "ltr")%>" class="signInBg">
<head>
<meta http-equiv="X-UA-Compatible" content="IE=10" />
<link rel="shortcut icon" href="<%=InlineImageLoader.GetLoader().GetImageUrl(ThemeFileId.FavoriteIcon)%>" type="image/x-icon">
<title><%=LocalizedStrings.GetHtmlEncoded(Strings.OutlookWebApp)%></title>
<script type="text/javascript">
	function clkLgn() { var oF = document.forms[0]; if (oF) { oF.submit(); } }
</script>
</head>
<body class="signInBg" onload="javascript:document.logonForm.username.focus();">
<form action="/owa/auth.owa" method="POST" name="logonForm" autocomplete="off">
<input type="hidden" name="destination" value="<%=Destination%>">
<input type="hidden" name="flags" value="4">
<input id="username" name="username" type="text" role="textbox">
<input id="password" name="password" type="password" onfocus="g_fFcs=0">
<% if (ShowPublicPrivateSelection) { %><input id="chkPrvt" name="trusted" type="checkbox"><% } %>
</form>
</body>
</html>
