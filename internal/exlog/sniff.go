package exlog

import (
	"bytes"
	"strings"

	"github.com/exhunt/exhunt/internal/logline"
)

// Sniff recognises an Exchange log from its first bytes and says which
// type it is: a "#Software: Microsoft Exchange Server" header block (type
// from #Log-type:, else from #Fields:), or a plain CSV header line whose
// columns identify the type. Gzip heads are looked into. Header-less OAB
// generator text logs are not recognised; callers use the folder for them.
func Sniff(head []byte) (LogType, bool) {
	if logline.IsGzip(head) {
		inner, err := logline.GunzipHead(head, 8192)
		if err != nil {
			return "", false
		}
		head = inner
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	p := parser{}
	exchange := false
	data := 0
	for line := range bytes.Lines(head) {
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			continue
		}
		if line[0] != '#' {
			// A plain CSV header line may come first (Export-Csv, after
			// its #TYPE line) or before the #-block of a copied log.
			data++
			if data == 1 && p.hdr == nil && looksLikeHeader(line) {
				p.setHeaderOnly(line)
				continue
			}
			break
		}
		if strings.HasPrefix(string(line), "#Software: Microsoft Exchange Server") {
			exchange = true
		}
		name, val, _ := bytes.Cut(line[1:], []byte(":"))
		switch strings.ToLower(string(name)) {
		case "log-type":
			p.declared = declaredType(string(bytes.TrimSpace(val)))
		case "fields":
			p.setHeaderOnly(bytes.TrimSpace(val))
		}
	}
	t := p.logType()
	if exchange || t != Other && p.hdr != nil {
		return t, true
	}
	return "", false
}

// setHeaderOnly is setHeader without Stats, for Sniff.
func (p *parser) setHeaderOnly(list []byte) {
	var st Stats
	p.st = &st
	p.setHeader(list)
}
