package iislog

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence"
)

// benchLog builds about size bytes of busy-server IIS log, one attack line
// per 5000 requests.
func benchLog(size int) []byte {
	var b bytes.Buffer
	b.WriteString("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-03-03 00:00:00\n" +
		"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n")
	stems := []string{"/owa/", "/EWS/Exchange.asmx", "/Microsoft-Server-ActiveSync/default.eas", "/mapi/emsmdb/", "/autodiscover/autodiscover.xml", "/owa/auth/logon.aspx"}
	for i := 0; b.Len() < size; i++ {
		stem := stems[i%len(stems)]
		if i%5000 == 4999 {
			stem = "/ecp/y.js"
		}
		fmt.Fprintf(&b, "2021-03-%02d %02d:%02d:%02d 10.0.0.5 POST %s Cmd=Sync&User=alice&DeviceId=ABC%d&DeviceType=iPhone 443 CONTOSO\\alice 198.51.100.%d Apple-iPhone11C2/1802.67+Mozilla/5.0+(compatible) - 200 0 0 %d\n",
			3+i/200000%5, i/3600%24, i/60%60, i%60, stem, i%97, i%250, i%900)
	}
	return b.Bytes()
}

func BenchmarkParse(b *testing.B) {
	data := benchLog(32 << 20)
	cases := []struct {
		name   string
		filter func([]byte) bool
	}{
		{"all", nil},
		{"prefiltered", func(l []byte) bool { return bytes.Contains(l, []byte("/ecp/y.js")) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				_, err := Parse(b.Context(), bytes.NewReader(data), "bench", Options{Filter: c.filter}, func(*evidence.Record) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
