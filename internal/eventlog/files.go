package eventlog

import (
	"path"
	"strings"
)

// LogsDir is where Windows keeps its event logs, relative to the system
// drive, with '/' as in evidence paths.
const LogsDir = "Windows/System32/winevt/Logs"

// IsEVTXPath reports whether rel, a '/'-separated evidence path, names an
// event log by its extension: any *.evtx, in any case, wherever it lies
// (exported logs are often handed over outside LogsDir). Files renamed to
// another extension are found by sniffing their first bytes with IsEVTX.
func IsEVTXPath(rel string) bool {
	return strings.EqualFold(path.Ext(rel), ".evtx")
}

// InLogsDir reports whether rel lies directly in a Windows/System32/
// winevt/Logs folder, in any case and under any prefix (C/, a host name
// folder of a collection, ...).
func InLogsDir(rel string) bool {
	dir := strings.ToLower(path.Dir(rel))
	want := strings.ToLower(LogsDir)
	return dir == want || strings.HasSuffix(dir, "/"+want)
}
