package exlog

import (
	"bytes"
	"strings"
)

// Fields holds one record's values. It implements evidence.Fields with the
// column names as the header spells them; lookups also accept any case
// (ClientIPAddress finds ClientIpAddress). Derived fields follow the
// columns: the EventData keys of ECP server logs (S:CMD=... gives "CMD")
// and TempFilePath in OAB generator logs. A Fields owns its data.
type Fields struct {
	h     *header
	vals  string
	offs  []int32
	extra []kv
}

type kv struct{ k, v string }

// Get implements evidence.Fields.
func (f *Fields) Get(name string) (string, bool) {
	if i, ok := f.h.index[name]; ok {
		return f.value(i), true
	}
	for _, e := range f.extra {
		if e.k == name {
			return e.v, true
		}
	}
	if i, ok := f.h.fold[strings.ToLower(name)]; ok {
		return f.value(i), true
	}
	for _, e := range f.extra {
		if strings.EqualFold(e.k, name) {
			return e.v, true
		}
	}
	return "", false
}

// Range implements evidence.Fields: columns in header order, then derived
// fields.
func (f *Fields) Range(fn func(name, value string) bool) {
	for i, n := range f.h.names {
		if !fn(n, f.value(i)) {
			return
		}
	}
	for _, e := range f.extra {
		if !fn(e.k, e.v) {
			return
		}
	}
}

func (f *Fields) value(i int) string {
	if 2*i+1 >= len(f.offs) {
		return ""
	}
	return f.vals[f.offs[2*i]:f.offs[2*i+1]]
}

// derive adds the fields that hide inside one column or in free text.
func (f *Fields) derive(t LogType, raw []byte) {
	switch t {
	case ECP:
		ed, ok := f.Get("EventData")
		if !ok {
			// Excerpts name their columns freely ("Command,Response"):
			// the event data is then what follows the time, server and
			// event id columns.
			ed = f.eventText(raw)
			f.extra = append(f.extra, kv{"EventData", ed})
		}
		f.eventData(ed)
	case OABGenerator:
		if p, ok := tempFilePath(raw); ok {
			f.extra = append(f.extra, kv{"TempFilePath", p})
		}
	}
}

// eventText is the record's text after its time, server name and event
// id columns: as written when the time comes first and the other two are
// absent (quoting in such excerpts follows no rule), else the values of
// the other columns joined with commas.
func (f *Fields) eventText(raw []byte) string {
	_, hasID := f.h.fold["eventid"]
	if f.h.time == 0 && f.h.host < 0 && !hasID {
		if _, rest, ok := bytes.Cut(raw, []byte(",")); ok {
			return string(rest)
		}
	}
	skip := map[int]bool{f.h.time: true, f.h.host: true}
	if i, ok := f.h.fold["eventid"]; ok {
		skip[i] = true
	}
	var parts []string
	for i := range f.h.names {
		if !skip[i] {
			parts = append(parts, f.value(i))
		}
	}
	return strings.Join(parts, ",")
}

// eventData splits Exchange's activity-context list
// "S:CMD=Set-OabVirtualDirectory...;S:URL=/ecp/...;S:BLD=15.1.2176.2;I32:ADS.C=2"
// at each ';' followed by a type tag and ':'. Values keep any other ';'
// (injected script often has some). Keys already present as columns are
// not shadowed.
func (f *Fields) eventData(ed string) {
	for ed != "" {
		end := nextItem(ed)
		item := ed[:end]
		if end < len(ed) {
			ed = ed[end+1:]
		} else {
			ed = ""
		}
		_, kvs, ok := strings.Cut(item, ":")
		if !ok {
			continue
		}
		k, v, ok := strings.Cut(kvs, "=")
		if !ok || k == "" {
			continue
		}
		if _, dup := f.h.fold[strings.ToLower(k)]; dup {
			continue
		}
		f.extra = append(f.extra, kv{k, v})
	}
}

// nextItem returns the index of the ';' that starts the next "TAG:" item,
// or len(s).
func nextItem(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] != ';' {
			continue
		}
		j := i + 1
		for j < len(s) && j-i <= 5 && (s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		if j > i+1 && j < len(s) && s[j] == ':' {
			return i
		}
	}
	return len(s)
}

var (
	oabStart = []byte("Download failed and temporary file ")
	oabEnd   = []byte(" needs to be removed")
)

// tempFilePath extracts the path the way Test-ProxyLogon's regex
// "Download failed and temporary file (.*?) needs to be removed" does,
// without the quotes around it.
func tempFilePath(raw []byte) (string, bool) {
	i := bytes.Index(raw, oabStart)
	if i < 0 {
		return "", false
	}
	rest := raw[i+len(oabStart):]
	j := bytes.Index(rest, oabEnd)
	if j < 0 {
		return "", false
	}
	return string(bytes.Trim(rest[:j], `'"`)), true
}
