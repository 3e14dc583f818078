package report_test

import (
	"os"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/report"
)

func ExampleWrite() {
	hosts := []report.Host{{Result: finding.HostResult{Host: "EX01", Verdict: finding.Compromised, Findings: []finding.Finding{{
		Rule: "webshell-china-chopper", Title: "China Chopper web shell", Severity: finding.Critical, Kind: finding.KindFile,
		Time: time.Date(2021, 3, 3, 2, 13, 0, 0, time.UTC), Source: "aspnet_client/discover.aspx", Evidence: `eval(Request["x"])`,
	}}}}}
	if err := report.Write(os.Stdout, report.FormatCSV, hosts, report.Options{}); err != nil {
		panic(err)
	}
	// Output:
	// host,verdict,time,severity,rule,title,outcome,kind,cves,attack,source,line,client_ip,user_agent,url,file_sha256,evidence
	// EX01,compromised,2021-03-03T02:13:00Z,critical,webshell-china-chopper,China Chopper web shell,,file,,,aspnet_client/discover.aspx,,,,,,"eval(Request[""x""])"
}
