<%@ Page Language="C#" %>
<%-- exhunt example placeholder for the stock Exchange page TimeoutLogout.aspx --%>
