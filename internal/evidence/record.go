package evidence

import (
	"strings"
	"time"
)

// LogSource says what produced a record, in Sigma's logsource terms, so
// rules pick the records they apply to.
//
// Values used in exhunt:
//   - IIS W3C logs:               Category "webserver", Product "windows", Service "iis"
//   - Exchange HttpProxy logs:    Product "exchange", Service "httpproxy" (Category = protocol, e.g. "ecp")
//   - ECP server logs:            Product "exchange", Service "ecp"
//   - OABGenerator logs:          Product "exchange", Service "oabgenerator"
//   - CmdletInfra/PowerShell logs: Product "exchange", Service "cmdlet"
//   - Windows event logs:         Product "windows", Service from the channel (security, system,
//     application, sysmon, powershell, msexchange-management, ...)
type LogSource struct {
	Product  string `json:"product,omitempty"`
	Service  string `json:"service,omitempty"`
	Category string `json:"category,omitempty"`
}

// Fields gives rules access to a record's named values without forcing
// every parser to build a map.
type Fields interface {
	// Get returns the value of the named field and whether it is present.
	Get(name string) (string, bool)
	// Range calls fn for every field until fn returns false.
	Range(fn func(name, value string) bool)
}

// Record is one parsed log line or event-log record.
type Record struct {
	Source string // path of the evidence file, relative to the evidence root, with '/'
	Line   int64  // 1-based line number for text logs, record id for EVTX
	Time   time.Time
	Log    LogSource
	Fields Fields
}

// Map is the simplest Fields: a map from field name to value.
type Map map[string]string

// Get implements Fields.
func (m Map) Get(name string) (string, bool) {
	v, ok := m[name]
	return v, ok
}

// Range implements Fields.
func (m Map) Range(fn func(name, value string) bool) {
	for k, v := range m {
		if !fn(k, v) {
			return
		}
	}
}

// FoldMap is a Map whose Get also accepts names in any case, as Windows
// field names are matched case-insensitively by some rule writers.
type FoldMap map[string]string

// Get implements Fields: an exact match first, then a case-insensitive one.
func (m FoldMap) Get(name string) (string, bool) {
	if v, ok := m[name]; ok {
		return v, ok
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// Range implements Fields.
func (m FoldMap) Range(fn func(name, value string) bool) {
	Map(m).Range(fn)
}
