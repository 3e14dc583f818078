<%@ Page Language="C#" %>
<%-- exhunt example placeholder for the stock Exchange page signout.aspx; the real file is larger --%>
