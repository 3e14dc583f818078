<%@ Page Language="C#" %>
<%-- exhunt example placeholder for the stock Exchange page errorFE.aspx; the real file is larger --%>
