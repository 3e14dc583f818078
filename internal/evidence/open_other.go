//go:build !unix

package evidence

import "os"

// openNoATime opens read-only. Windows has no open flag that keeps the
// last-access time; NTFS updates it only when the system's
// DisableLastAccess setting allows (off by default on most installs).
func openNoATime(open func(flag int) (*os.File, error)) (*os.File, error) {
	return open(os.O_RDONLY)
}
