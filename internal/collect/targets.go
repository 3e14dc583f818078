package collect

import "strings"

// Categories of collected files, as the manifest names them.
const (
	CatIISLog      = "iis-log"
	CatExchangeLog = "exchange-log"
	CatEventLog    = "event-log"
	CatWeb         = "web"
	CatConfig      = "config"
	CatExchangeBin = "exchange-binary"
	CatSetupLog    = "setup-log"
	CatProgramData = "programdata"
	CatTemp        = "temp"
	CatRoot        = "root"
	CatASPNetTemp  = "aspnet-temp"
)

// target is one place collection looks. Paths are Windows path templates:
// %SystemDrive%, %windir%, %ProgramData% and %ExchangeInstallPath% are
// expanded from the source's environment and the Exchange install found.
type target struct {
	cat     string
	path    string
	recurse bool
	names   []string // lower-case file name globs; nil takes every file
	dated   bool     // --since applies (logs)
	capped  bool     // --max-size applies (files, not logs)
	exclude []string // lower-case sub-folders ('\'-separated, relative to path) never entered
	channel bool     // an event log: exported through the Event Log API when locked
	why     string   // what it is for, said in the manifest when it is absent
}

// serverCode are the extensions IIS runs or reads as configuration: in the
// large static folders of ClientAccess (owa\prem alone holds tens of
// thousands of scripts and images per build) only these are taken.
var serverCode = []string{"*.aspx", "*.ashx", "*.asmx", "*.asax", "*.ascx", "*.asp", "*.cshtml", "*.vbhtml",
	"*.svc", "*.master", "*.config", "*.soap", "*.rem", "*.xamlx"}

// exchangeLogDirs are the Exchange log folders `exhunt hunt` reads (HttpProxy
// for every protocol, ECP, OAB generator, cmdlet) and the protocol logs
// responders ask for next (EWS, MAPI, RPC); all under Logging. Sources:
// Test-ProxyLogon.ps1 (microsoft/CSS-Exchange) and KAPE's
// ExchangeClientAccess target, in research/windows-collection.md A3.
var exchangeLogDirs = []string{
	"HttpProxy", "ECP", "OABGeneratorLog", "CmdletInfra", "Ews", "MapiHttp",
	"MAPI Client Access", "MAPI AddressBook Service", "RpcHttp", "RPC Client Access", "Autodiscover",
}

// eventChannels are the event logs hunts need: CVE-2021-26857's UM crashes
// (Application), MSExchange Management's cmdlets, logons (Security),
// services (System), PowerShell, Sysmon's process and file events,
// Defender's detections. File names use %4 for the channel's "/".
var eventChannels = []string{
	"Application", "System", "Security", "MSExchange Management",
	"Microsoft-Windows-PowerShell%4Operational", "Windows PowerShell",
	"Microsoft-Windows-Sysmon%4Operational", "Microsoft-Windows-Windows Defender%4Operational",
}

// programDataExcluded are bulky caches of Windows itself that hold no
// attacker files in any published Exchange intrusion and run to gigabytes
// (the search index, Defender's signature store, installer caches). They
// are listed as skipped in the manifest, never dropped silently.
var programDataExcluded = []string{
	`microsoft\search\data`,
	`microsoft\windows defender\definition updates`,
	`package cache`,
}

