package hunt

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"github.com/exhunt/exhunt/internal/eventlog"
	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/exlog"
	"github.com/exhunt/exhunt/internal/iislog"
	"github.com/exhunt/exhunt/internal/logline"
	"github.com/exhunt/exhunt/internal/safetext"
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

// mayHoldLog says whether a file that candidateLog does not name as a log
// is still sniffed for a log's header: any file but those whose extension
// names a format that is never a text log or an event log (programs,
// pages, images, documents, ...). A log renamed .txt, .bak, .dat or with
// no extension at all is found by its content; files that turn out to be
// no log are not listed as not examined. The sniff is one read of
// headSize bytes.
func mayHoldLog(f *evidence.File) bool {
	if f.Size == 0 {
		return false
	}
	ext := path.Ext(f.Lower())
	// A page or script is never read as a log, or a web shell that opens
	// with a log header would be parsed instead of checked.
	return !notLogExt[ext] && !runnable[ext]
}

// notLogExt are the extensions of files that are never sniffed for a
// log header (their format says what they are).
var notLogExt = map[string]bool{
	".dll": true, ".exe": true, ".sys": true, ".mui": true, ".cat": true, ".manifest": true, ".ocx": true, ".cpl": true,
	".drv": true, ".tlb": true, ".pdb": true, ".msi": true, ".msp": true, ".cab": true, ".nls": true, ".mof": true,
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".ico": true, ".bmp": true, ".svg": true, ".webp": true,
	".ttf": true, ".otf": true, ".woff": true, ".woff2": true, ".eot": true, ".css": true, ".js": true, ".map": true,
	".aspx": true, ".ashx": true, ".asmx": true, ".ascx": true, ".asax": true, ".master": true, ".svc": true, ".soap": true,
	".config": true, ".xml": true, ".xsd": true, ".xsl": true, ".xslt": true, ".json": true, ".html": true, ".htm": true,
	".resx": true, ".resources": true, ".ps1": true, ".psm1": true, ".psd1": true, ".ps1xml": true, ".cs": true, ".vb": true,
	".pdf": true, ".doc": true, ".docx": true, ".xls": true, ".xlsx": true, ".ppt": true, ".pptx": true, ".lnk": true,
	".edb": true, ".chk": true, ".jrs": true, ".jfm": true, ".stm": true, ".mdmp": true, ".dmp": true, ".etl": true, ".pf": true,
}

// classify decides from the path and the first bytes what a file is,
// and sets j.kind, and j.layout for an IIS log without a #Fields: header
// (the default layout its lines fit) or j.exType for an Exchange log; or
// j.archive, why its content cannot be read, for an archive exhunt does
// not open. A gzip file is classified by what it decompresses to: a
// compressed IIS or Exchange log is read as one, whatever its name.
func classify(j *job, head []byte) {
	if logline.IsGzip(head) {
		inner, err := logline.GunzipHead(head, headSize)
		switch {
		case err != nil:
			j.archive = "not a valid gzip file: " + err.Error()
			return
		case isTar(inner):
			j.archive = "a tar.gz archive: tar.gz archives are not read; extract it or give a zip"
			return
		case eventlog.IsEVTX(inner):
			j.archive = "a gzip-compressed event log: event logs are read uncompressed; decompress it"
			return
		}
		// The parsers decompress gzip input themselves.
		if classifyText(j, inner); j.kind == kindNone {
			j.archive = "a gzip file that holds no IIS or Exchange log: its content was not examined; decompress it"
		}
		return
	}
	if eventlog.IsEVTX(head) {
		j.kind = kindEVTX
		return
	}
	if j.archive = archiveReason(j.f, head); j.archive != "" {
		return
	}
	classifyText(j, head)
}

// classifyText classifies a plain (uncompressed) head.
func classifyText(j *job, head []byte) {
	if iislog.Sniff(head) {
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

// isTar says whether head starts a POSIX (ustar) tar archive.
func isTar(head []byte) bool {
	return len(head) >= 262 && bytes.Equal(head[257:262], []byte("ustar"))
}

// archiveMagic are the leading bytes of the archive formats exhunt does
// not open (a zip given as the evidence path is opened by the evidence
// package; gzip is handled by classify).
var archiveMagic = []struct {
	magic, name string
}{
	{"7z\xbc\xaf\x27\x1c", "a 7z archive"},
	{"Rar!\x1a\x07", "a RAR archive"},
	{"\xfd7zXZ\x00", "an xz-compressed file"},
	{"\x28\xb5\x2f\xfd", "a zstd-compressed file"},
}

// archiveReason says why the content of an archive cannot be examined,
// from its first bytes (never its name), or "" if it is none. A file
// named .zip that is not one says so.
func archiveReason(f *evidence.File, head []byte) string {
	for _, m := range archiveMagic {
		if bytes.HasPrefix(head, []byte(m.magic)) {
			return m.name + ": its content is not read; extract it or give a zip"
		}
	}
	switch {
	case len(head) >= 10 && bytes.HasPrefix(head, []byte("BZh")) && head[3] >= '1' && head[3] <= '9' && bytes.HasPrefix(head[4:], []byte("1AY&SY")):
		return "a bzip2-compressed file: its content is not read; extract it or give a zip"
	case isTar(head):
		return "a tar archive: tar archives are not read; extract it or give a zip"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		if strings.HasSuffix(f.Lower(), ".zip") {
			return "a zip inside the evidence: only a zip given as the evidence PATH is opened; extract it or give it as its own PATH"
		}
	case strings.HasSuffix(f.Lower(), ".zip"):
		return fmt.Sprintf("not a valid zip: no zip signature (it starts with %q)", safetext.Truncate(string(head[:min(len(head), 8)]), 40))
	}
	return ""
}

// isEVTXPath says whether a file should be opened as an event log.
func isEVTXPath(f *evidence.File) bool { return strings.HasSuffix(f.Lower(), ".evtx") }

// archiveNote is an archive whose content exhunt does not read.
type archiveNote struct {
	path, reason string
	scanned      bool // its bytes went through the file checks
}

// noteArchive records an archive for decideArchives: whether it counts as
// examined depends on the evidence's layout, known when the walk ends.
func (h *hostHunt) noteArchive(path, reason string, scanned bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.archives = append(h.archives, archiveNote{path, reason, scanned})
}

// decideArchives settles what the archives of the evidence count as. In
// a server's tree an archive is one of the server's files (an attacker's
// staged 7z in Windows\Temp): checked by the file checks like any other,
// examined when it was. Anywhere else (an archive given as the evidence
// PATH, a folder of collected files) it is the evidence itself, packed:
// its content was not read, so it is not examined, with why, even when
// the file checks read its bytes.
func (h *hostHunt) decideArchives() {
	for _, a := range h.archives {
		switch {
		case h.server && a.scanned:
			h.examinedFile(a.path, "")
		case h.server:
		case a.scanned:
			h.unexamined(a.path, a.reason+"; its bytes were still checked for web shells, tools and staged archives")
		default:
			h.unexamined(a.path, a.reason)
		}
	}
	h.archives = nil
}
