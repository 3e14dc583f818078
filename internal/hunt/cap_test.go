package hunt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/schema"
)

// TestCapKeepsTheSuccessfulRequest: a flood of refused web-shell requests
// from 120 addresses, then, last of all (past the cap in time order), one
// that succeeded from its own address. The succeeded finding is kept, its
// address heads the capped rule's per-client counts, and the text and JSON
// reports say how many matches were dropped.
func TestCapKeepsTheSuccessfulRequest(t *testing.T) {
	defer func(n int) { maxPerRule = n }(maxPerRule)
	maxPerRule = 50
	const flood, ips, urls = 2400, 120, 1500
	dir := t.TempDir()
	var log strings.Builder
	log.WriteString("#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-03-03 00:00:00\r\n" +
		"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n")
	for i := range flood {
		fmt.Fprintf(&log, "2021-03-03 %02d:%02d:%02d 10.0.0.5 GET /aspnet_client/scan%d.aspx - 443 - 198.51.%d.%d Scanner - 404 0 2 15\r\n",
			i/3600%24, i/60%60, i%60, i%urls, i%ips/250, 1+i%ips%250)
	}
	log.WriteString("2021-03-03 23:59:59 10.0.0.5 POST /aspnet_client/shell.aspx p=whoami 443 - 203.0.113.99 - - 200 0 0 15\r\n")
	writeFile(t, filepath.Join(dir, "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"), log.String())

	for _, workers := range []int{1, 4} {
		opt := testOptions(t)
		opt.Workers = workers
		res, err := Run(context.Background(), []string{dir}, opt)
		if err != nil {
			t.Fatal(err)
		}
		r := res[0]
		const rule = "00000000-0000-4000-8000-000000000002"
		kept := byRule(r.Findings)[rule]
		if len(kept) != maxPerRule {
			t.Fatalf("%d findings of the flooded rule kept, want %d", len(kept), maxPerRule)
		}
		var won *finding.Finding
		for i := range kept {
			if kept[i].Outcome == finding.Succeeded {
				won = &kept[i]
			}
		}
		if won == nil || won.Details["client_ip"] != "203.0.113.99" || won.Details["url"] != "/aspnet_client/shell.aspx" {
			t.Fatalf("the succeeded request was not kept: %+v", won)
		}
		if r.Verdict != finding.Compromised {
			t.Errorf("verdict %s, want compromised", r.Verdict)
		}
		if len(r.Capped) != 1 {
			t.Fatalf("capped: %+v", r.Capped)
		}
		c := r.Capped[0]
		if c.Rule != rule || c.Matched != flood+1 || c.Kept != maxPerRule || c.Dropped != flood+1-maxPerRule ||
			c.Outcomes != (finding.OutcomeCounts{Succeeded: 1, Attempted: flood}) {
			t.Errorf("capped counts: %+v", c)
		}
		if c.ClientIPsDistinct != ips+1 || len(c.ClientIPs) != ips+1 || c.URLsDistinct != urls+1 || len(c.URLs) != maxCapListed {
			t.Errorf("distinct: %d client IPs (%d listed), %d URLs", c.ClientIPsDistinct, len(c.ClientIPs), c.URLsDistinct)
		}
		if top := c.ClientIPs[0]; top.Value != "203.0.113.99" || top.Succeeded != 1 || top.Matched != 1 || top.Kept != 1 {
			t.Errorf("the succeeded address must head the client counts: %+v", top)
		}
		if next := c.ClientIPs[1]; next.Matched != flood/ips || next.Attempted != flood/ips || next.Succeeded != 0 {
			t.Errorf("a scanner's counts: %+v", next)
		}
		if u := c.URLs[0]; u.Value != "/aspnet_client/shell.aspx" || u.Succeeded != 1 {
			t.Errorf("the succeeded URL must head the URL counts: %+v", u)
		}
		if !strings.Contains(c.Note, fmt.Sprintf("%d of %d URLs listed", maxCapListed, urls+1)) {
			t.Errorf("note: %q", c.Note)
		}

		var text bytes.Buffer
		WriteText(&text, res, nil)
		for _, want := range []string{"Capped rules (1)", fmt.Sprintf("matched %d, kept %d, dropped %d; succeeded 1, attempted %d", flood+1, maxPerRule, flood+1-maxPerRule, flood),
			"203.0.113.99 ×1 (1 SUCCEEDED, 0 attempted; 1 kept)", "/aspnet_client/shell.aspx"} {
			if !strings.Contains(text.String(), want) {
				t.Errorf("text report lacks %q:\n%s", want, text.String())
			}
		}
		doc, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		sch, err := schema.HuntV1()
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.ValidateJSON(doc); err != nil {
			t.Errorf("result does not fit the schema: %v", err)
		}
	}
}