// baseTargets are the fixed places; IIS log folders and site folders come
// from applicationHost.config (see Plan).
func baseTargets(allEventLogs bool) []target {
	ex := `%ExchangeInstallPath%`
	t := []target{
		{cat: CatConfig, path: `%windir%\System32\inetsrv\config`, names: []string{"applicationhost.config", "administration.config", "redirection.config"}, why: "IIS sites and log folders"},
		{cat: CatConfig, path: `%windir%\Microsoft.NET\Framework*\v*\Config`, names: []string{"machine.config", "web.config"}, why: ".NET machine keys and handlers"},
		{cat: CatIISLog, path: `%windir%\System32\LogFiles\HTTPERR`, recurse: true, dated: true, why: "HTTP.sys errors"},
		{cat: CatWeb, path: `%SystemDrive%\inetpub\wwwroot`, recurse: true, capped: true, why: "web root and aspnet_client"},
		{cat: CatExchangeBin, path: ex + `\Bin`, names: []string{"exsetup.exe"}, why: "the exact Exchange build"},
		{cat: CatSetupLog, path: `%SystemDrive%\ExchangeSetupLogs`, names: []string{"exchangesetup.log"}, why: "setup and update history"},
		{cat: CatWeb, path: ex + `\FrontEnd\HttpProxy\owa\auth`, recurse: true, capped: true, why: "web shells (ProxyLogon)"},
		{cat: CatWeb, path: ex + `\FrontEnd\HttpProxy\ecp\auth`, recurse: true, capped: true, why: "web shells (ProxyLogon)"},
		{cat: CatWeb, path: ex + `\FrontEnd\HttpProxy\OAB`, recurse: true, capped: true, why: "web shells (CVE-2021-26858)"},
		{cat: CatWeb, path: ex + `\ClientAccess\OAB`, recurse: true, capped: true, names: serverCode, why: "web shells (CVE-2021-26858)"},
		{cat: CatWeb, path: ex + `\ClientAccess\owa`, recurse: true, capped: true, names: serverCode, why: "web shells"},
		{cat: CatWeb, path: ex + `\ClientAccess\ecp`, recurse: true, capped: true, names: serverCode, why: "web shells"},
		{cat: CatConfig, path: ex + `\FrontEnd\HttpProxy`, recurse: true, names: []string{"web.config"}, why: "front-end web.config files"},
		{cat: CatConfig, path: ex + `\ClientAccess`, recurse: true, names: []string{"web.config"}, why: "back-end web.config files"},
		{cat: CatASPNetTemp, path: `%windir%\Microsoft.NET\Framework*\v*\Temporary ASP.NET Files`, recurse: true, capped: true, names: []string{"*.compiled", "app_web_*.dll"}, why: "compiled web shells (KAPE ExchangeCve-2021-26855)"},
		{cat: CatProgramData, path: `%ProgramData%`, recurse: true, capped: true, exclude: programDataExcluded, why: "staged archives, dumps, tools"},
		{cat: CatTemp, path: `%windir%\Temp`, recurse: true, capped: true, why: "dumps and tools"},
		{cat: CatTemp, path: `%SystemDrive%\Users\*\AppData\Local\Temp`, recurse: true, capped: true, why: "dumps and tools"},
		{cat: CatTemp, path: `%SystemDrive%\Users\Public`, recurse: true, capped: true, why: "dumps and tools"},
		{cat: CatRoot, path: `%SystemDrive%\`, capped: true, why: "files dropped at the drive root"},
		{cat: CatRoot, path: `%SystemDrive%\root`, recurse: true, capped: true, why: "C:\\root (Hafnium's LSASS dumps)"},
	}
	for _, d := range exchangeLogDirs {
		t = append(t, target{cat: CatExchangeLog, path: ex + `\Logging\` + d, recurse: true, dated: true, why: "Exchange " + d + " logs"})
	}
	evtx := `%windir%\System32\winevt\Logs`
	if allEventLogs {
		t = append(t, target{cat: CatEventLog, path: evtx, names: []string{"*.evtx"}, channel: true, why: "event logs"})
	}
	for _, c := range eventChannels {
		t = append(t, target{cat: CatEventLog, path: evtx + `\` + c + ".evtx", channel: true, why: channelName(c) + " event log"})
	}
	return t
}

// channelName maps an .evtx file name to its channel: %4 stands for "/".
func channelName(file string) string {
	return strings.ReplaceAll(strings.TrimSuffix(file, ".evtx"), "%4", "/")
}
