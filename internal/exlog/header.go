package exlog

import (
	"bytes"
	"path"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/logline"
)

// header is one column list, shared by the records it governs.
type header struct {
	names []string
	index map[string]int // exact name
	fold  map[string]int // lower-case name
	time  int            // DateTime / TimeStamp / date-time column, -1 if none
	host  int            // ServerHostName / ServerName column
	proto int            // Protocol column
	stem  int            // UrlStem column
	// coverNeed is how many leading columns a filtered-out record must
	// have for its time to be read.
	coverNeed int
}

var emptyHeader = newHeader(nil)

// headers caches parsed column lists (see logline.Cache).
var headers logline.Cache[*header]

// cachedHeader returns the header for a #Fields: (or plain CSV header)
// line.
func cachedHeader(list []byte) *header {
	return headers.Get(list, func() *header { return parseHeader(list) })
}

func parseHeader(list []byte) *header {
	vals, offs, n, _, _ := splitCSV(list, 0, nil, nil)
	names := make([]string, n)
	all := string(vals)
	for i := range n {
		names[i] = strings.TrimSpace(all[offs[2*i]:offs[2*i+1]])
	}
	return newHeader(names)
}

// position returns the column of name (exactly, else in any case, as
// Fields.Get finds a column), or -1.
func (h *header) position(name string) int {
	if i, ok := h.index[name]; ok {
		return i
	}
	if i, ok := h.fold[strings.ToLower(name)]; ok {
		return i
	}
	return -1
}

func newHeader(names []string) *header {
	h := &header{names: names, index: map[string]int{}, fold: map[string]int{}, time: -1, host: -1, proto: -1, stem: -1}
	for i, n := range names {
		if _, dup := h.index[n]; !dup {
			h.index[n] = i
		}
		l := strings.ToLower(n)
		if _, dup := h.fold[l]; !dup {
			h.fold[l] = i
		}
		switch l {
		case "datetime", "date-time", "timestamp":
			if h.time < 0 {
				h.time = i
			}
		case "serverhostname", "servername":
			if h.host < 0 {
				h.host = i
			}
		case "protocol":
			h.proto = i
		case "urlstem":
			h.stem = i
		}
	}
	h.coverNeed = h.time + 1
	return h
}

// has reports whether the header has all the named columns.
func (h *header) has(names ...string) bool {
	for _, n := range names {
		if _, ok := h.fold[strings.ToLower(n)]; !ok {
			return false
		}
	}
	return true
}

// looksLikeHeader recognises a plain CSV header line (no #Fields:): it
// names a time column and has no digit-led first value.
func looksLikeHeader(line []byte) bool {
	first, _, _ := bytes.Cut(line, []byte(","))
	first = bytes.Trim(first, `" `)
	switch strings.ToLower(string(first)) {
	case "datetime", "date-time", "timestamp":
		return true
	}
	return false
}

// declaredType maps a #Log-type: value ("HttpProxy Logs", "ECP Server
// Log", "OABGenerator Log", "CmdletInfra Cmdlet Logs", ...).
func declaredType(v string) LogType {
	v = strings.ToLower(v)
	switch {
	case strings.Contains(v, "httpproxy"):
		return HttpProxy
	case strings.Contains(v, "ecp"):
		return ECP
	case strings.Contains(v, "oab"):
		return OABGenerator
	case strings.Contains(v, "cmdlet"), strings.Contains(v, "powershell"):
		return Cmdlet
	case strings.Contains(v, "http"): // "Rps Http Logs"
		return RpsHttp
	}
	return Other
}

// logType decides the type: the #Log-type: header, else the columns,
// else the folder, else Other.
func (p *parser) logType() LogType {
	if p.declared != "" && p.declared != Other {
		return p.declared
	}
	if h := p.hdr; h != nil {
		switch {
		case h.has("AnchorMailbox", "UrlStem"):
			return HttpProxy
		case h.has("UrlStem", "ShellId"):
			return RpsHttp
		case h.has("EventData"):
			return ECP
		case h.has("Cmdlet", "Parameters"):
			return Cmdlet
		}
	}
	if t := folderType(p.src); t != "" {
		return t
	}
	if p.declared != "" {
		return p.declared
	}
	return Other
}

func folderType(source string) LogType {
	s := "/" + strings.ToLower(strings.ReplaceAll(source, `\`, "/"))
	switch {
	case strings.Contains(s, "/httpproxy/"):
		return HttpProxy
	case strings.Contains(s, "/ecp/server/"):
		return ECP
	case strings.Contains(s, "/oabgeneratorlog/"):
		return OABGenerator
	case strings.Contains(s, "/cmdletinfra/") && strings.Contains(s, "/http/"):
		return RpsHttp
	case strings.Contains(s, "/cmdletinfra/"):
		return Cmdlet
	}
	return ""
}

// folderProtocol returns the HttpProxy subfolder of source ("Ecp" in
// .../Logging/HttpProxy/Ecp/HttpProxy_2021030212-1.LOG), or "".
func folderProtocol(source string) string {
	s := strings.ReplaceAll(source, `\`, "/")
	dir := path.Dir(s)
	parent := path.Base(path.Dir(dir))
	if strings.EqualFold(parent, "httpproxy") {
		return path.Base(dir)
	}
	return ""
}

// parseTime reads Exchange's ISO 8601 UTC times (2021-03-03T02:16:53.012Z)
// without allocating, falling back to RFC 3339 with an offset.
func parseTime(b []byte) (time.Time, bool) {
	if len(b) >= 19 && b[4] == '-' && b[7] == '-' && (b[10] == 'T' || b[10] == ' ') && b[13] == ':' && b[16] == ':' {
		y, ok1 := logline.Digits(b[0:4])
		mo, ok2 := logline.Digits(b[5:7])
		d, ok3 := logline.Digits(b[8:10])
		h, ok4 := logline.Digits(b[11:13])
		mi, ok5 := logline.Digits(b[14:16])
		s, ok6 := logline.Digits(b[17:19])
		rest := b[19:]
		ns := 0
		if len(rest) > 1 && rest[0] == '.' {
			j := 1
			for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
				j++
			}
			frac := rest[1:min(j, 10)]
			ns, _ = logline.Digits(frac)
			for k := len(frac); k < 9; k++ {
				ns *= 10
			}
			rest = rest[j:]
		}
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && (len(rest) == 0 || string(rest) == "Z") &&
			mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s <= 60 {
			return time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC), true
		}
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}
