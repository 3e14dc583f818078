// Package exlog streams Exchange Server CSV logs into evidence.Records:
// HttpProxy logs of every protocol (Autodiscover, Ecp, Ews, Mapi, Oab, Owa,
// OwaCalendar, PowerShell, RpcHttp, Eas, ...), ECP server logs, OAB
// generator logs and CmdletInfra / PowerShell-Proxy cmdlet logs.
//
// Files carry a #Software/#Version/#Log-type/#Date/#Fields header block, or
// a plain CSV header line, which is how Test-ProxyLogon's Import-Csv reads
// them. Columns are looked up by name, case-insensitively, because the
// column set changes between Exchange builds; values follow RFC 4180
// (quoted commas, doubled quotes, quoted newlines). The log type comes from
// the #Log-type: header, then from the columns, and only then from the
// folder name. Records of ECP server logs also expose each EventData
// "S:KEY=value" item as field KEY; OAB generator records expose the
// temporary file path of "Download failed and temporary file ... needs to
// be removed" as TempFilePath (CVE-2021-26858).
//
// It does not judge records (rules do), does not join front-end and
// back-end records (hunt does, on the RequestId field) and does not open
// files or walk folders.
package exlog
