<%@ Page Language="C#" AutoEventWireup="true" CodeBehind="logon.aspx.cs" Inherits="Contoso.Web.Logon" %>
<!DOCTYPE html>
<html>
<head runat="server"><title>Sign in</title></head>
<body>
  <form id="logonForm" runat="server">
    <asp:Label ID="UserLabel" runat="server" Text="User name:" />
    <asp:TextBox ID="UserName" runat="server" />
    <asp:TextBox ID="Password" runat="server" TextMode="Password" />
    <asp:Button ID="SignIn" runat="server" Text="Sign in" OnClick="SignIn_Click" />
  </form>
</body>
</html>
