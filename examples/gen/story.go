package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/exhunt/exhunt/internal/eventlog/evtxtest"
)

// computer is the FQDN every event carries.
const computer = "EXCH01.contoso.local"

// logFile is one .evtx file to write.
type logFile struct {
	name string
	data []byte
}

func logs() []logFile {
	return []logFile{
		{"Microsoft-Windows-Sysmon%4Operational.evtx", file(48210, sysmonEvents())},
		{"Application.evtx", file(8801, applicationEvents())},
		{"Security.evtx", file(160310, securityEvents())},
	}
}

// event is one record before it gets its record id.
type event struct {
	at  time.Time
	rec evtxtest.Record
}

// file sorts events by time (stable, so same-second events keep the order
// they are listed in), numbers them from firstID and packs them into chunks.
func file(firstID uint64, events []event) []byte {
	slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	recs := make([]evtxtest.Record, len(events))
	for i, e := range events {
		recs[i] = e.rec
	}
	return evtxtest.File(evtxtest.Chunks(firstID, recs...)...)
}

// at parses a UTC time literal of this file; a typo is a bug here.
func at(s string) time.Time {
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		panic(err)
	}
	return t
}

// process is what Sysmon records about a process.
type process struct {
	pid       int
	image     string
	original  string // OriginalFileName from the PE version info
	cmd       string
	cwd       string
	user      string
	logonID   string
	integrity string
}

// guid is a stable ProcessGuid for p, in Sysmon's shape.
func (p process) guid() string {
	return fmt.Sprintf("{8d3e2f4a-6c1b-603f-%04x-000000002a00}", p.pid)
}

