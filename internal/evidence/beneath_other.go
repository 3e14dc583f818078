//go:build !linux

package evidence

import "io"

type beneath struct{}

func (t *Tree) openBeneathDir(string) {}
func (t *Tree) closeBeneathDir()      {}

// openFast is Linux's one-call open (openat2); elsewhere files are opened
// through os.Root.
func (t *Tree) openFast(string) (io.ReadCloser, bool, error) { return nil, false, nil }
