package hunt

import (
	"fmt"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
)

// anchorFileTimes ties suspicious files to the event records that created
// them (Sysmon 11 TargetFilename, a command line naming the file), then
// fixes each file finding's place on the timeline. A file's modification
// time is weak evidence: attackers timestomp, and a copy of the evidence
// made without preserving times (a git checkout, robocopy without /DCOPY)
// stamps every file with the copy's time. When the mtime lies after every
// log record, the file is placed at the earliest record that wrote,
// created or requested it; with no such record it gets no time at all
// rather than a misleading one, and the mtime stays in details.
func (h *hostHunt) anchorFileTimes() {
	var logEnd time.Time
	for _, c := range h.coverage {
		if c.last.After(logEnd) {
			logEnd = c.last
		}
	}
	links := h.creators()
	for i := range h.findings {
		f := &h.findings[i]
		if f.Kind != finding.KindFile {
			continue
		}
		var seen map[refPlace]bool // places already told, when there are several links
		if len(links[i]) > 1 {
			seen = refPlaces(f.Related)
		}
		for _, l := range links[i] {
			ev := &h.findings[l.event]
			r := finding.Ref{Source: ev.Source, Line: ev.Line, Time: ev.Time,
				Note: fmt.Sprintf("%s %s: %s", l.how, ev.Details["process"], ev.Title)}
			switch {
			case seen == nil:
				f.Related = addRef(f.Related, r)
			case !seen[refPlace{r.Source, r.Line}]:
				seen[refPlace{r.Source, r.Line}] = true
				f.Related = append(f.Related, r)
			}
		}
		if logEnd.IsZero() || f.Time.IsZero() || !f.Time.After(logEnd) {
			continue
		}
		if f.Details == nil {
			f.Details = map[string]string{}
		}
		f.Details["mtime"] = f.Time.UTC().Format(time.RFC3339)
		var first time.Time
		for _, r := range f.Related {
			if !r.Time.IsZero() && (first.IsZero() || r.Time.Before(first)) {
				first = r.Time
			}
		}
		if first.IsZero() {
			f.Time = time.Time{}
			f.Details["time_source"] = fmt.Sprintf("none: the file's modification time (%s) is after every log record (%s), probably the time the evidence was copied", f.Details["mtime"], logEnd.UTC().Format(time.RFC3339))
			continue
		}
		f.Time = first
		f.Details["time_source"] = fmt.Sprintf("the first log or event record that wrote, created or requested the file; its modification time (%s) is after every log record, probably the time the evidence was copied", f.Details["mtime"])
	}
}

// creatorLink is an event finding that names a file finding's file.
type creatorLink struct {
	event int
	how   string
}

// creators finds, for each file finding, the event findings whose target
// file or command line names that file, in event order: the events are
// indexed by the base name of their target file, and each command line is
// searched once for every flagged file's path (cmdLinePath; see
// substrings), so the pass is linear in files and events.
func (h *hostHunt) creators() map[int][]creatorLink {
	byBase := map[string][]int{} // "/name" of a target file → events
	paths := newSubstrings()     // flagged files' paths → file findings
	for i := range h.findings {
		f := &h.findings[i]
		switch {
		case f.Kind == finding.KindFile:
			paths.add(cmdLinePath(f.Source), i)
		case f.Kind == finding.KindEvent && f.Details["target_filename"] != "":
			if p := winPathLower(f.Details["target_filename"]); strings.IndexByte(p, '/') >= 0 {
				k := p[strings.LastIndexByte(p, '/'):]
				byBase[k] = append(byBase[k], i)
			}
		}
	}
	named := map[int][]int{} // file finding → events whose command line names it
	for j := range h.findings {
		ev := &h.findings[j]
		if ev.Kind != finding.KindEvent || ev.Details["command_line"] == "" {
			continue
		}
		files, ops := paths.find(strings.ToLower(strings.ReplaceAll(ev.Details["command_line"], `\`, "/")))
		h.ops.creators += ops
		for _, i := range files {
			named[i] = append(named[i], j)
		}
	}
	links := map[int][]creatorLink{}
	for i := range h.findings {
		f := &h.findings[i]
		if f.Kind != finding.KindFile {
			continue
		}
		suffix := "/" + strings.ToLower(f.Source)
		name := suffix[strings.LastIndexByte(suffix, '/'):]
		// Both lists are in event order: merge them.
		a, b := byBase[name], named[i]
		for len(a) > 0 || len(b) > 0 {
			h.ops.creators++
			var j int
			inCmd := false
			switch {
			case len(b) == 0 || len(a) > 0 && a[0] < b[0]:
				j, a = a[0], a[1:]
			case len(a) == 0 || b[0] < a[0]:
				j, b, inCmd = b[0], b[1:], true
			default: // the same event in both
				j, a, b, inCmd = a[0], a[1:], b[1:], true
			}
			switch {
			case pathEndsWith(h.findings[j].Details["target_filename"], suffix, name):
				links[i] = append(links[i], creatorLink{j, "created by"})
			case inCmd:
				links[i] = append(links[i], creatorLink{j, "named in the command line of"})
			}
		}
	}
	return links
}

// cmdLinePath is how a file of the evidence is named in a command line,
// lower-case with '/' separators: the path follows a drive (C:\root\x.dmp)
// or not (\root\x.dmp), so a drive folder of the evidence (C/root/x.dmp,
// as in a bundle or a KAPE copy) is left out, as for a copy of C:\ itself.
func cmdLinePath(source string) string {
	p := strings.ToLower(source)
	if len(p) > 2 && p[1] == '/' && p[0] >= 'a' && p[0] <= 'z' {
		p = p[2:]
	}
	return p
}

// pathEndsWith compares a Windows path from an event (C:\root\lsass.dmp)
// with an evidence path: the evidence may be a copy of C:\ (root/...) or
// of a folder below it, so the longer of the two must end with the other.
func pathEndsWith(winPath, suffix, name string) bool {
	if winPath == "" {
		return false
	}
	p := winPathLower(winPath)
	if !strings.HasSuffix(p, name) {
		return false
	}
	return strings.HasSuffix(p, suffix) || strings.HasSuffix(suffix, p)
}

// winPathLower is a Windows path in lower case with '/' separators and
// without its drive (C:\root\x.dmp → /root/x.dmp).
func winPathLower(winPath string) string {
	p := strings.ToLower(strings.ReplaceAll(winPath, `\`, "/"))
	if i := strings.IndexByte(p, ':'); i >= 0 {
		p = p[i+1:]
	}
	return p
}
