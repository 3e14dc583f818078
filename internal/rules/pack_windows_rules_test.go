package rules_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/exhunt/exhunt/internal/eventlog"
	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/rules"
)

// Rule ids of the built-in Windows pack (pack/windows/*.yml).
const (
	pwUM26857      = "1713d32e-a948-4937-96c3-e0d2eab53a16"
	pwWorkerChild  = "5674f778-6ef5-4263-aba9-399e73537825"
	pwDumpCLI      = "fd6b9790-6563-4eec-b10c-be379e1aa36c"
	pwLsassAccess  = "e0704421-ba48-40f0-8ea3-df3dc1c6953b"
	pwLsassDmpFile = "9a3e1b29-e7cb-441e-92a4-521550988cb7"
	pwVdirScript   = "413c2b0a-5186-48ec-909c-1a79556fdefd"
	pwExportWeb    = "06bede81-b643-4223-a421-3750bcbf98ff"
	pwRoleImpExp   = "4ceaa45e-890e-400d-9501-089d32be2189"
	pwFullAccess   = "8ccc002d-04f1-47a6-8073-50984eb75740"
	pwDefender     = "18186e34-ded9-4a2f-a62d-8ddcf60ab185"
	pwSecCleared   = "beea065c-58fd-435f-8db4-3b9caeab5615"
	pwSysCleared   = "9833a3b6-da0b-49cf-8816-0aaaf391893e"
	pwTunnel       = "e723a9a0-fef0-4360-bd69-d89a083059cb"
	pwSecLsass     = "0667cc0f-4f08-43e5-b0a9-b481e8c0678e"
	pwPSMiniDump   = "0d001757-107d-48b9-bc59-0fd52a148a08"
	pwExplicitCred = "7baef714-5acf-4df3-8823-6a32edf792a1"
	pwDumpTool     = "1543f544-54d4-4066-b1b1-77c0a4f644bb"
	pwDumpFile     = "1f8850f4-b004-4958-b529-1cd73ced21e4"
)

const (
	pwSysmon   = "Microsoft-Windows-Sysmon/Operational"
	pwExchange = "MSExchange Management"
	pwDefendCh = "Microsoft-Windows-Windows Defender/Operational"
)

// pwBuiltin loads the embedded pack and fails on any load error in
// pack/windows.
func pwBuiltin(t *testing.T) *rules.Set {
	t.Helper()
	set, errs := rules.Builtin()
	for _, e := range errs {
		if strings.Contains(e.Path, "pack/windows") {
			t.Errorf("load error: %v", e)
		}
	}
	return set
}

// pwRecord builds an event-log record the way eventlog.Read does.
func pwRecord(channel, eventID string, kv ...string) *evidence.Record {
	f := evidence.FoldMap{"Channel": channel, "EventID": eventID}
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i]] = kv[i+1]
	}
	return &evidence.Record{
		Source: "Windows/System32/winevt/Logs/x.evtx",
		Log:    evidence.LogSource{Product: "windows", Service: eventlog.Service(channel)},
		Fields: f,
	}
}

// pwFired returns the ids of the pack/windows rules that match rec.
func pwFired(set *rules.Set, rec *evidence.Record) []string {
	var ids []string
	set.ForSource(rec.Log).Match(rec, func(r *rules.Rule) {
		if strings.Contains(r.Path, "pack/windows/") {
			ids = append(ids, r.ID)
		}
	})
	slices.Sort(ids)
	return ids
}

func TestPackWindowsMetadata(t *testing.T) {
	set := pwBuiltin(t)
	n := 0
	for _, r := range set.Rules() {
		if !strings.Contains(r.Path, "pack/windows/") {
			continue
		}
		n++
		if r.Author != "exhunt" || r.Date == "" || r.Description == "" || len(r.References) == 0 ||
			len(r.FalsePositives) == 0 || len(r.Attack()) == 0 || r.Status == "" {
			t.Errorf("%s (%s): incomplete metadata", r.Path, r.ID)
		}
		for _, ref := range r.References {
			if !strings.HasPrefix(ref, "https://") {
				t.Errorf("%s: reference %q is not https", r.Path, ref)
			}
		}
	}
	if n != 18 {
		t.Errorf("pack/windows has %d rules, want 18", n)
	}
}

