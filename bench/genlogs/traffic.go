package main

import (
	"bufio"
	"strconv"
	"time"
)

var (
	users  = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar", "peggy", "trent", "victor", "walter"}
	agents = []string{
		"Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/88.0.4324.190+Safari/537.36",
		"Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.13801;+Pro)",
		"Apple-iPhone12C1/1804.52",
		"Android-Mail/2021.01.17.353620372.release",
		"Mozilla/4.0+(compatible;+MSIE+7.0;+Windows+NT+10.0;+WOW64;+Trident/7.0;+ms-office;+MSOffice+16)",
		"AMProbe/Local/ClientAccess",
	}
	// The request mix of a busy Exchange 2016 front end, by weight (per
	// 100 requests): mostly ActiveSync, MAPI/HTTP, EWS and OWA service calls;
	// logon pages, probes and Outlook Anywhere (RPC/HTTP, superseded by
	// MAPI/HTTP) are a few percent.
	requests = weighted([]request{
		{30, "POST", "/Microsoft-Server-ActiveSync/default.eas", "Cmd=Ping&User=%u&DeviceId=ABC%n&DeviceType=iPhone"},
		{10, "POST", "/Microsoft-Server-ActiveSync/default.eas", "Cmd=Sync&User=%u&DeviceId=ABC%n&DeviceType=Android"},
		{12, "POST", "/EWS/Exchange.asmx", ""},
		{18, "POST", "/mapi/emsmdb/", "MailboxId=%n@contoso.com"},
		{8, "POST", "/autodiscover/autodiscover.xml", ""},
		{2, "GET", "/owa/auth/logon.aspx", "url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0"},
		{2, "POST", "/owa/auth.owa", ""},
		{12, "POST", "/owa/service.svc", "action=GetItem&app=Mail&n=%n"},
		{4, "GET", "/owa/healthcheck.htm", ""},
		{2, "RPC_IN_DATA", "/rpc/rpcproxy.dll", "exch01.contoso.local:6001"},
	})
)

type request struct {
	weight              int
	method, stem, query string
}

// weighted repeats each request by its weight, so a uniform pick follows
// the mix.
func weighted(rs []request) []request {
	var out []request
	for _, r := range rs {
		for range r.weight {
			out = append(out, r)
		}
	}
	return out
}

func (g *gen) appendQuery(b []byte, q string) []byte {
	if q == "" {
		return append(b, '-')
	}
	for i := 0; i < len(q); i++ {
		if q[i] == '%' && i+1 < len(q) {
			switch q[i+1] {
			case 'u':
				b = append(b, users[g.r.IntN(len(users))]...)
				i++
				continue
			case 'n':
				b = strconv.AppendInt(b, int64(g.r.IntN(100000)), 10)
				i++
				continue
			}
		}
		b = append(b, q[i])
	}
	return b
}

func appendClock(b []byte, day time.Time, sec int) []byte {
	b = day.AppendFormat(b, "2006-01-02")
	b = append(b, ' ')
	h, m, s := sec/3600, sec/60%60, sec%60
	return append(b, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10))
}

func (g *gen) iisLine(w *bufio.Writer, name string, line int64, day time.Time, sec int) {
	b := appendClock(g.buf[:0], day, sec)
	b = append(b, " 10.0.0.5 "...)
	if g.tick(0) {
		n := g.attacks["iis-ssrf-js"] + g.attacks["iis-webshell-cmd"] + g.attacks["iis-proxyshell"]
		switch n % 3 {
		case 0:
			g.record("iis-ssrf-js", name, line)
			b = append(b, "POST /ecp/y.js &CorrelationID=<empty>;&cafeReqId=0f6a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b; 443 - 203.0.113.66 ExchangeServicesClient/0.0.0.0 - 241 0 0 31\r\n"...)
		case 1:
			g.record("iis-webshell-cmd", name, line)
			b = append(b, "GET /aspnet_client/system_web/Xk3pQz8a.aspx p=whoami 443 - 203.0.113.66 - - 200 0 0 15\r\n"...)
		default:
			g.record("iis-proxyshell", name, line)
			b = append(b, "POST /autodiscover/autodiscover.json @evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp 443 - 203.0.113.66 python-requests/2.25.1 - 200 0 0 42\r\n"...)
		}
		w.Write(b)
		g.buf = b
		return
	}
	rq := requests[g.r.IntN(len(requests))]
	b = append(b, rq.method...)
	b = append(b, ' ')
	b = append(b, rq.stem...)
	b = append(b, ' ')
	b = g.appendQuery(b, rq.query)
	b = append(b, " 443 "...)
	if rq.stem == "/owa/auth/logon.aspx" || rq.stem == "/owa/healthcheck.htm" {
		b = append(b, '-')
	} else {
		b = append(b, "CONTOSO\\"...)
		b = append(b, users[g.r.IntN(len(users))]...)
	}
	b = append(b, " 198.51.100."...)
	b = strconv.AppendInt(b, int64(10+g.r.IntN(240)), 10)
	b = append(b, ' ')
	b = append(b, agents[g.r.IntN(len(agents))]...)
	b = append(b, " - 200 0 0 "...)
	b = strconv.AppendInt(b, int64(g.r.IntN(900)), 10)
	b = append(b, "\r\n"...)
	w.Write(b)
	g.buf = b
}

