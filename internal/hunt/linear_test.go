package hunt

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/finding"
)

// The tests below prove the correlation passes linear without timing
// anything: a generator writes evidence (or findings) with n attacks and
// with 2n, and the passes' step counts (hash lookups, comparisons,
// binary-search steps: opCounts) must grow about twice, not four times as
// a pass that compares every request id with every log line would. Each
// also checks that the pass still ties what it must.

// maxGrowth is the largest accepted step ratio for twice the input: 2 for
// a linear pass, a little more for n log n (the binary searches).
const maxGrowth = 2.2

// proxyHeader is an HttpProxy log header, as Exchange writes it.
const proxyHeader = "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2176.002\r\n#Log-type: HttpProxy Logs\r\n#Date: 2021-03-03T00:00:00.000Z\r\n" +
	"#Fields: DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method\r\n"

// genJoin writes a front-end HttpProxy log with n ProxyLogon SSRF requests
// (each its own request id) among 10n ordinary ones, and a back-end log
// where each attack's id comes back once, among 10n ordinary records.
func genJoin(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	base := filepath.Join(dir, "Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy")
	t0 := time.Date(2021, 3, 3, 0, 0, 0, 0, time.UTC)
	var front, back strings.Builder
	front.WriteString(proxyHeader)
	back.WriteString(proxyHeader)
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.000Z")
		for j := range 10 {
			fmt.Fprintf(&front, "%s,%08x-0000-4000-8000-%012x,15,1,2176,2,,Owa,mail.example.com,/owa/service.svc,,Negotiate,true,CORP\\u%d,,Smtp~u%d@example.com,Outlook,10.0.0.%d,EXCH01,200,200,,POST\r\n", at, i, j, j, j, 10+j)
			fmt.Fprintf(&back, "%s,%08x-0000-4000-9000-%012x,15,1,2176,2,,Ews,mail.example.com,/ews/exchange.asmx,,Negotiate,true,CORP\\u%d,,,Outlook,10.0.0.%d,EXCH01,200,200,,POST\r\n", at, i, j, j, 10+j)
		}
		fmt.Fprintf(&front, "%s,%08x-1111-4000-8000-000000000000,15,1,2176,2,,Ecp,mail.example.com,/ecp/y.js,,,false,,,ServerInfo~a]@EXCH01.corp.example:444/ecp/proxyLogon.ecp#~1941962753,ExchangeServicesClient/0.0.0.0,203.0.113.7,EXCH01,241,241,,POST\r\n", at, i)
		fmt.Fprintf(&back, "%s,%08x-1111-4000-8000-000000000000,15,1,2176,2,,Ecp,mail.example.com,/ecp/proxyLogon.ecp,,,true,SYSTEM,,,,127.0.0.1,EXCH01,241,,,POST\r\n", at, i)
	}
	writeFile(t, filepath.Join(base, "Ecp/HttpProxy_2021030300-1.LOG"), front.String())
	writeFile(t, filepath.Join(base, "Owa/HttpProxy_2021030300-1.LOG"), back.String())
	return dir
}

