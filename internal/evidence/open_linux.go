package evidence

import (
	"errors"
	"os"
	"syscall"
)

// openNoATime opens read-only with O_NOATIME, so reading the evidence
// does not change its access times, and O_NONBLOCK, so that a FIFO put
// where a file was listed cannot block the open. Linux allows O_NOATIME
// only to the file's owner or root (CAP_FOWNER); for anyone else the open
// fails with EPERM and is retried without it. O_NONBLOCK changes nothing
// for regular files and folders.
func openNoATime(open func(flag int) (*os.File, error)) (*os.File, error) {
	f, err := open(os.O_RDONLY | syscall.O_NOATIME | syscall.O_NONBLOCK)
	if errors.Is(err, syscall.EPERM) {
		f, err = open(os.O_RDONLY | syscall.O_NONBLOCK)
	}
	return f, err
}
