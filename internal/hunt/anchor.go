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
	var events []int // event findings that name a file
	for i := range h.findings {
		ev := &h.findings[i]
		if ev.Kind == finding.KindEvent && (ev.Details["target_filename"] != "" || ev.Details["command_line"] != "") {
			events = append(events, i)
		}
	}
	for i := range h.findings {
		f := &h.findings[i]
		if f.Kind != finding.KindFile {
			continue
		}
		h.linkCreators(f, events)
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

// linkCreators adds, to a file finding, the event findings whose target
// file or command line names that file.
func (h *hostHunt) linkCreators(f *finding.Finding, events []int) {
	suffix := "/" + strings.ToLower(f.Source)
	name := suffix[strings.LastIndexByte(suffix, '/'):]
	// In a command line the path follows a drive (C:\root\x.dmp) or not
	// (\root\x.dmp): a drive folder of the evidence (C/root/x.dmp, as in
	// a bundle or a KAPE copy) is left out, as for a copy of C:\ itself.
	inCmd := strings.TrimPrefix(suffix, "/")
	if len(inCmd) > 2 && inCmd[1] == '/' && inCmd[0] >= 'a' && inCmd[0] <= 'z' {
		inCmd = inCmd[2:]
	}
	for _, j := range events {
		ev := &h.findings[j]
		var how string
		switch {
		case pathEndsWith(ev.Details["target_filename"], suffix, name):
			how = "created by"
		case strings.Contains(strings.ToLower(strings.ReplaceAll(ev.Details["command_line"], `\`, "/")), inCmd):
			how = "named in the command line of"
		default:
			continue
		}
		f.Related = addRef(f.Related, finding.Ref{Source: ev.Source, Line: ev.Line, Time: ev.Time,
			Note: fmt.Sprintf("%s %s: %s", how, ev.Details["process"], ev.Title)})
	}
}

// pathEndsWith compares a Windows path from an event (C:\root\lsass.dmp)
// with an evidence path: the evidence may be a copy of C:\ (root/...) or
// of a folder below it, so the longer of the two must end with the other.
func pathEndsWith(winPath, suffix, name string) bool {
	if winPath == "" {
		return false
	}
	p := strings.ToLower(strings.ReplaceAll(winPath, `\`, "/"))
	if i := strings.IndexByte(p, ':'); i >= 0 {
		p = p[i+1:]
	}
	if !strings.HasSuffix(p, name) {
		return false
	}
	return strings.HasSuffix(p, suffix) || strings.HasSuffix(suffix, p)
}
