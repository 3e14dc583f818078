package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/finding"
)

// fleet reads the three-host sample (EX01 compromised with planted XSS
// payloads, EX02 attempted, EX03 clean) and adds a scan of EX01.
func fleet(t *testing.T) []Host {
	t.Helper()
	f, err := os.Open("testdata/fleet.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var hosts []Host
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r finding.HostResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		hosts = append(hosts, Host{Result: r})
	}
	hosts[0].Scan = &Scan{Target: "https://ex01", Build: "15.1.2176.2", Exchange: true,
		Webshells: []string{`/aspnet_client/<svg onload=alert("xss-scan")>.aspx`}}
	return hosts
}

func kb(t *testing.T) *exchange.KB {
	t.Helper()
	k, err := exchange.Default()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func render(t *testing.T, hosts []Host) string {
	t.Helper()
	var b bytes.Buffer
	if err := HTML(&b, hosts, Options{KB: kb(t), Now: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatalf("HTML: %v", err)
	}
	return b.String()
}

// TestHTMLEscapesEvidence plants <script> and "onerror= payloads in URLs,
// user agents, file names, command lines and scan paths, and proves none
// of them reaches the page as markup.
func TestHTMLEscapesEvidence(t *testing.T) {
	out := render(t, fleet(t))
	for _, bad := range []string{
		`<script>alert(`, `<img src=x onerror`, `<svg onload`, `onerror=alert("xss`, `"onerror=alert(1)`,
	} {
		if strings.Contains(out, bad) {
			i := strings.Index(out, bad)
			t.Errorf("payload %q reached the HTML unescaped: ...%s...", bad, out[max(i-80, 0):min(i+80, len(out))])
		}
	}
	for _, escaped := range []string{
		`&lt;script&gt;alert(&#34;xss-url&#34;)&lt;/script&gt;`, // URL in evidence and SVG title
		`&lt;img src=x onerror=alert(&#34;xss-file&#34;)&gt;.aspx`,
		`&lt;svg onload=alert(&#34;xss-scan&#34;)&gt;.aspx`,
		`&lt;img src=x onerror=alert(&#34;xss-ua&#34;)&gt;`,
	} {
		if !strings.Contains(out, escaped) {
			t.Errorf("escaped form %q missing: the payload was dropped instead of shown", escaped)
		}
	}
	// The only tags are ours: no script element at all, no event handler attribute.
	if m := regexp.MustCompile(`(?i)<script|<[a-z][^>]*\son[a-z]+\s*=`).FindString(out); m != "" {
		t.Errorf("found %q in the report", m)
	}
}

// TestHTMLSelfContained: nothing is fetched, so the file works offline.
func TestHTMLSelfContained(t *testing.T) {
	out := render(t, fleet(t))
	if strings.Contains(out, "<nav>") {
		t.Error("a report file has no dashboard navigation")
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:)?//|@import|url\(`).FindString(out); m != "" {
		t.Errorf("report references an external asset: %q", m)
	}
	for _, want := range []string{"<style>", "@media print", "default-src 'none'", `<svg class="timeline"`} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestHTMLContent(t *testing.T) {
	out := render(t, fleet(t))
	section := func(host string) string {
		t.Helper()
		i := strings.Index(out, "<h2>"+host+"</h2>")
		if i < 0 {
			t.Fatalf("no section for %s", host)
		}
		rest := out[i+4:]
		if j := strings.Index(rest, `<section class="host"`); j >= 0 {
			rest = rest[:j]
		}
		return rest
	}
	test := func(host string, want ...string) {
		t.Helper()
		s := section(host)
		for _, w := range want {
			if !strings.Contains(s, w) {
				t.Errorf("%s section lacks %q", host, w)
			}
		}
	}
	test("EX01",
		`<div class="banner verdict-compromised"><strong>compromised</strong>`,
		"<strong>exposed</strong>", "build 15.1.2176.2 (Exchange Server 2016 CU19, from network scan)",
		"<code>CVE-2021-26855</code> ProxyLogon", "exploited in the wild",
		// Remediation plan, in urgency order.
		`<span class="urgency now">now</span> <b>Contain EX01</b>`,
		"<b>Remove the web shells</b>", "(sha256 b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0)",
		"<b>Remove memory dumps and staged archives</b>", `C:\windows\temp\lsass.dmp`,
		`<span class="urgency today">today</span> <b>Install Exchange Server 2016 CU23, then its newest security update`,
		"until then, the newest update of the CU19 line: May21SU (15.1.2176.14)",
		"<b>Mitigate until the update is installed</b>", "EOMT.ps1",
		"<b>Reset the credentials LSASS held</b>", `CORP\exadmin (seen in the findings)`,
		"<b>Rebuild the server</b>",
		"<b>Close the gaps in log coverage</b>", "iis: no records from 2021-02-10 to 2021-02-12", "log cleared (event 1102)",
		// Findings with file:line evidence, coverage, evidence hashes.
		"<code>W3SVC1/u_ex210303.log:1042</code>", "<code>ECP/Server/ECPServer2021030301-1.LOG:77</code>",
		`<div class="gap">no records 2021-02-10 – 2021-02-12</div>`,
		strings.Repeat("aa", 32),
		// The chart has one lane per evidence family and one point per timed finding.
		`dy="4">IIS / Exchange logs</text>`, `dy="4">Files</text>`, `dy="4">Event logs</text>`,
	)
	test("EX02", `verdict-exploitation-attempted`, "build 15.2.858.5", "<b>Install", "ProxyNotShell: URL Rewrite rule")
	test("EX03", `verdict-no-evidence`, "No findings.", "No timed finding to draw.")
	plan := section("EX01")
	order := []string{"Contain EX01", "Remove the web shells", "Install", "Reset the credentials", "Rebuild the server", "Close the gaps"}
	last := -1
	for _, o := range order {
		i := strings.Index(plan, "<b>"+o)
		if i < last {
			t.Errorf("plan step %q out of urgency order", o)
		}
		last = i
	}
	if n := strings.Count(section("EX01"), "<circle "); n != 5 {
		t.Errorf("EX01 chart has %d points, want 5", n)
	}
	if !strings.Contains(out, `<section id="fleet">`) || !strings.Contains(out, `<a href="#host-1">EX01</a>`) {
		t.Error("fleet overview missing for a three-host report")
	}
}

func TestHTMLSingleHostNoFleet(t *testing.T) {
	out := render(t, fleet(t)[2:])
	if strings.Contains(out, `id="fleet"`) || !strings.Contains(out, "<title>exhunt report: EX03</title>") {
		t.Error("single-host report should have no fleet section and a host title")
	}
	if strings.Contains(out, "<b>Install") {
		t.Error("EX03 runs a patched Exchange SE build: no install step expected")
	}
}

func TestTimelineSVG(t *testing.T) {
	svg, err := TimelineSVG(fleet(t))
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	if strings.Count(s, "<circle ") != 6 || !strings.Contains(s, `dy="4">EX01</text>`) || !strings.Contains(s, `dy="4">EX02</text>`) {
		t.Errorf("fleet timeline: want 6 points in lanes EX01 and EX02:\n%s", s)
	}
	if strings.Contains(s, "EX03</text>") {
		t.Error("EX03 has no finding and should have no lane")
	}
	if strings.Contains(s, "<script") || strings.Contains(s, "<img") {
		t.Error("timeline titles not escaped")
	}
}
