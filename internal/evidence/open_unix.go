//go:build unix && !linux

package evidence

import (
	"os"
	"syscall"
)

// openNoATime opens read-only with O_NONBLOCK, so that a FIFO put where a
// file was listed cannot block the open. These systems have no O_NOATIME:
// whether reading updates access times depends on the mount (noatime,
// relatime).
func openNoATime(open func(flag int) (*os.File, error)) (*os.File, error) {
	return open(os.O_RDONLY | syscall.O_NONBLOCK)
}