type protocol struct{ name, stem string }

var protocols = []protocol{
	{"Owa", "/owa/service.svc"}, {"Ews", "/EWS/Exchange.asmx"}, {"Eas", "/Microsoft-Server-ActiveSync/default.eas"},
	{"Mapi", "/mapi/emsmdb/"}, {"Autodiscover", "/autodiscover/autodiscover.xml"}, {"Ecp", "/ecp/default.aspx"},
}

const proxyFields = "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,SharedCacheLatencyBreakup,TotalSharedCacheLatency,ActivityContextLifeTime,ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,HandlerCompletionLatency,RequestHandlerLatency,HandlerToModuleSwitchingLatency,ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,TotalRequestTime,RouteRefresherLatency,UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,DatabaseGuid,UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus"

func (g *gen) appendUUID(b []byte) []byte {
	const hex = "0123456789abcdef"
	x, y := g.r.Uint64(), g.r.Uint64()
	for i := range 32 {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b = append(b, '-')
		}
		v := x
		if i >= 16 {
			v = y
		}
		b = append(b, hex[(v>>(4*(i%16)))&15])
	}
	return b
}

func (g *gen) proxyLine(w *bufio.Writer, name string, line int64, day time.Time, sec int, p protocol) {
	b := day.Add(time.Duration(sec)*time.Second+time.Duration(g.r.IntN(1000))*time.Millisecond).AppendFormat(g.buf[:0], "2006-01-02T15:04:05.000Z")
	b = append(b, ',')
	b = g.appendUUID(b)
	u := users[g.r.IntN(len(users))]
	stem, anchor, user, auth, ip, status := p.stem, "Smtp~"+u+"@contoso.com", "CONTOSO\\"+u, "Negotiate", "10.0.0."+strconv.Itoa(20+g.r.IntN(70)), "200"
	ua := "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)"
	if g.tick(1) {
		g.record("httpproxy-serverinfo", name, line)
		stem, anchor, user, auth, ip, status = "/ecp/y.js", "ServerInfo~exch01.contoso.local:444/ecp/proxyLogon.ecp#", "", "Anonymous", "203.0.113.66", "241"
		ua = "ExchangeServicesClient/0.0.0.0"
	}
	b = append(b, ",15,1,2176,2,,"...)
	b = append(b, p.name...)
	b = append(b, ",mail.contoso.com,"...)
	b = append(b, stem...)
	b = append(b, ",,"...)
	b = append(b, auth...)
	b = append(b, ',')
	if user != "" {
		b = append(b, "True,"...)
	} else {
		b = append(b, "False,"...)
	}
	b = append(b, user...)
	b = append(b, ",,"...)
	b = append(b, anchor...)
	b = append(b, ",\""...)
	b = append(b, ua...)
	b = append(b, "\","...)
	b = append(b, ip...)
	b = append(b, ",EXCH01,"...)
	b = append(b, status...)
	b = append(b, ',')
	b = append(b, status...)
	b = append(b, ",,POST,Proxy,exch01.contoso.local,Version 15.1 (Build 2176.2),Local,Smtp-UrlParameter,,,,"...)
	b = strconv.AppendInt(b, int64(g.r.IntN(9000)), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(g.r.IntN(90000)), 10)
	b = append(b, ",1,,0,0,,0,,0,,0,0,,0,0,0,0,0,0,"...)
	b = strconv.AppendInt(b, int64(g.r.IntN(300)), 10)
	b = append(b, ",0,0,0,0,0,0,0,0,0,0,0,"...)
	b = strconv.AppendInt(b, int64(g.r.IntN(400)), 10)
	b = append(b, ",0,,,\"S:ServiceCommonMetadata.HttpMethod=POST\",,,,,,\r\n"...)
	w.Write(b)
	g.buf = b
}
