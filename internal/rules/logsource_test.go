package rules

import (
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence"
)

func TestWindowsLogsourceMapping(t *testing.T) {
	procRule := mustParse(t, ruleYAML("category: process_creation\nproduct: windows",
		"sel:\n  ParentImage|endswith: '\\w3wp.exe'\n  Image|endswith: '\\cmd.exe'\ncondition: sel"))
	exRule := mustParse(t, ruleYAML("service: msexchange-management\nproduct: windows",
		"kw:\n  '|all': [New-MailboxExportRequest, ' -Mailbox ']\ncondition: kw"))
	psRule := mustParse(t, ruleYAML("category: ps_script\nproduct: windows",
		"sel: {ScriptBlockText|contains: 'Compress-Archive'}\ncondition: sel"))
	classicRule := mustParse(t, ruleYAML("service: powershell\nproduct: windows",
		"sel: {Data|contains: 'Invoke-Expression'}\ncondition: sel"))
	secLS := evidence.LogSource{Product: "windows", Service: "security"}
	exLS := evidence.LogSource{Product: "windows", Service: "msexchange-management"}
	psLS := evidence.LogSource{Product: "windows", Service: "powershell"}
	classicLS := evidence.LogSource{Product: "windows", Service: "powershell-classic"}
	tests := []struct {
		name string
		rule *Rule
		ls   evidence.LogSource
		f    evidence.FoldMap
		want bool
	}{
		{"sysmon 1", procRule, sysmonLS, evidence.FoldMap{"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": "1",
			"ParentImage": `C:\Windows\System32\inetsrv\w3wp.exe`, "Image": `C:\Windows\System32\cmd.exe`}, true},
		{"sysmon 11 is not process creation", procRule, sysmonLS, evidence.FoldMap{"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": "11",
			"ParentImage": `C:\Windows\System32\inetsrv\w3wp.exe`, "Image": `C:\Windows\System32\cmd.exe`}, false},
		{"security 4688 through aliases", procRule, secLS, evidence.FoldMap{"Channel": "Security", "EventID": "4688",
			"ParentProcessName": `C:\Windows\System32\inetsrv\w3wp.exe`, "NewProcessName": `C:\Windows\System32\cmd.exe`}, true},
		{"security 4688 benign child", procRule, secLS, evidence.FoldMap{"Channel": "Security", "EventID": "4688",
			"ParentProcessName": `C:\Windows\System32\inetsrv\w3wp.exe`, "NewProcessName": `C:\Windows\System32\csc.exe`}, false},
		{"security 4624 is not process creation", procRule, secLS, evidence.FoldMap{"Channel": "Security", "EventID": "4624",
			"ParentProcessName": `C:\Windows\System32\inetsrv\w3wp.exe`, "NewProcessName": `C:\Windows\System32\cmd.exe`}, false},
		{"process creation never on iis", procRule, webLS, evidence.FoldMap{
			"ParentImage": `C:\Windows\System32\inetsrv\w3wp.exe`, "Image": `C:\Windows\System32\cmd.exe`}, false},
		{"field names fold case", procRule, sysmonLS, evidence.FoldMap{"channel": "microsoft-windows-sysmon/operational", "eventid": "1",
			"parentimage": `C:\w3wp.exe`, "image": `C:\cmd.exe`}, true},
		{"exchange management keywords", exRule, exLS, evidence.FoldMap{"Channel": "MSExchange Management", "EventID": "1",
			"Data": "New-MailboxExportRequest -Mailbox admin -FilePath \\\\srv\\c$\\x.aspx"}, true},
		{"exchange management benign cmdlet", exRule, exLS, evidence.FoldMap{"Channel": "MSExchange Management", "EventID": "1",
			"Data": "Get-Mailbox -Identity admin"}, false},
		{"exchange rule not on application log", exRule, evidence.LogSource{Product: "windows", Service: "application"},
			evidence.FoldMap{"Channel": "Application", "Data": "New-MailboxExportRequest -Mailbox x"}, false},
		{"exchange channel mismatch", exRule, exLS, evidence.FoldMap{"Channel": "Application",
			"Data": "New-MailboxExportRequest -Mailbox x"}, false},
		{"ps_script 4104", psRule, psLS, evidence.FoldMap{"Channel": "Microsoft-Windows-PowerShell/Operational", "EventID": "4104",
			"ScriptBlockText": "Compress-Archive -Path x"}, true},
		{"ps_script needs 4104", psRule, psLS, evidence.FoldMap{"Channel": "Microsoft-Windows-PowerShell/Operational", "EventID": "4103",
			"ScriptBlockText": "Compress-Archive -Path x"}, false},
		{"powershell service covers the classic log", classicRule, classicLS, evidence.FoldMap{"Channel": "Windows PowerShell", "EventID": "800",
			"Data": "Invoke-Expression x"}, true},
		{"powershell service not on sysmon", classicRule, sysmonLS, evidence.FoldMap{"Channel": "Windows PowerShell",
			"Data": "Invoke-Expression x"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matches(t, tt.rule, tt.ls, tt.f); got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTextLogsource(t *testing.T) {
	uaRule := mustParse(t, ruleYAML("category: webserver", "sel: {c-useragent|contains: 'python-requests'}\ncondition: sel"))
	refRule := mustParse(t, ruleYAML("category: webserver", "sel: {cs-referer|contains: 'evil'}\ncondition: sel"))
	proxyRule := mustParse(t, ruleYAML("product: exchange\nservice: httpproxy", "sel: {AnchorMailbox|startswith: 'ServerInfo~'}\ncondition: sel"))
	owaRule := mustParse(t, ruleYAML("product: exchange\nservice: httpproxy\ncategory: owa", "sel: {AnchorMailbox|startswith: 'ServerInfo~'}\ncondition: sel"))
	ecpLS := evidence.LogSource{Product: "exchange", Service: "httpproxy", Category: "ecp"}
	tests := []struct {
		name string
		rule *Rule
		ls   evidence.LogSource
		f    evidence.Map
		want bool
	}{
		{"user agent alias", uaRule, webLS, evidence.Map{"cs(User-Agent)": "python-requests/2.25"}, true},
		{"user agent alias benign", uaRule, webLS, evidence.Map{"cs(User-Agent)": "Mozilla/5.0"}, false},
		{"referer alias", refRule, webLS, evidence.Map{"cs(Referer)": "https://evil.example/"}, true},
		{"webserver rule not on exchange logs", uaRule, ecpLS, evidence.Map{"cs(User-Agent)": "python-requests"}, false},
		{"httpproxy rule on ecp", proxyRule, ecpLS, evidence.Map{"AnchorMailbox": "ServerInfo~a]@x/"}, true},
		{"httpproxy rule benign anchor", proxyRule, ecpLS, evidence.Map{"AnchorMailbox": "SMTP:user@x"}, false},
		{"owa rule not on ecp", owaRule, ecpLS, evidence.Map{"AnchorMailbox": "ServerInfo~a]@x/"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matches(t, tt.rule, tt.ls, tt.f); got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSourceTable checks logsource.yml is consistent: every channel a
// service or category names is a known channel.
func TestSourceTable(t *testing.T) {
	tb, err := loadSourceTable()
	if err != nil {
		t.Fatal(err)
	}
	known := func(ch string) bool { _, ok := tb.channelServices[strings.ToLower(ch)]; return ok }
	for svc, chans := range tb.Services {
		for _, ch := range chans {
			if !known(ch) {
				t.Errorf("service %s names unknown channel %q", svc, ch)
			}
		}
	}
	for cat, tgs := range tb.Categories {
		for _, tg := range tgs {
			if !known(tg.Channel) {
				t.Errorf("category %s names unknown channel %q", cat, tg.Channel)
			}
		}
	}
	for _, cat := range []string{"process_creation", "process_access", "file_event", "image_load", "network_connection",
		"registry_set", "dns_query", "ps_script", "ps_module", "create_remote_thread", "pipe_created"} {
		if len(tb.Categories[cat]) == 0 {
			t.Errorf("category %s is not mapped", cat)
		}
	}
}

// A matcher for AnyCategory holds the rules of every category of its
// product and service, so its prefilter never drops a line that a rule
// with a category would match; it holds no rule of another service.
func TestAnyCategory(t *testing.T) {
	owaRule := mustParse(t, ruleYAML("product: exchange\nservice: httpproxy\ncategory: owa", "sel: {AnchorMailbox|startswith: 'ServerInfoOwa~'}\ncondition: sel"))
	ecpRule := mustParse(t, strings.Replace(ruleYAML("product: exchange\nservice: httpproxy\ncategory: ecp", "sel: {UrlStem|contains: 'resetoabvirtualdirectory'}\ncondition: sel"), "11111111-2222", "21111111-2222", 1))
	cmdletRule := mustParse(t, strings.Replace(ruleYAML("product: exchange\nservice: cmdlet", "sel: {Cmdlet: 'New-MailboxExportRequest'}\ncondition: sel"), "11111111-2222", "31111111-2222", 1))
	s, errs := NewSet(owaRule, ecpRule, cmdletRule)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	any := s.ForSource(evidence.LogSource{Product: "exchange", Service: "httpproxy", Category: AnyCategory})
	if any.Len() != 2 {
		t.Errorf("AnyCategory matcher runs %d rules, want the 2 httpproxy ones", any.Len())
	}
	flat := s.ForSource(evidence.LogSource{Product: "exchange", Service: "httpproxy"})
	line := []byte("2021-03-03T00:00:00Z,/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory")
	if !any.Candidate(line) {
		t.Error("AnyCategory prefilter drops a line the ecp rule matches")
	}
	if flat.Len() != 0 {
		t.Errorf("a record without category meets %d category rules", flat.Len())
	}
}
