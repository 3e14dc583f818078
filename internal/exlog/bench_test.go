package exlog

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence"
)

// benchLog builds about size bytes of HttpProxy log from the 74-column
// Exchange 2016 header of testdata, one ServerInfo~ SSRF line per 5000.
func benchLog(b *testing.B, size int) []byte {
	b.Helper()
	sample, err := os.ReadFile("testdata/HttpProxy/Ecp/HttpProxy_2021030302-1.LOG")
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	for _, l := range strings.SplitAfter(string(sample), "\n") {
		if strings.HasPrefix(l, "#") {
			buf.WriteString(l)
		}
	}
	pad := strings.Repeat(",0", 48)
	for i := 0; buf.Len() < size; i++ {
		anchor := fmt.Sprintf("Smtp~user%d@contoso.com", i%500)
		if i%5000 == 4999 {
			anchor = "ServerInfo~a]@exch01.contoso.local:444/ecp/proxyLogon.ecp#"
		}
		fmt.Fprintf(&buf, "2021-03-03T%02d:%02d:%02d.%03dZ,%08x-0c1a-4d32-9a51-0a2f0d1e3b41,15,1,2176,2,,Owa,mail.contoso.com,/owa/service.svc,,Negotiate,True,CONTOSO\\user%d,,%s,\"Mozilla/5.0 (Windows NT 10.0; Win64; x64), like Gecko\",10.0.0.%d,EXCH01,200,200,,POST,Proxy,exch01.contoso.local,Version 15.1 (Build 2176.2)%s\r\n",
			i/3600%24, i/60%60, i%60, i%1000, i, i%500, anchor, i%250, pad)
	}
	return buf.Bytes()
}

func BenchmarkParse(b *testing.B) {
	data := benchLog(b, 32<<20)
	if st, _ := Parse(b.Context(), bytes.NewReader(data), "x", Options{}, func(*evidence.Record) error { return nil }); st.Malformed != 0 || st.Records == 0 {
		b.Fatalf("bench data does not parse: %+v", st)
	}
	for _, c := range []struct {
		name   string
		filter func([]byte) bool
	}{
		{"all", nil},
		{"prefiltered", func(l []byte) bool { return bytes.Contains(l, []byte("ServerInfo~")) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(b.Context(), bytes.NewReader(data), "bench", Options{Filter: c.filter}, func(*evidence.Record) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
