<%@ Page Language="C#" %>
<%-- exhunt example placeholder for the stock Exchange page ExpiredPassword.aspx; the real file is larger --%>
