package collect

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/collect/collecttest"
)

// snapshot records what must not change in the evidence: every file's and
// folder's content, modification and access times. It reads with
// O_NOATIME itself (the tree is the test's own), so that it does not move
// the access times it records; the relatime mount here would move them
// on a plain read, since they are not newer than the modification times.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	var visit func(p string)
	visit = func(p string) {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		v := fi.ModTime().String() + "|" + time.Unix(st.Atim.Unix()).String()
		defer func() { out[p] = v }()
		if fi.Mode()&fs.ModeSymlink != 0 {
			return
		}
		f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOATIME, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if !fi.IsDir() {
			b, err := io.ReadAll(f)
			if err != nil {
				t.Fatal(err)
			}
			v += "|" + sha(b)
			return
		}
		names, err := f.Readdirnames(-1)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			visit(filepath.Join(p, n))
		}
	}
	visit(root)
	return out
}

// agedTree is the simulated tree with every folder's times set in the
// past too, so that listing a folder or reading a file would visibly move
// an access time on a relatime mount.
func agedTree(t *testing.T) string {
	root := collecttest.SimulatedC(t)
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chtimes(p, collecttest.Old, collecttest.Old)
		}
		return nil
	})
	return root
}

// TestWriteLeavesEvidenceUnchanged: collecting changes no byte, no
// modification time and no access time of any file or folder of the
// evidence (the reads use O_NOATIME; without it this test fails on the
// 117 files and folders read).
func TestWriteLeavesEvidenceUnchanged(t *testing.T) {
	root := agedTree(t)
	before := snapshot(t, root)
	p := plan(t, root, Options{Since: since, MaxSize: collecttest.MaxSize})
	if _, err := p.Write(t.Context(), filepath.Join(t.TempDir(), "b.zip"), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, root)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("the evidence changed while it was collected: %s: %s → %s", k, v, after[k])
		}
	}
	if len(after) != len(before) {
		t.Errorf("the evidence has %d entries after collection, %d before", len(after), len(before))
	}
}
