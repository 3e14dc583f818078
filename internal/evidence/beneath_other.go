//go:build !linux

package evidence

import (
	"os"
	"path/filepath"
)

type beneath struct{}

func (t *Tree) openBeneathDir(string) {}
func (t *Tree) closeBeneathDir()      {}

// openBeneath opens name, a '/'-separated path inside the folder tree,
// through os.Root.
func (t *Tree) openBeneath(name string, flag int) (*os.File, error) {
	return t.root.OpenFile(filepath.FromSlash(name), flag, 0)
}
