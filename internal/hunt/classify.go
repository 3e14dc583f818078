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
	kindPE             // ExSetup.exe or an Exchange DLL: its file version is the build
)

// maxPE bounds the Exchange binaries whose version a hunt reads: they all
// carry the same build.
const maxPE = 6

// headSize is how much of a file classification reads.
const headSize = 4096

// candidateLog says whether a file may be a log worth sniffing, and is
// listed as not examined when it is none exhunt reads: .log, .csv and
// gzip files anywhere (Exchange and IIS logs are found by their headers,
// not their folders or names, so a non-default install or a flattened,
// renamed triage copy is found too), and .txt files in log folders or at
// the top of the evidence (where a handed-over log lands).
func candidateLog(f *evidence.File) bool {
	l := f.Lower()
	switch {
	case strings.HasSuffix(l, ".log"), strings.HasSuffix(l, ".gz"), strings.HasSuffix(l, ".csv"):
		return true
	case strings.HasSuffix(l, ".txt"):
		return strings.Contains(l, "/logging/") || strings.Contains(l, "/logs/") || strings.Count(l, "/") <= 1
	}
	return false
}

// classify decides from the path and the first bytes what a file is,
// and sets j.kind, and j.layout for an IIS log without a #Fields: header
// (the default layout its lines fit) or j.exType for an Exchange log.
func classify(j *job, head []byte) {
	f := j.f
	switch {
	case eventlog.IsEVTX(head):
		j.kind = kindEVTX
		return
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		// gzip-rotated: IIS logs are what gets rotated this way.
		if strings.Contains(f.Lower(), "logfiles") || strings.Contains(f.Lower(), "u_ex") {
			j.kind = kindIIS
		}
		return
	case iislog.Sniff(head):
		j.kind = kindIIS
		return
	}
	if t, ok := exlog.Sniff(head); ok {
		j.kind, j.exType = kindExLog, t
		return
	}
	if layout, ok := iislog.DefaultLayout(head); ok {
		j.kind, j.layout = kindIIS, layout
	}
}

// isEVTXPath says whether a file should be opened as an event log.
func isEVTXPath(f *evidence.File) bool { return strings.HasSuffix(f.Lower(), ".evtx") }