func writeFile(t *testing.T, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// huntOps hunts dir with the test rules and returns the one host's result
// and step counts.
func huntOps(t *testing.T, dir string) (finding.HostResult, opCounts) {
	t.Helper()
	var mu sync.Mutex
	var ops opCounts
	opsHook = func(_ string, o opCounts) { mu.Lock(); ops = o; mu.Unlock() }
	defer func() { opsHook = nil }()
	res, err := Run(context.Background(), []string{dir}, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 {
		t.Fatalf("%d results", len(res))
	}
	return res[0], ops
}

func growth(t *testing.T, pass string, n, a, b int64) {
	t.Helper()
	if a == 0 {
		t.Fatalf("%s: no steps counted for n=%d: the generator does not exercise it", pass, n)
	}
	r := float64(b) / float64(a)
	t.Logf("%s: %d steps for n=%d, %d for 2n: ×%.2f", pass, a, n, b, r)
	if r > maxGrowth {
		t.Errorf("%s: twice the input took ×%.2f the steps (%d → %d), over ×%.1f: not linear", pass, r, a, b, maxGrowth)
	}
}

// TestJoinLinear: the front-end/back-end RequestId join looks every
// record's RequestId up once, whatever the number of wanted ids, and
// still ties each SSRF request to its back-end record.
func TestJoinLinear(t *testing.T) {
	const n = 400
	var steps [2]int64
	for k, size := range []int{n, 2 * n} {
		res, ops := huntOps(t, genJoin(t, size))
		steps[k] = ops.join
		ssrf := byRule(res.Findings)["00000000-0000-4000-8000-000000000001"]
		if len(ssrf) != size {
			t.Fatalf("n=%d: %d SSRF findings", size, len(ssrf))
		}
		for _, f := range ssrf {
			if len(f.Related) != 1 || !strings.Contains(f.Related[0].Note, "UrlStem=/ecp/proxyLogon.ecp") || !strings.Contains(f.Related[0].Source, "Owa/") {
				t.Fatalf("n=%d: %s:%d not joined to its back-end record: %+v", size, f.Source, f.Line, f.Related)
			}
		}
		// One lookup per record of both logs, one per hit: nothing that
		// grows with the number of ids.
		if lines := int64(2 * 11 * size); ops.join > lines+2*int64(size) {
			t.Errorf("n=%d: %d join steps for %d records", size, ops.join, lines)
		}
	}
	growth(t, "join", n, steps[0], steps[1])
}

// TestJoinSkipsDistantLogs: the join reads again only the Exchange logs
// whose records come within joinWindow of a wanted finding. A log half an
// hour after the attacks that repeats their request ids is joined; one a
// day later (the same ids, so only the time keeps it out) is not read.
func TestJoinSkipsDistantLogs(t *testing.T) {
	const n = 5
	dir := genJoin(t, n)
	base := filepath.Join(dir, "Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy")
	var near, far strings.Builder
	near.WriteString(proxyHeader)
	far.WriteString(proxyHeader)
	for i := range n {
		fmt.Fprintf(&near, "2021-03-03T00:30:00.000Z,%08x-1111-4000-8000-000000000000,15,1,2176,2,,Ecp,mail.example.com,/ecp/near.ecp,,,true,SYSTEM,,,,127.0.0.1,EXCH01,200,,,POST\r\n", i)
		fmt.Fprintf(&far, "2021-03-04T12:00:00.000Z,%08x-1111-4000-8000-000000000000,15,1,2176,2,,Ecp,mail.example.com,/ecp/far.ecp,,,true,SYSTEM,,,,127.0.0.1,EXCH01,200,,,POST\r\n", i)
	}
	writeFile(t, filepath.Join(base, "Ecp/HttpProxy_2021030300-2.LOG"), near.String())
	writeFile(t, filepath.Join(base, "Ecp/HttpProxy_2021030412-1.LOG"), far.String())
	res, ops := huntOps(t, dir)
	if ops.joinSkipped != 1 {
		t.Errorf("%d logs skipped by the join, want 1 (the one a day later)", ops.joinSkipped)
	}
	ssrf := byRule(res.Findings)["00000000-0000-4000-8000-000000000001"]
	if len(ssrf) != n {
		t.Fatalf("%d SSRF findings, want %d", len(ssrf), n)
	}
	for _, f := range ssrf {
		var notes []string
		for _, r := range f.Related {
			notes = append(notes, r.Note)
		}
		all := strings.Join(notes, "\n")
		if len(f.Related) != 2 || !strings.Contains(all, "/ecp/proxyLogon.ecp") || !strings.Contains(all, "/ecp/near.ecp") || strings.Contains(all, "/ecp/far.ecp") {
			t.Errorf("%s:%d joined to %q, want its back-end record and the one half an hour later, not the one a day later", f.Source, f.Line, all)
		}
	}
}

// genFiles writes n web shells and an IIS log that requests each of them
// (and 10n ordinary pages).
func genFiles(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	var log strings.Builder
	log.WriteString("#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-03-03 00:00:00\r\n" +
		"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n")
	for i := range n {
		name := fmt.Sprintf("s%06d.aspx", i)
		writeFile(t, filepath.Join(dir, "inetpub/wwwroot/aspnet_client/system_web", name), `<%@ Page Language="Jscript"%><%eval(Request.Item["p"],"unsafe");%>`)
		at := fmt.Sprintf("2021-03-03 %02d:%02d:%02d", i/3600%24, i/60%60, i%60)
		for j := range 10 {
			fmt.Fprintf(&log, "%s 10.0.0.5 GET /owa/service.svc action=GetItem&n=%d 443 CORP\\u%d 10.0.0.%d Outlook - 200 0 0 15\r\n", at, i, j, 10+j)
		}
		fmt.Fprintf(&log, "%s 10.0.0.5 POST /aspnet_client/system_web/%s p=whoami 443 - 203.0.113.7 - - 200 0 0 15\r\n", at, name)
	}
	writeFile(t, filepath.Join(dir, "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"), log.String())
	return dir
}

// TestFileRequestsLinear: the pass over the IIS logs for requests to
// flagged files looks each request's URL up once, whatever the number of
// files, and still ties each web shell to the request that ran it.
func TestFileRequestsLinear(t *testing.T) {
	defer func(n int) { maxPerRule = n }(maxPerRule)
	const n = 300
	var steps [2]int64
	for k, size := range []int{n, 2 * n} {
		res, ops := huntOps(t, genFiles(t, size))
		steps[k] = ops.fileRequests
		files := byRule(res.Findings)["test-file"]
		if len(files) != size {
			t.Fatalf("n=%d: %d web shells flagged", size, len(files))
		}
		for _, f := range files {
			if f.Outcome != finding.Succeeded || len(f.Related) == 0 || !strings.Contains(f.Related[0].Note, "requested: POST /aspnet_client/system_web/"+filepath.Base(f.Source)+"?p=whoami → 200") {
				t.Fatalf("n=%d: %s not tied to its request: %s %+v", size, f.Source, f.Outcome, f.Related)
			}
		}
	}
	growth(t, "file requests", n, steps[0], steps[1])
}

// TestCorrelationPassesLinear drives the passes that tie findings to each
// other (files to the log lines that wrote them, files to the events that
// created them, web-shell requests to the processes they started, dumps
// to the LSASS readers) with n and 2n of each.
func TestCorrelationPassesLinear(t *testing.T) {
	const n = 3000
	t0 := time.Date(2021, 3, 3, 0, 0, 0, 0, time.UTC)
	gen := func(n int) *hostHunt {
		h := &hostHunt{opt: &Options{Workers: 2}, coverage: map[string]*cover{"iis": {last: t0.Add(time.Duration(n) * time.Hour)}}}
		for i := range n {
			at := t0.Add(time.Duration(i) * 10 * time.Minute)
			name := fmt.Sprintf("s%06d.aspx", i)
			path := "inetpub/wwwroot/aspnet_client/" + name
			guid := fmt.Sprintf("{%08x-0000-0000-0000-000000000000}", i)
			h.webFiles = append(h.webFiles, fileFinding{index: len(h.findings), name: name, url: "/aspnet_client/" + name})
			h.findings = append(h.findings,
				finding.Finding{Kind: finding.KindFile, Rule: "file", Source: path, Time: at, Title: "web shell"},
				finding.Finding{Kind: finding.KindLog, Rule: "oab", Source: "oab.log", Line: int64(i + 1), Time: at, Title: "OAB writer",
					Evidence: `Download failed and temporary file 'C:\inetpub\wwwroot\aspnet_client\` + name + `' needs to be removed`},
				finding.Finding{Kind: finding.KindLog, Rule: "req", Source: "u_ex.log", Line: int64(i + 1), Time: at, Attack: []string{"T1505.003"}, Evidence: "POST /aspnet_client/" + name},
				finding.Finding{Kind: finding.KindEvent, Rule: "proc", Source: "Sysmon.evtx", Line: int64(4*i + 1), Time: at.Add(30 * time.Second), Title: "w3wp child",
					Details: map[string]string{"parent_process": `C:\Windows\System32\inetsrv\w3wp.exe`, "process": `C:\Windows\System32\cmd.exe`,
						"command_line": `cmd /c type C:\inetpub\wwwroot\aspnet_client\` + name}},
				finding.Finding{Kind: finding.KindEvent, Rule: "lsass", Source: "Sysmon.evtx", Line: int64(4*i + 2), Time: at.Add(time.Minute),
					Details: map[string]string{"target_process": `C:\Windows\System32\lsass.exe`, "source_guid": guid, "source_process": `C:\Temp\d.exe`}},
				finding.Finding{Kind: finding.KindEvent, Rule: "dump", Source: "Sysmon.evtx", Line: int64(4*i + 3), Time: at.Add(2 * time.Minute),
					Details: map[string]string{"target_filename": fmt.Sprintf(`C:\Temp\%d.dmp`, i), "process_guid": guid, "process": `C:\Temp\d.exe`}},
			)
		}
		return h
	}
	var got [2]opCounts
	for k, size := range []int{n, 2 * n} {
		h := gen(size)
		if err := h.correlateFiles(context.Background()); err != nil {
			t.Fatal(err)
		}
		h.linkProcesses()
		h.anchorFileTimes()
		h.dumpsByLSASSReaders()
		got[k] = h.ops
		written, named, stories, dumps := 0, 0, 0, 0
		for _, f := range h.findings {
			for _, r := range f.Related {
				switch {
				case f.Rule == "file" && strings.HasPrefix(r.Note, "written by: OAB writer"):
					written++
				case f.Rule == "file" && strings.HasPrefix(r.Note, "named in the command line of"):
					named++
				case f.Rule == "proc" && strings.Contains(r.Note, "30s before: web-shell request: POST /aspnet_client/s"):
					stories++
				}
			}
			if f.Rule == ruleDumpByReader {
				dumps++
			}
		}
		if written != size || named != size || stories != size || dumps != size {
			t.Fatalf("n=%d: %d files tied to their writer, %d to their command line, %d processes to their request, %d dumps to their reader; want %d each",
				size, written, named, stories, dumps, size)
		}
	}
	growth(t, "files ↔ writers", n, got[0].writers, got[1].writers)
	growth(t, "files ↔ creating events", n, got[0].creators, got[1].creators)
	growth(t, "process story", n, got[0].story, got[1].story)
	growth(t, "dumps ↔ LSASS readers", n, got[0].dumps, got[1].dumps)
}

// TestDeepTreeNotExamined: evidence deeper than the walk's limit is not
// walked, and the hunt says so in not_examined and in a warning, while
// what lies above it is hunted.
func TestDeepTreeNotExamined(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"), "#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n"+
		"2021-03-03 01:02:03 10.0.0.5 GET /aspnet_client/x.aspx - 443 - 203.0.113.7 - - 200 0 0 15\r\n")
	// A chain of folders past the limit, made one level at a time.
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	for range evidence.DefaultMaxDepth + 2 {
		if err := r.Mkdir("d", 0o755); err != nil {
			t.Fatal(err)
		}
		next, err := r.OpenRoot("d")
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		r = next
	}
	r.Close()
	res, _ := huntOps(t, dir)
	past := strings.TrimSuffix(strings.Repeat("d/", evidence.DefaultMaxDepth+1), "/")
	var listed bool
	for _, u := range res.NotExamined {
		listed = listed || u.Path == past && strings.Contains(u.Reason, "past the walk's limit of 256")
	}
	warned := slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.HasPrefix(w, past+": skipped") })
	if !listed || !warned || len(byRule(res.Findings)["00000000-0000-4000-8000-000000000002"]) != 1 {
		t.Errorf("not examined %+v, warned %v, findings %d", res.NotExamined, warned, len(res.Findings))
	}
}

// countingProgress records what a hunt reports.
type countingProgress struct {
	mu           sync.Mutex
	total, added int64
	starts       int
}

func (c *countingProgress) Start(_ string, total int64) {
	c.mu.Lock()
	c.total, c.starts = total, c.starts+1
	c.mu.Unlock()
}
func (c *countingProgress) Add(n int64) { c.mu.Lock(); c.added += n; c.mu.Unlock() }
func (c *countingProgress) Done()       {}

// TestProgressAddsUp: the bar starts once, after the walk, with the total
// of the jobs, and the bytes counted add up to it: those read while the
// walk was still going on, a log's head read to classify it and an
// Exchange binary's version included.
func TestProgressAddsUp(t *testing.T) {
	for _, dir := range []string{"testdata/server1", genFiles(t, 40), "../../examples/evidence"} {
		opt := testOptions(t)
		p := &countingProgress{}
		opt.Progress = p
		if _, err := Run(context.Background(), []string{dir}, opt); err != nil {
			t.Fatal(err)
		}
		if p.starts != 1 || p.total == 0 || p.added != p.total {
			t.Errorf("%s: %d starts, total %d, added %d", dir, p.starts, p.total, p.added)
		}
	}
}

func TestContainsDir(t *testing.T) {
	for _, l := range []string{"program files/microsoft/exchange server/v15/x", "c/program files/microsoft/exchange server/", "xmicrosoft/exchange server/", "a/xmicrosoft/exchange server/b/microsoft/exchange server/", "microsoft/exchange server", ""} {
		if got, want := containsDir(l, "microsoft/exchange server/"), strings.Contains("/"+l, "/microsoft/exchange server/"); got != want {
			t.Errorf("containsDir(%q) = %v, want %v", l, got, want)
		}
	}
}
