package rules

import (
	"fmt"
	"testing"

	"github.com/cloudflare/ahocorasick"
	"github.com/exhunt/exhunt/internal/evidence"
)

// benchLines returns n realistic Exchange IIS W3C lines: ActiveSync and
// Outlook clients, OWA in browsers, EWS, MAPI, health probes.
func benchLines(n int) [][]byte {
	templates := []string{
		"2021-03-02 %02d:%02d:%02d 10.0.0.10 POST /Microsoft-Server-ActiveSync/default.eas Cmd=Sync&User=jdoe&DeviceId=ABC%d&DeviceType=iPhone 443 CORP\\jdoe 192.168.%d.20 Apple-iPhone12C1/1805.114 - 200 0 0 %d",
		"2021-03-02 %02d:%02d:%02d 10.0.0.10 POST /mapi/emsmdb/ mailboxId=8c7a%d@corp.example&CorrelationID=<empty>;&cafeReqId=1b2c; 443 CORP\\asmith 192.168.%d.21 Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.5122;+Pro) - 200 0 0 %d",
		"2021-03-02 %02d:%02d:%02d 10.0.0.10 GET /owa/ &ClientId=9F1A%d&CorrelationID=<empty>;&cafeReqId=77; 443 CORP\\bjones 192.168.%d.22 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/88.0.4324.190+Safari/537.36 https://mail.corp.example/owa/ 200 0 0 %d",
		"2021-03-02 %02d:%02d:%02d 10.0.0.10 POST /EWS/Exchange.asmx &CorrelationID=<empty>;&cafeReqId=4e%d; 443 CORP\\svc-crm 192.168.%d.23 ExchangeServicesClient/15.00.0913.015 - 200 0 0 %d",
		"2021-03-02 %02d:%02d:%02d 127.0.0.1 GET /owa/healthcheck.htm &CorrelationID=<empty>;&cafeReqId=aa%d; 443 - 127.0.%d.1 AMProbe/Local/ClientAccess - 200 0 0 %d",
		"2021-03-02 %02d:%02d:%02d 10.0.0.10 POST /autodiscover/autodiscover.xml &CorrelationID=<empty>;&cafeReqId=c%d; 443 CORP\\jdoe 192.168.%d.24 Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.5122;+Pro) - 200 0 0 %d",
	}
	out := make([][]byte, n)
	for i := range out {
		t := templates[i%len(templates)]
		out[i] = []byte(fmt.Sprintf(t, i/3600%24, i/60%60, i%60, i, i%250, i%900))
	}
	return out
}

func BenchmarkCandidate(b *testing.B) {
	m := testdataMatcher(b)
	lines := benchLines(10000)
	var size int64
	cand := 0
	for _, l := range lines {
		size += int64(len(l)) + 1
		if m.Candidate(l) {
			cand++
		}
	}
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		for _, l := range lines {
			m.Candidate(l)
		}
	}
	b.ReportMetric(float64(cand)/float64(len(lines))*100, "%candidates")
}

// BenchmarkCandidateNoHit is the scan speed on lines no rule can match
// (the common case once the rule pack is tuned).
func BenchmarkCandidateNoHit(b *testing.B) {
	m := testdataMatcher(b)
	var lines [][]byte
	for _, l := range benchLines(10000) {
		if !m.Candidate(l) {
			lines = append(lines, l)
		}
	}
	var size int64
	for _, l := range lines {
		size += int64(len(l)) + 1
	}
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		for _, l := range lines {
			m.Candidate(l)
		}
	}
}

// BenchmarkAhoCorasickBaseline is the alternative the brief suggested:
// cloudflare/ahocorasick on a lower-cased copy of each line.
func BenchmarkAhoCorasickBaseline(b *testing.B) {
	m := testdataMatcher(b)
	var atoms []string
	for i := range m.entries {
		d := m.entries[i].rule.det
		atoms = append(atoms, condAtoms(d, d.cond).atoms...)
	}
	ac := ahocorasick.NewStringMatcher(atoms)
	lines := benchLines(10000)
	var size int64
	for _, l := range lines {
		size += int64(len(l)) + 1
	}
	buf := make([]byte, 0, 4096)
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		for _, l := range lines {
			buf = buf[:0]
			for _, c := range l {
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				buf = append(buf, c)
			}
			ac.Contains(buf)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	m := testdataMatcher(b)
	lines := benchLines(10000)
	recs := make([]evidence.Record, len(lines))
	var size int64
	for i, l := range lines {
		size += int64(len(l)) + 1
		recs[i] = evidence.Record{Log: webLS, Fields: parseW3C(string(l))}
	}
	hits := 0
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		for i := range recs {
			m.Match(&recs[i], func(*Rule) { hits++ })
		}
	}
}

// BenchmarkCandidateBuiltin runs the embedded pack's webserver prefilter.
func BenchmarkCandidateBuiltin(b *testing.B) {
	s, _ := Builtin()
	m := s.ForSource(webLS)
	lines := benchLines(10000)
	var size int64
	cand := 0
	for _, l := range lines {
		size += int64(len(l)) + 1
		if m.Candidate(l) {
			cand++
		}
	}
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		for _, l := range lines {
			m.Candidate(l)
		}
	}
	b.ReportMetric(float64(cand)/float64(len(lines))*100, "%candidates")
}

// BenchmarkSelect is the second scan of a candidate line: which rules may
// match it.
func BenchmarkSelect(b *testing.B) {
	set, _ := Builtin()
	m := set.ForSource(webLS)
	lines := benchLines(10000)
	var size int64
	for _, l := range lines {
		size += int64(len(l)) + 1
	}
	var sel Selection
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		for _, l := range lines {
			m.Select(l, &sel)
		}
	}
}

// BenchmarkCandidateProxy is the prefilter on HttpProxy lines (about 500
// bytes) no rule matches.
func BenchmarkCandidateProxy(b *testing.B) {
	set, _ := Builtin()
	m := set.ForSource(evidence.LogSource{Product: "exchange", Service: "httpproxy", Category: AnyCategory})
	line := []byte("2021-03-01T00:00:01.123Z,0f6a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b,15,1,2176,2,,Owa,mail.contoso.com,/owa/service.svc,,Negotiate,True,CONTOSO\\alice,,Smtp~alice@contoso.com,\"Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)\",10.0.0.42,EXCH01,200,200,,POST,Proxy,exch01.contoso.local,Version 15.1 (Build 2176.2),Local,Smtp-UrlParameter,,,,1234,56789,1,,0,0,,0,,0,,0,0,,0,0,0,0,0,0,123,0,0,0,0,0,0,0,0,0,0,0,321,0,,,\"S:ServiceCommonMetadata.HttpMethod=POST\",,,,,,")
	if m.Candidate(line) {
		b.Fatal("the benign line is a candidate")
	}
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		m.Candidate(line)
	}
}
