package hunt

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/finding"
)

// layoutFiles is a LayoutDetector: its focused scope is aspnet_client,
// a path under inetpub shows a server's tree, and it flags any file
// holding "eval(" (a log line quoting a payload too, were it handed one).
type layoutFiles struct{}

func (layoutFiles) InScope(p string, _ int64, all bool) bool {
	return all || strings.Contains(strings.ToLower(p), "aspnet_client")
}

func (layoutFiles) ServerLayout(p string) bool {
	return strings.HasPrefix(strings.ToLower(p), "inetpub/")
}

func (layoutFiles) Detect(_ context.Context, f evidence.FileInfo, data []byte) []finding.Finding {
	if !bytes.Contains(data, []byte("eval(")) {
		return nil
	}
	return []finding.Finding{{Rule: "test-eval", Title: "eval", Severity: finding.High, Outcome: finding.Unknown}}
}

const (
	iisInScope  = "aspnet_client/u_ex210303.log" // in the focused scope: a log read as a log, not as a file
	notesReason = "unknown format: not an IIS W3C, Exchange or Windows event log"
	stillRead   = "; its content was still checked for web shells and tools"
)

// scopeTree writes a folder of loose files: a web shell and a .log file
// no parser reads, both outside the focused scope, a text file, and an
// IIS log whose request quotes the payload, in the focused scope; server adds a file under
// inetpub, which makes it a server's tree.
func scopeTree(t *testing.T, server bool) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "shell.aspx"), `<%@ Page Language="Jscript"%><%eval(Request.Item["p"],"unsafe");%>`)
	writeFile(t, filepath.Join(dir, "notes.log"), "hello eval( world\n")
	writeFile(t, filepath.Join(dir, "readme.md"), "nothing here\n")
	writeFile(t, filepath.Join(dir, iisInScope), "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-03-03 00:00:00\r\n"+
		"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n"+
		"2021-03-03 01:02:03 10.0.0.5 POST /aspnet_client/x.aspx p=eval(x) 443 - 203.0.113.7 - - 200 0 0 15\r\n")
	if server {
		writeFile(t, filepath.Join(dir, "inetpub/wwwroot/iisstart.htm"), "<html></html>\n")
	}
	// Files the walk passes after notes.log, so that the workers sniff it
	// while the walk goes on and it waits for the scope.
	for i := range 300 {
		writeFile(t, filepath.Join(dir, "zz", fmt.Sprintf("f%04d.dat", i)), "x\n")
	}
	return dir
}

// TestScopeWithStreamingWorkers: the scope is known only when the walk
// ends while the workers already classify files; a loose collection has
// its non-log files checked, the .log file no parser reads included, with
// the not_examined reasons the scope gives, and a server's tree keeps the
// focused scope. A log is read as a log either way, never as a web shell
// file, and the progress bar adds up.
func TestScopeWithStreamingWorkers(t *testing.T) {
	for _, server := range []bool{false, true} {
		for _, workers := range []int{1, 4} {
			opt := testOptions(t)
			opt.Files, opt.Workers = layoutFiles{}, workers
			p := &countingProgress{}
			opt.Progress = p
			res, err := Run(t.Context(), []string{scopeTree(t, server)}, opt)
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			flagged := map[string]bool{}
			for _, f := range r.Findings {
				if f.Kind == finding.KindFile {
					flagged[f.Source] = true
				}
			}
			reasons := map[string]string{}
			for _, u := range r.NotExamined {
				reasons[u.Path] = u.Reason
			}
			wantScope, wantFlagged, wantNotes := ScopeAll, map[string]bool{"shell.aspx": true, "notes.log": true}, notesReason+stillRead
			if server {
				wantScope, wantFlagged, wantNotes = ScopeFocused, map[string]bool{}, notesReason
			}
			if r.FileScope != wantScope {
				t.Errorf("server %v, %d workers: scope %q (%s), want %q", server, workers, r.FileScope, r.ScopeReason, wantScope)
			}
			if len(flagged) != len(wantFlagged) || flagged["shell.aspx"] != wantFlagged["shell.aspx"] || flagged["notes.log"] != wantFlagged["notes.log"] {
				t.Errorf("server %v, %d workers: files flagged %v, want %v", server, workers, flagged, wantFlagged)
			}
			if len(reasons) != 1 || reasons["notes.log"] != wantNotes {
				t.Errorf("server %v, %d workers: not examined %v, want notes.log: %q", server, workers, reasons, wantNotes)
			}
			if !hasLogFinding(r.Findings) {
				t.Errorf("server %v: the IIS log was not read as a log: %+v", server, r.Findings)
			}
			if p.starts != 1 || p.total == 0 || p.added != p.total {
				t.Errorf("server %v, %d workers: progress %d starts, total %d, added %d", server, workers, p.starts, p.total, p.added)
			}
		}
	}
}

func hasLogFinding(fs []finding.Finding) bool {
	for _, f := range fs {
		if f.Kind == finding.KindLog && f.Source == iisInScope {
			return true
		}
	}
	return false
}

// TestLooseSniffedBothWays: a file a worker sniffed and found to be no
// log waits for the scope while the walk goes on, and is decided at once
// after it, the same way plan decides the ones held.
func TestLooseSniffedBothWays(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "notes.log"), "hello eval( world\n")
	tree, err := evidence.Open(dir, evidence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	var f *evidence.File
	if err := tree.Walk(t.Context(), func(e *evidence.File) error { f = e; return nil }); err != nil || f == nil {
		t.Fatalf("walk: %v", err)
	}
	opt := testOptions(t)
	opt.Files = layoutFiles{}
	opt.defaults()
	hunt := func(scoped bool, scope string) *hostHunt {
		h := newHostHunt(&opt, tree)
		h.widen, h.scoped, h.scope = true, scoped, scope
		if err := h.run(t.Context(), job{f: f, sniff: true, log: true}); err != nil {
			t.Fatal(err)
		}
		return h
	}

	h := hunt(false, "")
	if len(h.loose) != 1 || h.loose[0].unknown != notesReason || !h.loose[0].log || h.unreadN != 0 || len(h.findings) != 0 {
		t.Errorf("walk going on: held %+v, %d not examined, %d findings", h.loose, h.unreadN, len(h.findings))
	}

	h = hunt(true, ScopeAll)
	if len(h.loose) != 0 || len(h.unread) != 1 || h.unread[0].Reason != notesReason+stillRead || len(h.findings) != 1 || !h.files["notes.log"].examined {
		t.Errorf("all files: held %d, not examined %+v, findings %+v", len(h.loose), h.unread, h.findings)
	}

	h = hunt(true, ScopeFocused)
	if len(h.loose) != 0 || len(h.unread) != 1 || h.unread[0].Reason != notesReason || len(h.findings) != 0 {
		t.Errorf("focused: held %d, not examined %+v, findings %+v", len(h.loose), h.unread, h.findings)
	}
}
