<%@ Page Language="C#" %>
<%-- exhunt example placeholder for the stock Exchange page logoff.aspx; the real file is larger --%>
