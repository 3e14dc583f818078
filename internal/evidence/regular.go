package evidence

import (
	"errors"
	"fmt"
	"os"
)

// ErrNotRegular is wrapped when a path given to OpenRegular is a FIFO, a
// socket, a device or a folder.
var ErrNotRegular = errors.New("not a regular file")

// OpenRegular opens the regular file at p read-only for a reader outside a
// Tree (a bundle to verify, a hash file beside it): without access-time
// update where the OS allows, never blocking on open. A FIFO, a socket, a
// device or a folder is an error wrapping ErrNotRegular that names what it
// is, returned at once: a FIFO is never opened to wait for a writer, and a
// path replaced by one after the check is refused after a non-blocking
// open.
func OpenRegular(p string) (*os.File, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		what := describeMode(st.Mode())
		if st.IsDir() {
			what = "a folder"
		}
		return nil, fmt.Errorf("%s is %s: %w", p, what, ErrNotRegular)
	}
	return openRegular(p)
}
