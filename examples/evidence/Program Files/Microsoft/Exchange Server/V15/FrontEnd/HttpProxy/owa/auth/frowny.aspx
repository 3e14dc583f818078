<%@ Page Language="C#" %>
<%-- exhunt example placeholder for the stock Exchange page frowny.aspx; the real file is larger --%>
