<%@ Page Language="C#" %>
<%-- exhunt example placeholder for the stock Exchange page OutlookCN.aspx; the real file is larger --%>
