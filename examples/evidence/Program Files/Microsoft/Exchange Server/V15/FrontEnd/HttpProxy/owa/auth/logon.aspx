<%@ Page Language="C#" %>
<%-- exhunt example placeholder for the stock Exchange page logon.aspx; the real file is larger --%>
