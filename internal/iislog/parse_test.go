package iislog

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"github.com/exhunt/exhunt/internal/logline"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/google/go-cmp/cmp"
)

// rec is the comparable part of a record.
type rec struct {
	Line   int64
	Time   string
	Fields map[string]string
}

func parseAll(t *testing.T, data []byte, opt Options) ([]rec, Stats, error) {
	t.Helper()
	var got []rec
	st, err := Parse(t.Context(), bytes.NewReader(data), "u_ex.log", opt, func(r *evidence.Record) error {
		if r.Source != "u_ex.log" || r.Log != LogSource {
			t.Errorf("record source/log = %q %+v", r.Source, r.Log)
		}
		m := map[string]string{}
		r.Fields.Range(func(n, v string) bool { m[n] = v; return true })
		got = append(got, rec{Line: r.Line, Time: r.Time.Format(time.RFC3339), Fields: m})
		return nil
	})
	return got, st, err
}

func readSample(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/u_ex210303.log")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseSample(t *testing.T) {
	got, st, err := parseAll(t, readSample(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []rec{
		{Line: 5, Time: "2021-03-03T00:00:12Z", Fields: map[string]string{
			"date": "2021-03-03", "time": "00:00:12", "s-ip": "10.0.0.5", "cs-method": "GET", "cs-uri-stem": "/owa/auth/logon.aspx",
			"cs-uri-query": "url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0", "s-port": "443", "cs-username": "", "c-ip": "198.51.100.23",
			"cs(User-Agent)": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.190 Safari/537.36",
			"cs(Referer)":    "", "sc-status": "200", "sc-substatus": "0", "sc-win32-status": "0", "time-taken": "15"}},
		{Line: 6, Time: "2021-03-03T00:00:13Z", Fields: map[string]string{
			"date": "2021-03-03", "time": "00:00:13", "s-ip": "10.0.0.5", "cs-method": "POST", "cs-uri-stem": "/ecp/y.js",
			"cs-uri-query": "&CorrelationID=<empty>;&cafeReqId=4b7d6a2c-1e1a-4bd6-9f0e-2a8c3f2e0d11;", "s-port": "443", "cs-username": "", "c-ip": "2001:db8::7",
			"cs(User-Agent)": "ExchangeServicesClient/0.0.0.0", "cs(Referer)": "", "sc-status": "200", "sc-substatus": "0", "sc-win32-status": "0", "time-taken": "31"}},
		{Line: 7, Time: "2021-03-03T00:00:14Z", Fields: map[string]string{
			"date": "2021-03-03", "time": "00:00:14", "s-ip": "10.0.0.5", "cs-method": "GET", "cs-uri-stem": "/ecp/",
			"cs-uri-query": "", "s-port": "443", "cs-username": `CONTOSO\alice`, "c-ip": "203.0.113.9",
			"cs(User-Agent)": "", "cs(Referer)": "", "sc-status": "302", "sc-substatus": "0", "sc-win32-status": "0", "time-taken": "0"}},
		{Line: 12, Time: "2021-03-04T00:00:01Z", Fields: map[string]string{
			"date": "2021-03-04", "time": "00:00:01", "s-computername": "EXCH01", "cs-method": "GET", "cs-uri-stem": "/aspnet_client/system_web/x.aspx",
			"cs-uri-query": "cmd=whoami", "c-ip": "192.0.2.44", "cs(User-Agent)": "antSword/v2.1", "sc-status": "200"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
	wantSt := Stats{
		Lines: 14, Records: 4, Malformed: 2,
		First: time.Date(2021, 3, 3, 0, 0, 12, 0, time.UTC), Last: time.Date(2021, 3, 4, 0, 0, 1, 0, time.UTC),
		Days:     []time.Time{time.Date(2021, 3, 3, 0, 0, 0, 0, time.UTC), time.Date(2021, 3, 4, 0, 0, 0, 0, time.UTC)},
		Fields:   strings.Fields("date time s-computername cs-method cs-uri-stem cs-uri-query c-ip cs(User-Agent) sc-status"),
		Software: "Microsoft Internet Information Services 10.0", Host: "EXCH01",
	}
	if d := cmp.Diff(wantSt, st); d != "" {
		t.Errorf("stats (-want +got):\n%s", d)
	}
}

func TestFilterKeepsCoverage(t *testing.T) {
	only := func(s string) func([]byte) bool {
		return func(l []byte) bool { return bytes.Contains(l, []byte(s)) }
	}
	got, st, err := parseAll(t, readSample(t), Options{Filter: only("/ecp/y.js")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Fields["cs-uri-stem"] != "/ecp/y.js" {
		t.Fatalf("records = %+v, want only /ecp/y.js", got)
	}
	if st.Records != 1 || st.Lines != 14 || st.Malformed != 2 || len(st.Days) != 2 || st.Host != "EXCH01" {
		t.Errorf("stats = %+v, want coverage from filtered lines too", st)
	}
	if !st.Last.Equal(time.Date(2021, 3, 4, 0, 0, 1, 0, time.UTC)) {
		t.Errorf("Last = %v", st.Last)
	}
}

func TestGzip(t *testing.T) {
	plain := readSample(t)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(plain)
	zw.Close()
	want, wantSt, err := parseAll(t, plain, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, st, err := parseAll(t, buf.Bytes(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("gzip records differ:\n%s", d)
	}
	if d := cmp.Diff(wantSt, st); d != "" {
		t.Errorf("gzip stats differ:\n%s", d)
	}
	if !Sniff(buf.Bytes()[:min(buf.Len(), 512)]) {
		t.Error("Sniff(gzip head) = false")
	}
	// Exactly at the limit is fine; one byte less is not.
	if _, _, err := parseAll(t, buf.Bytes(), Options{MaxDecompressed: int64(len(plain))}); err != nil {
		t.Errorf("limit = size: %v", err)
	}
	if _, _, err := parseAll(t, buf.Bytes(), Options{MaxDecompressed: int64(len(plain) - 1)}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("limit < size: err = %v, want ErrTooLarge", err)
	}
}

func TestMalformedInput(t *testing.T) {
	hdr := "#Fields: date time cs-uri-stem sc-status\n"
	long := strings.Repeat("A", 3000)
	tests := []struct {
		name      string
		in        string
		opt       Options
		records   int64
		malformed int64
	}{
		{"no header", "2021-03-03 00:00:00 /owa/ 200\n", Options{}, 0, 1},
		{"too few fields", hdr + "2021-03-03 00:00:00 /owa/\n", Options{}, 0, 1},
		{"too many fields", hdr + "2021-03-03 00:00:00 /owa/ 200 x\n", Options{}, 0, 1},
		{"trailing space ok", hdr + "2021-03-03 00:00:00 /owa/ 200 \n", Options{}, 1, 0},
		{"bad date", hdr + "2021-13-03 00:00:00 /owa/ 200\n", Options{}, 0, 1},
		{"crlf and no final newline", hdr + "2021-03-03 00:00:00 /owa/ 200\r\n2021-03-03 00:00:01 /ecp/ 200", Options{}, 2, 0},
		{"long line skipped, next kept", hdr + "2021-03-03 00:00:00 /" + long + " 200\n2021-03-03 00:00:01 /ecp/ 200\n", Options{MaxLine: 1000}, 1, 1},
		{"long line at EOF", hdr + "2021-03-03 00:00:00 /" + long + " 200", Options{MaxLine: 1000}, 0, 1},
		{"binary", "\x00\x01\xff\xfe#\n\n\n", Options{}, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, st, err := parseAll(t, []byte(tc.in), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if st.Records != tc.records || st.Malformed != tc.malformed {
				t.Errorf("records, malformed = %d, %d; want %d, %d", st.Records, st.Malformed, tc.records, tc.malformed)
			}
		})
	}
}

func TestLongLineUnderBuffer(t *testing.T) {
	// A line longer than the read buffer but under MaxLine is kept whole.
	stem := "/" + strings.Repeat("b", logline.BufSize+100)
	in := "#Fields: date time cs-uri-stem\n2021-03-03 00:00:00 " + stem + "\n"
	got, st, err := parseAll(t, []byte(in), Options{})
	if err != nil || st.Records != 1 || got[0].Fields["cs-uri-stem"] != stem {
		t.Fatalf("err=%v stats=%+v", err, st)
	}
}

func TestStopErrors(t *testing.T) {
	stop := errors.New("stop")
	_, err := Parse(t.Context(), bytes.NewReader(readSample(t)), "x", Options{}, func(*evidence.Record) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("fn error: got %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	big := bytes.Repeat([]byte("#c\n"), 2*ctxEvery)
	_, err = Parse(ctx, bytes.NewReader(big), "x", Options{}, func(*evidence.Record) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: got %v", err)
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		head string
		want bool
	}{
		{"#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n", true},
		{"\xef\xbb\xbf#Fields: date time s-ip cs-method\n", true},
		{"#Software: Microsoft Exchange Server\n#Fields: DateTime,RequestId\n", false},
		{"#Fields: time c-ip cs-method\n", false},
		{"\x1f\x8b\x08garbage", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := Sniff([]byte(tc.head)); got != tc.want {
			t.Errorf("Sniff(%q) = %v, want %v", tc.head, got, tc.want)
		}
	}
}

func TestFieldsGetFold(t *testing.T) {
	got, _, err := parseAll(t, readSample(t), Options{})
	if err != nil || len(got) == 0 {
		t.Fatal(err)
	}
	var f evidence.Fields
	Parse(t.Context(), bytes.NewReader(readSample(t)), "x", Options{}, func(r *evidence.Record) error {
		if f == nil {
			f = r.Fields
		}
		return nil
	})
	for _, name := range []string{"cs-uri-stem", "CS-URI-STEM", "cs(user-agent)"} {
		if _, ok := f.Get(name); !ok {
			t.Errorf("Get(%q) missing", name)
		}
	}
	if _, ok := f.Get("nope"); ok {
		t.Error("Get(nope) present")
	}
}

// The IIS lines of a real March 2021 incident were published without
// their #Fields: header (helsecert, see
// ../../../shared/corpus/real-exchange-evidence/SOURCES.md). They fit the
// default Exchange IIS layout, are read with it, and the stats say so;
// the "-----" separators between the excerpt's days are malformed lines.
func TestHeaderlessRealExcerpt(t *testing.T) {
	b, err := os.ReadFile("../../../shared/corpus/real-exchange-evidence/helsecert/raw/u_ex2103_excerpt.log")
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	layout, ok := DefaultLayout(b)
	if !ok || layout != ExchangeDefaultFields {
		t.Fatalf("DefaultLayout = %q, %v", layout, ok)
	}
	var recs []*evidence.Record
	st, err := Parse(t.Context(), bytes.NewReader(b), "u_ex2103_excerpt.log", Options{DefaultFields: layout}, func(r *evidence.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 8 || st.Malformed != 2 || st.DefaultFields != layout {
		t.Fatalf("stats %+v", st)
	}
	stem, _ := recs[0].Fields.Get("cs-uri-stem")
	status, _ := recs[0].Fields.Get("sc-status")
	ip, _ := recs[0].Fields.Get("c-ip")
	if stem != "/owa/auth/RedirSuiteServerProxy.aspx" || status != "200" || ip != "139.162.202.236" {
		t.Errorf("first record: %s %s %s", stem, status, ip)
	}
	// Without the option the same lines are all malformed, as before.
	st, _ = Parse(t.Context(), bytes.NewReader(b), "x", Options{}, func(*evidence.Record) error { return nil })
	if st.Records != 0 || st.DefaultFields != "" {
		t.Errorf("without DefaultFields: %+v", st)
	}
}

func TestDefaultLayoutNearMisses(t *testing.T) {
	iis75 := "2019-09-03 10:13:36 10.0.2.15 GET /erp/conn.aspx proxy 80 - 10.0.2.17 - 200 0 0 7\n"
	if l, ok := DefaultLayout([]byte(iis75)); !ok || l != IIS75DefaultFields {
		t.Errorf("14-field line: %q %v", l, ok)
	}
	for name, head := range map[string]string{
		"apache":        `192.168.105.83 - - [11/Jul/2018:08:41:28 +0300] "GET / HTTP/1.1" 200 11444` + "\n",
		"with header":   "#Fields: date time cs-uri-stem\n2021-03-03 01:00:00 /owa/\n",
		"lower method":  "2021-03-05 03:06:27 xxx get /owa/ - 443 - 1.2.3.4 UA - 200 0 0 1\n",
		"no status":     "2021-03-05 03:06:27 xxx GET /owa/ - 443 - 1.2.3.4 UA - OK 0 0 1\n",
		"other count":   "2021-03-05 03:06:27 xxx GET /owa/ - 443 - 1.2.3.4 200\n",
		"mixed layouts": iis75 + "2021-03-05 03:06:27 xxx GET /owa/ - 443 - 1.2.3.4 UA - 200 0 0 1\n",
		"csv":           "2021-03-05T03:06:27.696Z,serverip,/owa/auth/x.aspx,UA,1.2.3.4,200,GET\n",
		"empty":         "",
	} {
		if l, ok := DefaultLayout([]byte(head)); ok {
			t.Errorf("%s: recognised as %q", name, l)
		}
	}
}

// TestKey: with KeyField and Key, a line's record is built only when its
// field value is wanted; coverage still counts every line, and a log
// without that field goes to the filter.
func TestKey(t *testing.T) {
	in := "#Fields: date time cs-method cs-uri-stem c-ip\n" +
		"2021-03-03 00:00:01 GET /owa/ 1.2.3.4\n" +
		"2021-03-03 00:00:02 POST /aspnet_client/X.aspx 1.2.3.5\n" +
		"2021-03-04 00:00:03 GET /aspnet_client/X.aspx\n" + // one field short: malformed
		"2021-03-04 00:00:04 GET /ews/ 1.2.3.6\n"
	calls := 0
	var got []string
	st, err := Parse(t.Context(), strings.NewReader(in), "x", Options{
		KeyField: "CS-URI-STEM",
		Key:      func(v []byte) bool { calls++; return string(v) == "/aspnet_client/X.aspx" },
		Filter:   func([]byte) bool { t.Error("Filter called for a log with the key field"); return true },
	}, func(r *evidence.Record) error {
		ip, _ := r.Fields.Get("c-ip")
		got = append(got, ip)
		return nil
	})
	if err != nil || len(got) != 1 || got[0] != "1.2.3.5" || calls != 4 || st.Records != 1 || st.Malformed != 1 || len(st.Days) != 2 {
		t.Errorf("records %q, %d Key calls, stats %+v, %v", got, calls, st, err)
	}
	st, _ = Parse(t.Context(), strings.NewReader("#Fields: date time c-ip\n2021-03-03 00:00:01 1.2.3.4\n"), "x", Options{
		KeyField: "cs-uri-stem", Key: func([]byte) bool { t.Error("Key called without its field"); return true },
		Filter: func([]byte) bool { return false },
	}, func(*evidence.Record) error { return nil })
	if st.Records != 0 || st.Lines != 2 {
		t.Errorf("without the key field: %+v", st)
	}
}

// TestFieldLookup: names match exactly, then in any case (also through
// the Kelvin sign, in a header that has one), and a name the log does not
// have misses.
func TestFieldLookup(t *testing.T) {
	f := &Fields{h: newHeader("date cs-uri-stem CS-URI-STEM c-ip"), line: "d /a /b 1.2.3.4", offs: []int32{0, 1, 2, 4, 5, 7, 8, 15}}
	for name, want := range map[string]string{"cs-uri-stem": "/a", "CS-URI-STEM": "/b", "Cs-Uri-Stem": "/a", "C-IP": "1.2.3.4", "ClientIpAddress": "", "": ""} {
		if got, _ := f.Get(name); got != want {
			t.Errorf("Get(%q) = %q, want %q", name, got, want)
		}
	}
	if _, ok := f.Get("RequestId"); ok {
		t.Error("a missing field was found")
	}
	k := &Fields{h: newHeader("date \u212aey"), line: "d v", offs: []int32{0, 1, 2, 3}}
	if got, ok := k.Get("KEY"); !ok || got != "v" {
		t.Errorf("Get(KEY) in a header with a Kelvin sign = %q, %v", got, ok)
	}
}
