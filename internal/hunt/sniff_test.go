package hunt

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
)

// Logs are found by their content, not their names: real IIS logs (the
// 2021 incident's, the Tunna lab's) renamed .txt deep in a folder, with
// no extension, or gzip-compressed under a neutral name give the same
// findings as the originals. Before, the .txt outside a log folder and the
// .gz not named u_ex* were skipped unread.
func TestLogsFoundByContent(t *testing.T) {
	iis := needReal(t, "helsecert/assembled/EXCH/inetpub/logs/LogFiles/W3SVC1")
	tunna := filepath.Join(needReal(t, "eas"), "Command_and_Control_Tunna_rdp_tunnel_IIS.log")
	originals := []string{filepath.Join(iis, "u_ex210305.log"), filepath.Join(iis, "u_ex210306.log"), filepath.Join(iis, "u_ex210308.log"), tunna}
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	orig := t.TempDir()
	for _, p := range originals {
		os.WriteFile(filepath.Join(orig, filepath.Base(p)), read(p), 0o644)
	}
	renamed := t.TempDir()
	deep := filepath.Join(renamed, "case-17", "collected", "web")
	os.MkdirAll(deep, 0o755)
	names := map[string]string{ // original → renamed
		"u_ex210305.log":     "case-17/collected/web/day-one.txt",
		"u_ex210306.log":     "case-17/collected/web/evidence-2.gz",
		"u_ex210308.log":     "case-17/collected/web/third",
		filepath.Base(tunna): "case-17/collected/web/lab.bak",
	}
	for _, p := range originals {
		data := read(p)
		to := names[filepath.Base(p)]
		if filepath.Ext(to) == ".gz" {
			data = gzipOf(t, data)
		}
		os.WriteFile(filepath.Join(renamed, filepath.FromSlash(to)), data, 0o644)
	}
	opt := builtinOptions(t)
	key := func(f finding.Finding, src string) string {
		return fmt.Sprintf("%s|%s|%d|%s|%s|%s", f.Rule, src, f.Line, f.Time.UTC().Format(time.RFC3339), f.Outcome, f.Evidence)
	}
	keys := func(r finding.HostResult, rename map[string]string) []string {
		var out []string
		for _, f := range r.Findings {
			src := f.Source
			if n, ok := rename[src]; ok {
				src = n
			}
			out = append(out, key(f, src))
		}
		slices.Sort(out)
		return out
	}
	want := keys(hunt1(t, orig, opt)[0], names)
	got := hunt1(t, renamed, opt)[0]
	if len(want) < 10 {
		t.Fatalf("only %d findings on the original logs", len(want))
	}
	if have := keys(got, nil); !slices.Equal(have, want) {
		t.Errorf("renamed logs: %d findings, want the originals' %d:\nhave %q\nwant %q", len(have), len(want), have, want)
	}
	if got.FilesExamined != 4 || len(got.NotExamined) != 0 {
		t.Errorf("renamed logs: examined %d, not examined %+v", got.FilesExamined, got.NotExamined)
	}
}
