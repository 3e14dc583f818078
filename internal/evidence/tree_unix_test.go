//go:build unix

package evidence

import (
	"path/filepath"
	"syscall"
	"testing"
)

// TestWalkDirSkipsFIFO: a FIFO in a folder tree is counted as skipped,
// next to the link, and never opened (opening one waits for a writer).
func TestWalkDirSkipsFIFO(t *testing.T) {
	tr, _ := walkDirTree(t, func(dir string) {
		if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	if tr.Skipped != 2 {
		t.Errorf("skipped %d, want 2 (link, fifo): %v", tr.Skipped, tr.Warnings)
	}
}
