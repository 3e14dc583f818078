package iislog

import (
	"bytes"
	"strings"

	"github.com/exhunt/exhunt/internal/logline"
)

// Sniff reports whether head, the first bytes of a file, look like an IIS
// W3C log: a "#Software: Microsoft Internet Information Services" directive
// or a "#Fields: date time" header near the top. Gzip heads are looked into.
func Sniff(head []byte) bool {
	if logline.IsGzip(head) {
		inner, err := logline.GunzipHead(head, 4096)
		if err != nil {
			return false
		}
		head = inner
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	return bytes.Contains(head, []byte("#Software: Microsoft Internet Information Services")) ||
		bytes.Contains(head, []byte("#Fields: date time"))
}

// The W3C fields IIS logs by default, which Exchange does not change
// (both of its sites, Default Web Site and Exchange Back End, log them):
// IIS 8.5 and later, and IIS 7.5 before cs(Referer) joined the defaults.
// Sources: Microsoft Learn, "Configure Logging in IIS" (default W3C
// fields), and the Exchange IIS log description of
// github.com/Qazeer/artefacts.help, pages/others/microsoft_exchange.md.
const (
	ExchangeDefaultFields = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken"
	IIS75DefaultFields    = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken"
)

// DefaultLayout recognises an IIS log excerpt without its #Fields: header
// whose lines fit one of IIS's default field layouts, and returns that
// layout for Options.DefaultFields. Every one of the first (up to 20)
// lines that start with a date must fit: a date, a time, an upper-case
// method, a path, a port, an address and a three-digit status at the
// layout's places. Other lines (separators, notes) are ignored; a head
// with a #Fields: header or no fitting line is not recognised.
func DefaultLayout(head []byte) (string, bool) {
	if Sniff(head) || bytes.Contains(head, []byte("#Fields:")) {
		return "", false
	}
	if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
		head = head[:i+1] // the last line of a head may be cut short
	}
	layout, seen := "", 0
	for line := range bytes.Lines(head) {
		line = bytes.TrimRight(line, "\r\n ")
		if len(line) < 10 || line[0] < '0' || line[0] > '9' || line[4] != '-' {
			continue
		}
		f := strings.Fields(string(line))
		var want string
		switch len(f) {
		case 15:
			want = ExchangeDefaultFields
		case 14:
			want = IIS75DefaultFields
		default:
			return "", false
		}
		if !fitsDefault(f) || layout != "" && layout != want {
			return "", false
		}
		layout = want
		if seen++; seen == 20 {
			break
		}
	}
	return layout, layout != ""
}

// fitsDefault checks the fixed places of a default-layout line.
func fitsDefault(f []string) bool {
	status := f[len(f)-4]
	if len(f[0]) != 10 || len(f[1]) < 8 || f[1][2] != ':' || f[1][5] != ':' {
		return false
	}
	for _, c := range f[3] {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	if f[3] == "" || !strings.HasPrefix(f[4], "/") || len(status) != 3 {
		return false
	}
	for _, s := range []string{f[6], status} {
		for _, c := range s {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}