func TestPackWindowsRules(t *testing.T) {
	set := pwBuiltin(t)
	test := func(name string, rec *evidence.Record, want ...string) {
		t.Helper()
		got := pwFired(set, rec)
		slices.Sort(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}

	// CVE-2021-26857, the Test-ProxyLogon.ps1 Application log check.
	um := func(level, data string) *evidence.Record {
		return pwRecord("Application", "1", "Provider_Name", "MSExchange Unified Messaging", "Level", level, "Data", data)
	}
	test("UM InvalidCastException", um("2", "An unhandled exception occurred in a UM worker process: System.InvalidCastException: Unable to cast object of type"), pwUM26857)
	test("UM other error", um("2", "System.IO.IOException: The network path was not found"))
	test("UM cast warning", um("3", "System.InvalidCastException: Unable to cast object"))
	test("other provider cast error", pwRecord("Application", "1", "Provider_Name", "ASP.NET 4.0.30319.0", "Level", "2", "Data", "System.InvalidCastException"))

	// Exchange / IIS worker spawning shells (Sysmon 1 and Security 4688).
	sysmon1 := func(parent, image, cmd string) *evidence.Record {
		return pwRecord(pwSysmon, "1", "ParentImage", parent, "Image", image, "CommandLine", cmd)
	}
	w3wp := `C:\Windows\System32\inetsrv\w3wp.exe`
	test("w3wp cmd", sysmon1(w3wp, `C:\Windows\System32\cmd.exe`, `cmd /c cd /d "C:\inetpub\wwwroot\aspnet_client"&whoami&echo [S]&cd&echo [E]`), pwWorkerChild)
	test("w3wp csc compile", sysmon1(w3wp, `C:\Windows\Microsoft.NET\Framework64\v4.0.30319\csc.exe`, `csc.exe /noconfig /fullpaths @"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\owa\x.cmdline"`))
	test("w3wp notepad (meterpreter migrate)", sysmon1(w3wp, `C:\Windows\System32\notepad.exe`, "notepad.exe"), pwWorkerChild)
	test("explorer cmd", sysmon1(`C:\Windows\explorer.exe`, `C:\Windows\System32\cmd.exe`, "cmd.exe"))
	um4688 := func(child string) *evidence.Record {
		return pwRecord("Security", "4688", "ParentProcessName", `C:\Program Files\Microsoft\Exchange Server\V15\Bin\UMWorkerProcess.exe`, "NewProcessName", child)
	}
	test("UMWorkerProcess powershell (4688)", um4688(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`), pwWorkerChild)
	test("UMWorkerProcess WerFault (4688)", um4688(`C:\Windows\System32\WerFault.exe`))
	test("renamed whoami", pwRecord(pwSysmon, "1", "ParentImage", `D:\Exchange\bin\UMService.exe`, "Image", `C:\ProgramData\svc.exe`, "OriginalFileName", "whoami.exe"), pwWorkerChild)

	// Memory dumps from the command line.
	rundll := `C:\Windows\System32\rundll32.exe`
	test("comsvcs MiniDump lsass", sysmon1(`C:\Windows\System32\cmd.exe`, rundll, `rundll32.exe C:\windows\System32\comsvcs.dll, MiniDump 624 C:\ProgramData\lsass.dmp full`), pwDumpCLI)
	test("comsvcs ordinal 24", sysmon1(`C:\Windows\System32\cmd.exe`, rundll, `rundll32 comsvcs.dll #24 624 C:\t\a.bin full`), pwDumpCLI)
	test("rundll32 control panel", sysmon1(`C:\Windows\explorer.exe`, rundll, `rundll32.exe shell32.dll,Control_RunDLL desk.cpl`))
	procdump := `C:\Tools\procdump64.exe`
	test("procdump lsass", sysmon1(`C:\Windows\System32\cmd.exe`, procdump, `procdump64.exe -accepteula -ma lsass.exe C:\t\l.dmp`), pwDumpCLI)
	test("procdump lsass windash", sysmon1(`C:\Windows\System32\cmd.exe`, procdump, `procdump64.exe /ma lsass.exe C:\t\l.dmp`), pwDumpCLI)
	test("procdump w3wp for support", sysmon1(`C:\Windows\System32\cmd.exe`, procdump, `procdump64.exe -accepteula -ma w3wp.exe C:\support\w3wp.dmp`))
	rdr := `C:\Windows\System32\rdrleakdiag.exe`
	test("rdrleakdiag fullmemdmp", sysmon1(`C:\Windows\System32\cmd.exe`, rdr, `rdrleakdiag.exe /p 668 /o C:\Users\x\Desktop /fullmemdmp /snap`), pwDumpCLI)
	test("rdrleakdiag without dump", sysmon1(`C:\Windows\System32\svchost.exe`, rdr, `rdrleakdiag.exe /p 668 /o C:\Windows\Temp`))

	// LSASS handle with read access (Sysmon 10).
	access := func(source, mask string) *evidence.Record {
		return pwRecord(pwSysmon, "10", "SourceImage", source, "TargetImage", `C:\Windows\system32\lsass.exe`, "GrantedAccess", mask)
	}
	test("w3wp reads lsass", access(w3wp, "0x1010"), pwLsassAccess)
	test("rundll32 full access", access(rundll, "0x1fffff"), pwLsassAccess)
	test("w3wp query-limited only", access(w3wp, "0x1000"))
	test("Defender full access", access(`C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.2101.9-0\MsMpEng.exe`, "0x1fffff"))
	test("mimikatz from a desktop", access(`C:\Users\IEUser\Desktop\m\mimikatz.exe`, "0x1010"), pwLsassAccess)
	test("installed agent", access(`C:\Program Files\Vendor\agent.exe`, "0x1fffff"))

	// LSASS handles in the Security log (4656/4663).
	handle := func(id, process, access string) *evidence.Record {
		return pwRecord("Security", id, "ObjectName", `\Device\HarddiskVolume1\Windows\System32\lsass.exe`, "ProcessName", process, "AccessList", access)
	}
	test("cscript reads lsass memory", handle("4663", `C:\Windows\System32\cscript.exe`, "%%4484\r\n\t\t\t\t"), pwSecLsass)
	test("taskmgr handle request", handle("4656", `C:\Windows\System32\Taskmgr.exe`, "%%1537 %%4484 %%4485"), pwSecLsass)
	test("Defender reads lsass memory", handle("4663", `C:\ProgramData\Microsoft\Windows Defender\Platform\4.18\MsMpEng.exe`, "%%4484"))
	test("query-only handle", handle("4656", `C:\Windows\System32\cscript.exe`, "%%4490"))

	// PowerShell script blocks (4104).
	block := func(text string) *evidence.Record {
		return pwRecord("Microsoft-Windows-PowerShell/Operational", "4104", "ScriptBlockText", text)
	}
	test("Out-Minidump", block("$MiniDumpWriteDump = $WERNativeMethods.GetMethod('MiniDumpWriteDump', $Flags)"), pwPSMiniDump)
	test("comsvcs from PowerShell", block(`C:\Windows\System32\rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump (Get-Process lsass).Id \Windows\Temp\x.dmp full`), pwPSMiniDump)
	test("lsass lookup only", block("Get-Process lsass | Select-Object Id, StartTime"))

	// LSASS dump files (Sysmon 11).
	file := func(name string) *evidence.Record {
		return pwRecord(pwSysmon, "11", "Image", `C:\Windows\system32\taskmgr.exe`, "TargetFilename", name)
	}
	test("task manager lsass dump", file(`C:\Users\adm\AppData\Local\Temp\lsass (2).DMP`), pwLsassDmpFile, pwDumpFile)
	test("procdump lsass dump", file(`C:\t\lsass.exe_190317_120941.dmp`), pwLsassDmpFile, pwDumpFile)
	// Any other dump is only noted (informational): the hunt decides
	// whether its writer had opened LSASS.
	test("w3wp support dump", file(`C:\Windows\Temp\w3wp.exe_211010_101010.dmp`), pwDumpFile)
	test("dumpert dump", file(`C:\Windows\Temp\dumpert.dmp`), pwDumpFile)
	test("lsass named log", file(`C:\Windows\Temp\lsass-trace.log`))
	test("WER crash dump", pwRecord(pwSysmon, "11", "Image", `C:\Windows\System32\WerFault.exe`, "TargetFilename", `C:\ProgramData\Microsoft\Windows\WER\Temp\x.dmp`))
	test("kernel minidump", file(`C:\Windows\Minidump\120526-1.dmp`))

	// Dump tools written to disk (Sysmon 11).
	test("procdump dropped", file(`C:\Users\adm\Downloads\Procdump\procdump64.exe`), pwDumpTool)
	test("dumpert dropped", file(`C:\Users\administrator\Desktop\x64\Outflank-Dumpert.exe`), pwDumpTool)
	test("procdump EULA text", file(`C:\Users\adm\Downloads\Procdump\Eula.txt`))
	test("procdump-like name", file(`C:\Tools\procdump64.exe.config`))

	// Explicit-credential logons (4648).
	logon := func(process string) *evidence.Record {
		return pwRecord("Security", "4648", "ProcessName", process, "TargetUserName", "IEUser", "SubjectUserName", "svc01")
	}
	test("w3wp logs on as another user", logon(w3wp), pwExplicitCred)
	test("UMWorkerProcess explicit logon", logon(`D:\Exchange\bin\UMWorkerProcess.exe`), pwExplicitCred)
	test("consent.exe explicit logon", logon(`C:\Windows\System32\consent.exe`))
	test("w3wp successful logon 4624", pwRecord("Security", "4624", "ProcessName", w3wp, "TargetUserName", "IEUser"))

	// MSExchange Management cmdlet events: classic events, one Data field.
	cmdlet := func(data string) *evidence.Record {
		return pwRecord(pwExchange, "1", "Provider_Name", "MSExchange CmdletLogs", "Data", data)
	}
	test("OAB ExternalUrl script", cmdlet("Set-OabVirtualDirectory\n-ExternalUrl 'http://f/<script language=\"JScript\" runat=\"server\">function Page_Load(){eval(Request[\"klk123456\"],\"unsafe\");}</script>' -Identity 'OAB (Default Web Site)'"), pwVdirScript)
	test("OAB ExternalUrl normal", cmdlet("Set-OabVirtualDirectory\n-ExternalUrl 'https://mail.contoso.com/OAB' -Identity 'EX01\\OAB (Default Web Site)'"))
	test("export to web folder", cmdlet(`New-MailboxExportRequest`+"\n"+`-Mailbox "admin@contoso.com" -FilePath "\\127.0.0.1\c$\inetpub\wwwroot\aspnet_client\x.aspx"`), pwExportWeb)
	test("export to pst share", cmdlet(`New-MailboxExportRequest`+"\n"+`-Mailbox "jdoe@contoso.com" -FilePath "\\fileserver\pst\jdoe.pst"`))
	test("role import export", cmdlet(`New-ManagementRoleAssignment`+"\n"+`-Role "Mailbox Import Export" -User "svc_exch"`), pwRoleImpExp)
	test("role mail recipients", cmdlet(`New-ManagementRoleAssignment`+"\n"+`-Role "Mail Recipients" -User "helpdesk"`))
	test("mailbox full access", cmdlet(`Add-MailboxPermission`+"\n"+`-Identity "ceo" -User "svc" -AccessRights FullAccess`), pwFullAccess)
	test("mailbox read permission", cmdlet(`Add-MailboxPermission`+"\n"+`-Identity "ceo" -User "assistant" -AccessRights ReadPermission`))

	// Defender detections.
	test("Defender Chopper", pwRecord(pwDefendCh, "1116", "Threat Name", "Backdoor:ASP/Chopper.A!dha"), pwDefender)
	test("Defender Exchange exploit action", pwRecord(pwDefendCh, "1117", "Threat Name", "Exploit:Script/CVE-2021-26855.A"), pwDefender)
	test("Defender PUA", pwRecord(pwDefendCh, "1116", "Threat Name", "PUA:Win32/Presenoker"))
	test("Defender config change", pwRecord(pwDefendCh, "5007", "Threat Name", "Webshell"))

	// Web shell tunnels (Sysmon 3), as in the Tunna sample.
	conn := func(image, ip, port string) *evidence.Record {
		return pwRecord(pwSysmon, "3", "Image", image, "Initiated", "true", "DestinationIp", ip, "DestinationPort", port)
	}
	test("w3wp to local RDP", conn(w3wp, "127.0.0.1", "3389"), pwTunnel)
	test("w3wp to local SMB", conn(w3wp, "127.0.0.1", "445"), pwTunnel)
	test("w3wp to Exchange back end", conn(w3wp, "127.0.0.1", "444"))
	test("w3wp to domain controller LDAP", conn(w3wp, "10.0.0.5", "389"))
	test("mstsc to RDP", conn(`C:\Windows\System32\mstsc.exe`, "10.0.0.9", "3389"))

	// Log clearing.
	test("Security cleared", pwRecord("Security", "1102", "Provider_Name", "Microsoft-Windows-Eventlog", "SubjectUserName", "adm"), pwSecCleared)
	test("Security service shutdown", pwRecord("Security", "1100", "Provider_Name", "Microsoft-Windows-Eventlog"))
	test("System log cleared", pwRecord("System", "104", "Provider_Name", "Microsoft-Windows-Eventlog"), pwSysCleared)
	test("System 104 other provider", pwRecord("System", "104", "Provider_Name", "Microsoft-Windows-Hyper-V-VmSwitch"))
}
