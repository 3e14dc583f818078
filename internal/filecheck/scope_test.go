package filecheck

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/exhunt/exhunt/internal/yara"
)

func TestInScope(t *testing.T) {
	c := testChecker(t)
	test := func(p string, want bool) {
		t.Helper()
		if got := c.InScope(p, 10, false); got != want {
			t.Errorf("InScope(%q) = %v, want %v", p, got, want)
		}
		if !c.InScope(p, 10, true) {
			t.Errorf("InScope(%q, all) = false", p)
		}
	}
	test("inetpub/wwwroot/aspnet_client/system_web/x.aspx", true)
	test("EXCH01/C/inetpub/wwwroot/default.htm", true)
	test("D/Exchange/FrontEnd/HttpProxy/owa/auth/x.aspx", true) // non-default install path
	test("C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/ECP/Auth/TimeoutLogoff.aspx", true)
	test("C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/web.config", false)
	test("C/Program Files/Microsoft/Exchange Server/V15/ClientAccess/oab/x.aspx", true)
	test("C/Program Files/Microsoft/Exchange Server/V15/ClientAccess/Owa/bin/x.dll", true)
	test("C/Program Files/Microsoft/Exchange Server/V15/Bin/x.dll", false)
	test("C/Windows/Temp/lsass.dmp", true)
	test("C/Windows/System32/lsass.exe", false)
	test("C/ProgramData/a.7z", true)
	test("C/Users/bob/AppData/Local/Temp/x.ps1", true)
	test("C/Users/bob/Documents/x.ps1", false)
	test("C/Users/Public/x.exe", true)
	test("lsass.dmp", true)
	test("C/lsass.dmp", true)
	test("c$/out.zip", true)
	test("EXCH01/C/root/procdump.exe", true)
	test("EXCH01/C/tools/procdump.exe", false)
	test("a/b/c/d/root/x.exe", false)
}

func TestVars(t *testing.T) {
	got := vars("C/inetpub/wwwroot/aspnet_client/Shell.ASPX")
	want := yara.Vars{Filename: "Shell.ASPX", Filepath: `\C\inetpub\wwwroot\aspnet_client\Shell.ASPX`, Extension: ".aspx"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	if v := vars("README"); v.Extension != "" || v.Filepath != `\README` {
		t.Errorf("no extension: %+v", v)
	}
}

func TestServerLayout(t *testing.T) {
	c := testChecker(t)
	for p, want := range map[string]bool{
		"C/Windows/System32/winevt/Logs/Security.evtx":                              true,
		"EXCH01/C/inetpub/logs/LogFiles/W3SVC1/u_ex210305.log":                      true,
		"D/Exchange/FrontEnd/HttpProxy/owa/auth/x.aspx":                             true,
		"C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/h.LOG": true,
		"c$/ProgramData/x.7z":                               true,
		"tree/Users/bob/AppData/Local/Temp/a.ps1":           true,
		"wwwroot/aspnet_client/system_web/4_0_30319/x.aspx": true,
		"tennc-webshell/aspx/wso.aspx":                      false,
		"samples/windows/shell.aspx":                        false,
		"cases/exchange/owa-logon.aspx":                     false,
		"Program Files.txt":                                 false,
		"collected/Users/bob/Documents/x.aspx":              false,
	} {
		if got := c.ServerLayout(p); got != want {
			t.Errorf("ServerLayout(%q) = %v, want %v", p, got, want)
		}
	}
}
