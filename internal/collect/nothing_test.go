package collect

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/collect/collecttest"
)

// writeRoot collects root into a fresh folder and returns the error and
// what the output folder holds afterwards.
func writeRoot(t *testing.T, root string, opt Options, prepare func(*Plan)) ([]string, error) {
	t.Helper()
	src, err := RootSource(root, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(t.Context(), src, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if prepare != nil {
		prepare(p)
	}
	outDir := t.TempDir()
	_, err = p.Write(t.Context(), filepath.Join(outDir, "b.zip"), WriteOptions{})
	left, _ := filepath.Glob(filepath.Join(outDir, "*"))
	hidden, _ := filepath.Glob(filepath.Join(outDir, ".*"))
	return append(left, hidden...), err
}

// A collection that finds nothing writes no bundle (it used to write a
// 0-file bundle and succeed) and says where it looked; a root with only
// files exhunt does not look for, or only loose files at the top of the
// drive, is the same. One real IIS log is enough to collect.
func TestWriteNothing(t *testing.T) {
	for _, c := range []struct {
		name  string
		files []collecttest.File
		opt   Options
		want  []string
	}{
		{"empty folder", nil, Options{}, []string{
			"nothing collected from", "no bundle written", `iis-log: C:\Windows\System32\LogFiles\HTTPERR, C:\inetpub\logs\LogFiles\W3SVC*`,
			`event-log: C:\Windows\System32\winevt\Logs\Application.evtx`, "exchange-log: %ExchangeInstallPath%\\Logging\\HttpProxy",
			"no Exchange install found", "is --root the server's system drive"}},
		{"only files exhunt does not look for", []collecttest.File{
			{Path: "Users/bob/Documents/notes.txt", Data: "x", MTime: collecttest.Recent},
			{Path: "Program Files/App/app.exe", Data: "MZ", MTime: collecttest.Recent},
			{Path: "Data/export.csv", Data: "a,b", MTime: collecttest.Recent},
		}, Options{}, []string{"nothing collected from", "looked for, not found (41 places)"}},
		{"only loose files at the top", []collecttest.File{
			{Path: "readme.txt", Data: "x", MTime: collecttest.Recent},
			{Path: "Users/bob/notes.txt", Data: "x", MTime: collecttest.Recent},
		}, Options{}, []string{`but 1 file at the top of the drive (C:\readme.txt)`, "no bundle written"}},
		{"every log before --since", []collecttest.File{
			{Path: "inetpub/logs/LogFiles/W3SVC1/u_ex191231.log", Data: "#Software: Microsoft Internet Information Services 10.0\r\n", MTime: collecttest.Old},
		}, Options{Since: since}, []string{"found, not collected (1)", `C:\inetpub\logs\LogFiles\W3SVC1\u_ex191231.log`, "widen --since"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			collecttest.Write(t, root, c.files)
			left, err := writeRoot(t, root, c.opt, nil)
			if !errors.Is(err, ErrNothing) {
				t.Fatalf("err = %v, want ErrNothing", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message lacks %q:\n%v", w, err)
				}
			}
			if len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}

	// The near-miss twin: one IIS log in its folder is a bundle.
	root := t.TempDir()
	collecttest.Write(t, root, []collecttest.File{
		{Path: "readme.txt", Data: "x", MTime: collecttest.Recent},
		{Path: "inetpub/logs/LogFiles/W3SVC1/u_ex210305.log", Data: "#Software: Microsoft Internet Information Services 10.0\r\n", MTime: collecttest.Recent},
	})
	if left, err := writeRoot(t, root, Options{}, nil); err != nil || len(left) != 2 {
		t.Errorf("one IIS log: %v, folder holds %v (want the bundle and its .sha256)", err, left)
	}

	// Planned, but gone by the time it is copied: no bundle either, and
	// the partial file is removed.
	left, err := writeRoot(t, root, Options{}, func(p *Plan) {
		os.Remove(filepath.Join(root, "inetpub/logs/LogFiles/W3SVC1/u_ex210305.log"))
		os.Remove(filepath.Join(root, "readme.txt"))
	})
	if !errors.Is(err, ErrNothing) || !strings.Contains(err.Error(), "none of the 2 files planned could be read") || len(left) > 0 {
		t.Errorf("files gone before the copy: %v, left %v", err, left)
	}
}
