package collect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// Live describes the running Windows system: drives read as X:\, the
// environment's folders, the Exchange install from %ExchangeInstallPath%
// or the registry, locked event logs exported through the Event Log API,
// and whether the process is elevated.
//
// None of this has run on Windows in exhunt's tests (there is no Windows
// machine in CI); it is cross-built and vetted only.
func Live(ctx context.Context) (Source, error) {
	host, _ := os.Hostname()
	env := map[string]string{}
	for _, k := range []string{"SystemDrive", "SystemRoot", "windir", "ProgramData", "ALLUSERSPROFILE", "ProgramFiles", "ProgramFiles(x86)", "PUBLIC"} {
		if v := os.Getenv(k); v != "" {
			env[strings.ToLower(k)] = v
		}
	}
	src := Source{Live: true, Host: host, Env: env, Exporter: eventExporter{}, Elevated: windows.GetCurrentProcessToken().IsElevated()}
	if p := os.Getenv("ExchangeInstallPath"); p != "" {
		src.ExchangeInstall, src.ExchangeFrom = p, "environment (%ExchangeInstallPath%)"
	} else if p, key, err := exchangeFromRegistry(); err == nil {
		src.ExchangeInstall, src.ExchangeFrom = p, `registry (HKLM\`+key+` MsiInstallPath)`
	}
	return src, nil
}

// exchangeFromRegistry reads MsiInstallPath, which Exchange setup writes
// and Test-ProxyLogon.ps1 reads (microsoft/CSS-Exchange,
// Get-ExchangeInstallPath); v14 is Exchange 2010.
func exchangeFromRegistry() (string, string, error) {
	var last error
	for _, key := range []string{`SOFTWARE\Microsoft\ExchangeServer\v15\Setup`, `SOFTWARE\Microsoft\ExchangeServer\v14\Setup`} {
		k, err := registry.OpenKey(registry.LOCAL_MACHINE, key, registry.QUERY_VALUE|registry.WOW64_64KEY)
		if err != nil {
			last = err
			continue
		}
		v, _, err := k.GetStringValue("MsiInstallPath")
		k.Close()
		if err == nil && v != "" {
			return v, key, nil
		}
		last = err
	}
	return "", "", last
}

// EvtExportLog (winevt.h) has no binding in x/sys/windows; it is called
// through the DLL, without cgo.
var procEvtExportLog = windows.NewLazySystemDLL("wevtapi.dll").NewProc("EvtExportLog")

// EVT_EXPORTLOG_FLAGS, learn.microsoft.com/windows/win32/api/winevt/ne-winevt-evt_exportlog_flags.
const (
	evtExportLogChannelPath         = 0x1
	evtExportLogTolerateQueryErrors = 0x1000
)

type eventExporter struct{}

// Export writes the channel's records to a new .evtx at dst with
// EvtExportLog, falling back to `wevtutil epl`. The export holds the same
// records as the open file, but it is a new file: its hash is not the
// original's, and slack space is not carried over.
func (eventExporter) Export(ctx context.Context, channel, dst string) (string, error) {
	apiErr := evtExportLog(channel, dst)
	if apiErr == nil {
		return "EvtExportLog", nil
	}
	os.Remove(dst)
	tool := filepath.Join(os.Getenv("SystemRoot"), "System32", "wevtutil.exe")
	out, err := exec.CommandContext(ctx, tool, "epl", channel, dst, "/ow:true").CombinedOutput()
	if err == nil {
		return "wevtutil epl", nil
	}
	return "", fmt.Errorf("EvtExportLog: %w; wevtutil epl: %v: %s", apiErr, err, strings.TrimSpace(string(out)))
}

func evtExportLog(channel, dst string) error {
	if err := procEvtExportLog.Find(); err != nil {
		return err
	}
	ch, err := windows.UTF16PtrFromString(channel)
	if err != nil {
		return err
	}
	query, _ := windows.UTF16PtrFromString("*")
	target, err := windows.UTF16PtrFromString(dst)
	if err != nil {
		return err
	}
	r, _, callErr := procEvtExportLog.Call(0, uintptr(unsafe.Pointer(ch)), uintptr(unsafe.Pointer(query)),
		uintptr(unsafe.Pointer(target)), evtExportLogChannelPath|evtExportLogTolerateQueryErrors)
	if r == 0 {
		if callErr == nil {
			callErr = errors.New("EvtExportLog failed")
		}
		return callErr
	}
	return nil
}
