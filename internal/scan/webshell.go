package scan

import (
	"bytes"
	"context"
	"fmt"
	"strings"
)

// ShellPaths are web shell locations published for the 2021 Hafnium-era
// (ProxyLogon) intrusions: file names dropped under
// C:\inetpub\wwwroot\aspnet_client\ (normally empty; cert-lv
// exchange_webshell_detection) and the Exchange FrontEnd\HttpProxy\owa\auth
// and ecp\auth folders. Sources, in shared/corpus: Microsoft MSTIC
// "MSTICIoCs-ExchangeServerVulnerabilitiesDisclosedMarch2021.csv"
// (Azure-Sentinel), Florian Roth's signature-base filename-iocs.txt,
// CISA AA21-062A; supp0rt.aspx was the most prevalent shell in Fortgale's
// national scan (remote-scanning.md section 4).
var ShellPaths = []string{
	"/aspnet_client/supp0rt.aspx", "/aspnet_client/discover.aspx", "/aspnet_client/shell.aspx",
	"/aspnet_client/Server.aspx", "/aspnet_client/HttpProxy.aspx", "/aspnet_client/OutlookEN.aspx",
	"/aspnet_client/aspnet_client.aspx", "/aspnet_client/aspnet_iisstart.aspx", "/aspnet_client/aspnet_pages.aspx",
	"/aspnet_client/aspnet_www.aspx", "/aspnet_client/default1.aspx", "/aspnet_client/errorcheck.aspx",
	"/aspnet_client/iispage.aspx", "/aspnet_client/s.aspx", "/aspnet_client/session.aspx",
	"/aspnet_client/services.aspx", "/aspnet_client/xx.aspx", "/aspnet_client/t.aspx",
	"/aspnet_client/shellex.aspx", "/aspnet_client/caches.aspx", "/aspnet_client/client.aspx",
	"/aspnet_client/aspnettest.aspx", "/aspnet_client/aspnet_regiis.aspx", "/aspnet_client/aspnet.aspx",
	"/aspnet_client/luifdecggoqmansn.aspx", "/aspnet_client/xclkmcfldfi948398430fdjkfdkj.aspx",
	"/aspnet_client/dukybySSSS.aspx", "/aspnet_client/log_error_9e23efc3.aspx",
	"/aspnet_client/570221043.aspx", "/aspnet_client/689193944.aspx",
	"/aspnet_client/system_web/log.aspx", "/aspnet_client/system_web/error.aspx",
	"/owa/auth/one.aspx", "/owa/auth/one1.aspx", "/owa/auth/shel.aspx", "/owa/auth/shel2.aspx",
	"/owa/auth/shel90.aspx", "/owa/auth/log.aspx", "/owa/auth/logg.aspx", "/owa/auth/logout.aspx",
	"/owa/auth/a.aspx", "/owa/auth/bob.aspx", "/owa/auth/authhead.aspx", "/owa/auth/errorPage.aspx",
	"/owa/auth/errorPages.aspx", "/owa/auth/fatal-erro.aspx", "/owa/auth/OutlookZH.aspx",
	"/owa/auth/8Lw7tAhF9i1pJnRo.aspx", "/owa/auth/babydraco.aspx", "/owa/auth/current/one1.aspx",
	"/ecp/auth/Logout.aspx",
}

func folderOf(p string) string { return p[:strings.LastIndexByte(p, '/')+1] }

// webshells requests each census path and a random name in the same folder
// first (the baseline), so a server that answers 200 for everything is
// never reported as compromised.
func (s *Scanner) webshells(ctx context.Context, ss *session, r *Result) {
	base := map[string]*response{}
	for _, p := range ShellPaths {
		if ctx.Err() != nil || ss.netErrs >= 2 {
			return
		}
		f := folderOf(p)
		b, seen := base[f]
		if !seen {
			b, _ = ss.get(ctx, f+"exhunt-"+randHex(6)+".aspx", nil, 32<<10)
			base[f] = b
		}
		resp, err := ss.get(ctx, p, nil, 32<<10)
		if err != nil {
			continue
		}
		if st, ev, ok := judgeShell(resp, b); ok {
			r.WebShells = append(r.WebShells, WebShell{Path: p, Status: st, Evidence: ev, HTTPStatus: resp.Status})
		}
	}
}

// judgeShell compares a census answer with the folder's baseline answer.
func judgeShell(resp, base *response) (status, evidence string, report bool) {
	if resp.Status == 404 {
		return "", "", false
	}
	desc := fmt.Sprintf("%d, %d bytes", resp.Status, len(resp.Body))
	if base == nil {
		if resp.Status == 200 {
			return "inconclusive", desc + "; no baseline answer for a random name", true
		}
		return "", "", false
	}
	bdesc := fmt.Sprintf("a random name in the same folder gets %d", base.Status)
	if base.Status == resp.Status {
		if resp.Status == 200 && !sameBody(resp.Body, base.Body) {
			return "inconclusive", desc + "; " + bdesc + " too (catch-all server) but a different body", true
		}
		return "", "", false // the server answers every name alike
	}
	switch {
	case resp.Status == 200:
		return "found", desc + "; " + bdesc, true
	case resp.Status == 500:
		return "found", desc + ": the page exists and failed without its parameters; " + bdesc, true
	case resp.Status == 401 || resp.Status == 403 || resp.Status/100 == 3:
		return "inconclusive", desc + "; " + bdesc, true
	}
	return "", "", false
}

// sameBody treats pages that differ only in a few volatile bytes (dates,
// request ids) as the same page.
func sameBody(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	d := len(a) - len(b)
	if d < 0 {
		d = -d
	}
	return d <= 64 && len(a) > 256 && bytes.Equal(a[:128], b[:128])
}