const (
	system  = `NT AUTHORITY\SYSTEM`
	sysLID  = "0x3e7"
	admin   = `CONTOSO\admin`
	adminID = "0x2c41f7"
	sys32   = `C:\Windows\system32\`
	netfx   = `C:\Windows\Microsoft.NET\Framework64\v4.0.30319\`
	aspTemp = netfx + `Temporary ASP.NET Files\owa\2f9e1a4c\8b3d5e61\`
	defPath = `C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.2101.9-0\`
	w3wpCmd = `c:\windows\system32\inetsrv\w3wp.exe -ap "%s" -v "v4.0" -l "webengine4.dll" -a \\.\pipe\iisipm%s -h "C:\inetpub\temp\apppools\%[1]s\%[1]s.config" -w "" -m 0`
	dumpCmd = `rundll32 C:\windows\System32\comsvcs.dll MiniDump 652 C:\root\lsass.dmp full`
)

// The processes of the story. Paths keep the case Sysmon shows for each.
var (
	services = process{pid: 640, image: `C:\Windows\System32\services.exe`, cmd: sys32 + "services.exe", user: system}
	lsass    = process{pid: 652, image: `C:\Windows\system32\lsass.exe`, cmd: sys32 + "lsass.exe", user: system}
	msMpEng  = process{pid: 3128, image: defPath + "MsMpEng.exe", original: "MsMpEng.exe", cmd: `"` + defPath + `MsMpEng.exe"`,
		cwd: sys32, user: system, logonID: sysLID, integrity: "System"}
	schedule = process{pid: 1388, image: `C:\Windows\System32\svchost.exe`, original: "svchost.exe", cmd: sys32 + "svchost.exe -k netsvcs -p -s Schedule",
		cwd: sys32, user: system, logonID: sysLID, integrity: "System"}
	updates = process{pid: 9420, image: `C:\Windows\System32\svchost.exe`, original: "svchost.exe", cmd: sys32 + "svchost.exe -k netsvcs -p -s wuauserv",
		cwd: sys32, user: system, logonID: sysLID, integrity: "System"}
	iisHost = process{pid: 2716, image: `C:\Windows\System32\svchost.exe`, original: "svchost.exe", cmd: sys32 + "svchost.exe -k iissvcs",
		cwd: sys32, user: system, logonID: sysLID, integrity: "System"}
	userinit = process{pid: 5120, image: `C:\Windows\System32\userinit.exe`, cmd: sys32 + "userinit.exe", user: admin}
	explorer = process{pid: 5144, image: `C:\Windows\explorer.exe`, original: "EXPLORER.EXE", cmd: `C:\Windows\Explorer.EXE`,
		cwd: sys32, user: admin, logonID: adminID, integrity: "High"}
	adminCmd = process{pid: 6012, image: `C:\Windows\System32\cmd.exe`, original: "Cmd.Exe", cmd: `"C:\Windows\system32\cmd.exe" `,
		cwd: `C:\Users\admin\`, user: admin, logonID: adminID, integrity: "High"}
	sysdm = process{pid: 6240, image: `C:\Windows\System32\rundll32.exe`, original: "RUNDLL32.EXE", cmd: `"C:\Windows\system32\rundll32.exe" shell32.dll,Control_RunDLL sysdm.cpl`,
		cwd: `C:\Users\admin\`, user: admin, logonID: adminID, integrity: "High"}
	// DefaultAppPool serves /aspnet_client, where the web shell was dropped.
	w3wpDefault = process{pid: 7316, image: `C:\Windows\System32\inetsrv\w3wp.exe`, original: "w3wp.exe",
		cmd: fmt.Sprintf(w3wpCmd, "DefaultAppPool", "4b1f0c3e-9d2a-4e6b-8a57-2c1d0e9f3a61"), cwd: sys32 + `inetsrv\`, user: system, logonID: sysLID, integrity: "System"}
	w3wpOWA = process{pid: 4480, image: `C:\Windows\System32\inetsrv\w3wp.exe`, original: "w3wp.exe",
		cmd: fmt.Sprintf(w3wpCmd, "MSExchangeOWAAppPool", "7a0d5c19-3e84-4f2b-b1c6-5e9a2d7f0b43"), cwd: sys32 + `inetsrv\`, user: system, logonID: sysLID, integrity: "System"}
	csc = process{pid: 4620, image: netfx + "csc.exe", original: "csc.exe",
		cmd: `"` + netfx + `csc.exe" /noconfig /fullpaths @"` + aspTemp + `qz1xw0ab.cmdline"`, cwd: sys32 + `inetsrv\`, user: system, logonID: sysLID, integrity: "System"}
	cvtres = process{pid: 4636, image: netfx + "cvtres.exe", original: "CVTRES.EXE",
		cmd: netfx + `cvtres.exe /NOLOGO /READONLY /MACHINE:IX86 "/OUT:C:\Windows\TEMP\RES5D3E.tmp" "` + aspTemp + `CSC1F0A9B2C4E7D.TMP"`, cwd: sys32 + `inetsrv\`, user: system, logonID: sysLID, integrity: "System"}
	// The attacker's processes, started through the web shell.
	shellWhoami = process{pid: 8124, image: `C:\Windows\System32\cmd.exe`, original: "Cmd.Exe", cmd: `"cmd" /c whoami`,
		cwd: sys32 + `inetsrv\`, user: system, logonID: sysLID, integrity: "System"}
	whoami = process{pid: 8140, image: `C:\Windows\System32\whoami.exe`, original: "whoami.exe", cmd: "whoami",
		cwd: sys32 + `inetsrv\`, user: system, logonID: sysLID, integrity: "System"}
	shellDump = process{pid: 8312, image: `C:\Windows\System32\cmd.exe`, original: "Cmd.Exe", cmd: `"cmd" /c ` + dumpCmd,
		cwd: sys32 + `inetsrv\`, user: system, logonID: sysLID, integrity: "System"}
	dumper = process{pid: 8330, image: `C:\Windows\System32\rundll32.exe`, original: "RUNDLL32.EXE", cmd: dumpCmd,
		cwd: sys32 + `inetsrv\`, user: system, logonID: sysLID, integrity: "System"}
)

func sysmon(id string, t time.Time, data ...string) event {
	return event{t, evtxtest.Event("Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon", id, "4", t, computer, evtxtest.Pairs(data...)...)}
}

func utc(t time.Time) string { return t.Format("2006-01-02 15:04:05.000") }

// start is Sysmon event 1, process creation (Sysmon 13 field order).
func start(s string, p, parent process) event {
	t := at(s)
	return sysmon("1", t, "RuleName", "-", "UtcTime", utc(t), "ProcessGuid", p.guid(), "ProcessId", fmt.Sprint(p.pid),
		"Image", p.image, "OriginalFileName", p.original, "CommandLine", p.cmd, "CurrentDirectory", p.cwd,
		"User", p.user, "LogonId", p.logonID, "IntegrityLevel", p.integrity,
		"ParentProcessGuid", parent.guid(), "ParentProcessId", fmt.Sprint(parent.pid), "ParentImage", parent.image, "ParentCommandLine", parent.cmd)
}

// access is Sysmon event 10, process accessed.
func access(s string, src, target process, granted, trace string) event {
	t := at(s)
	return sysmon("10", t, "RuleName", "-", "UtcTime", utc(t), "SourceProcessGUID", src.guid(), "SourceProcessId", fmt.Sprint(src.pid),
		"SourceThreadId", fmt.Sprint(src.pid+4), "SourceImage", src.image, "TargetProcessGUID", target.guid(),
		"TargetProcessId", fmt.Sprint(target.pid), "TargetImage", target.image, "GrantedAccess", granted, "CallTrace", trace)
}

// create is Sysmon event 11, file created.
func create(s string, p process, file string) event {
	t := at(s)
	return sysmon("11", t, "RuleName", "-", "UtcTime", utc(t), "ProcessGuid", p.guid(), "ProcessId", fmt.Sprint(p.pid),
		"Image", p.image, "TargetFilename", file, "CreationUtcTime", utc(t))
}

// sysmonEvents: two days of Sysmon (the log rolls over quickly on a busy
// server). Only the 12:12–12:14 web-shell processes may be flagged.
func sysmonEvents() []event {
	return []event{
		// 2021-03-02: boot, and an administrator at the console.
		start("2021-03-02 05:58:30", msMpEng, services),
		start("2021-03-02 05:58:41", schedule, services),
		start("2021-03-02 06:00:12", w3wpDefault, iisHost),
		start("2021-03-02 08:15:22", explorer, userinit),
		start("2021-03-02 08:16:40", adminCmd, explorer), // a shell, but not from a web worker
		start("2021-03-02 08:17:05", sysdm, explorer),    // rundll32, but not comsvcs MiniDump
		// 2021-03-03 03:00: the nightly OWA app pool recycle compiles its
		// pages: w3wp starts csc.exe, a child no rule may flag.
		start("2021-03-03 03:00:02", w3wpOWA, iisHost),
		start("2021-03-03 03:00:09", csc, w3wpOWA),
		start("2021-03-03 03:00:10", cvtres, csc),
		create("2021-03-03 03:00:10", csc, aspTemp+"App_Web_qz1xw0ab.dll"),
		// Defender scans LSASS from its installed folder with a read-only mask.
		access("2021-03-03 09:12:44", msMpEng, lsass, "0x1010",
			`C:\Windows\SYSTEM32\ntdll.dll+9c534|C:\Windows\System32\KERNELBASE.dll+2730e|`+defPath+`mpengine.dll+4a1f2c`),
		// 12:12:10 GET /aspnet_client/system_web/Xk3pQz8a.aspx?p=whoami.
		start("2021-03-03 12:12:11", shellWhoami, w3wpDefault),
		start("2021-03-03 12:12:11", whoami, shellWhoami), // no rule: its parent is cmd.exe
		// 12:14:30 the same shell with p=rundll32 ... comsvcs.dll MiniDump 652 ...
		start("2021-03-03 12:14:30", shellDump, w3wpDefault),
		start("2021-03-03 12:14:31", dumper, shellDump),
		access("2021-03-03 12:14:31", dumper, lsass, "0x1fffff",
			`C:\Windows\SYSTEM32\ntdll.dll+9c534|C:\Windows\System32\KERNELBASE.dll+2730e|C:\Windows\System32\dbgcore.DLL+6a0d|C:\Windows\System32\comsvcs.dll+3b2e3|C:\Windows\system32\rundll32.exe+3bc4`),
		create("2021-03-03 12:14:32", dumper, `C:\root\lsass.dmp`),
		start("2021-03-03 16:30:00", updates, services), // Windows Update starts on demand
	}
}

// applicationEvents: one Active Directory topology event a day stands in
// for the thousands a real Application log holds, so the log covers the
// whole period without gaps; around them, the UM crash and its near misses.
func applicationEvents() []event {
	app := func(s, provider, id, level string, data ...string) event {
		t := at(s)
		items := make([]evtxtest.NameValue, len(data))
		for i, d := range data {
			items[i] = evtxtest.NameValue{Value: d}
		}
		return event{t, evtxtest.Event("Application", provider, id, level, t, computer, items...)}
	}
	var ev []event
	for d := at("2021-01-03 06:00:00"); !d.After(at("2021-03-10 06:00:00")); d = d.AddDate(0, 0, 1) {
		ev = append(ev, app(d.Format(time.DateTime), "MSExchange ADAccess", "2080", "4",
			"Microsoft.Exchange.Directory.TopologyService.exe", "2412", "DC01.contoso.local CDG 1 7 7 1 0 1 1 7 1"))
	}
	return append(ev,
		app("2021-01-04 05:00:03", "MSExchange Unified Messaging", "1001", "4",
			"The Unified Messaging service started successfully."),
		// CVE-2021-26857: a serialized object sent to the UM service fails
		// to cast after it was deserialized (Test-ProxyLogon's query).
		app("2021-01-06 04:18:00", "MSExchange Unified Messaging", "1", "2",
			"UMWorkerProcess.exe",
			"System.InvalidCastException: Unable to cast object of type 'System.Windows.Data.ObjectDataProvider' to type 'Microsoft.Exchange.UM.UMCommon.UMMailboxPolicy'.\r\n   at Microsoft.Exchange.UM.UMCore.PipelineContext.Deserialize(Stream stream)"),
		// Near miss: a UM error, but a network failure.
		app("2021-02-10 09:41:17", "MSExchange Unified Messaging", "1", "2",
			"UMWorkerProcess.exe",
			"System.Net.Sockets.SocketException: An existing connection was forcibly closed by the remote host"),
		// Near miss: the same exception from another provider.
		app("2021-03-02 14:22:05", "MSExchange OWA", "4", "2",
			"System.InvalidCastException: Specified cast is not valid.\r\n   at Microsoft.Exchange.Clients.Owa2.Server.Core.GetItem.Execute()"),
	)
}

// securityEvents: a few ordinary logons on the two days the Security log
// still holds. The attacker ran as SYSTEM inside w3wp and never logged on,
// and did not clear the log (no 1102).
func securityEvents() []event {
	logon := func(s, user, domain, sid, logonType, process, auth, ip string) event {
		t := at(s)
		return event{t, evtxtest.Event("Security", "Microsoft-Windows-Security-Auditing", "4624", "0", t, computer, evtxtest.Pairs(
			"SubjectUserSid", "S-1-5-18", "SubjectUserName", "EXCH01$", "SubjectDomainName", "CONTOSO", "SubjectLogonId", sysLID,
			"TargetUserSid", sid, "TargetUserName", user, "TargetDomainName", domain, "LogonType", logonType,
			"LogonProcessName", process, "AuthenticationPackageName", auth, "WorkstationName", "EXCH01", "IpAddress", ip)...)}
	}
	const adminSID = "S-1-5-21-3623811015-3361044348-30300820-1106"
	return []event{
		logon("2021-03-02 05:58:20", "SYSTEM", "NT AUTHORITY", "S-1-5-18", "5", "Advapi  ", "Negotiate", "-"),
		logon("2021-03-02 08:15:19", "admin", "CONTOSO", adminSID, "10", "User32 ", "Negotiate", "10.0.0.20"),
		logon("2021-03-03 03:00:01", "SYSTEM", "NT AUTHORITY", "S-1-5-18", "5", "Advapi  ", "Negotiate", "-"),
		logon("2021-03-03 09:29:58", "admin", "CONTOSO", adminSID, "3", "Kerberos", "Kerberos", "10.0.0.20"),
		logon("2021-03-03 14:00:07", "HealthMailbox6b1e2f0", "CONTOSO", "S-1-5-21-3623811015-3361044348-30300820-1144", "3", "Kerberos", "Kerberos", "10.0.0.5"),
	}
}
