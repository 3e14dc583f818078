<%@ Page Language="C#" %>
<%-- exhunt example placeholder for the stock Exchange page RedirSuiteServiceProxy.aspx; the real file is larger --%>
