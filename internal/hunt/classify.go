package hunt

import (
	"bytes"
	"strings"

	"github.com/exhunt/exhunt/internal/eventlog"
	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/exlog"
	"github.com/exhunt/exhunt/internal/iislog"
)

// fileKind is what a hunt does with a file.
type fileKind int

const (
	kindNone  fileKind = iota
	kindIIS            // IIS W3C log
	kindExLog          // Exchange CSV log (HttpProxy, ECP, OABGenerator, cmdlet)
	kindEVTX           // Windows event log
)

// headSize is how much of a file classification reads.
const headSize = 4096

// candidateLog says whether a file may be a text log worth sniffing:
// .log files anywhere (Exchange and IIS logs are found by their headers,
// not their folders, so a non-default install path is found too), and
// gzip-rotated ones.
func candidateLog(f *evidence.File) bool {
	l := f.Lower()
	return strings.HasSuffix(l, ".log") || strings.HasSuffix(l, ".log.gz") || strings.HasSuffix(l, ".gz") ||
		strings.HasSuffix(l, ".txt") && strings.Contains(l, "/logging/")
}

// classify decides from the path and the first bytes what a file is.
func classify(f *evidence.File, head []byte) fileKind {
	switch {
	case eventlog.IsEVTX(head):
		return kindEVTX
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		// gzip-rotated: IIS logs are what gets rotated this way.
		if strings.Contains(f.Lower(), "logfiles") || strings.Contains(f.Lower(), "u_ex") {
			return kindIIS
		}
		return kindNone
	case iislog.Sniff(head):
		return kindIIS
	}
	if _, ok := exlog.Sniff(head); ok {
		return kindExLog
	}
	return kindNone
}

// isEVTXPath says whether a file should be opened as an event log.
func isEVTXPath(f *evidence.File) bool { return strings.HasSuffix(f.Lower(), ".evtx") }
