package evidence

import (
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// noOpenat2 is set once openat2 proved unavailable (Linux before 5.6, or
// a seccomp filter that refuses it).
var noOpenat2 atomic.Bool

// beneath holds the evidence folder open for openat2.
type beneath struct{ dir *os.File }

// openBeneathDir opens the folder p for openBeneath; without it, files
// are opened through os.Root.
func (t *Tree) openBeneathDir(p string) {
	if noOpenat2.Load() {
		return
	}
	if f, err := os.OpenFile(p, os.O_RDONLY|unix.O_DIRECTORY|unix.O_PATH, 0); err == nil {
		t.beneath.dir = f
	}
}

func (t *Tree) closeBeneathDir() {
	if t.beneath.dir != nil {
		t.beneath.dir.Close()
	}
}

// openBeneath opens name, a '/'-separated path inside the folder tree,
// with one openat2 call that the kernel confines to the tree
// (RESOLVE_BENEATH, no symbolic links): as safe as os.Root, which opens
// each folder on the way in turn, but one system call at any depth
// instead of two per level. Where openat2 is unavailable, or the path
// holds a symbolic link (os.Root follows those that stay inside), the
// open goes through os.Root.
func (t *Tree) openBeneath(name string, flag int) (*os.File, error) {
	if t.beneath.dir != nil && !noOpenat2.Load() {
		how := unix.OpenHow{Flags: uint64(flag | unix.O_CLOEXEC), Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
		var fd int
		var err error
		for {
			fd, err = unix.Openat2(int(t.beneath.dir.Fd()), name, &how)
			if !errors.Is(err, unix.EINTR) {
				break
			}
		}
		switch {
		case err == nil:
			return os.NewFile(uintptr(fd), filepath.Join(t.Name, name)), nil
		case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EPERM) && flag&unix.O_NOATIME == 0:
			// No openat2 here (an EPERM without O_NOATIME is a seccomp
			// filter, not a permission: those are EACCES).
			noOpenat2.Store(true)
		case errors.Is(err, unix.ELOOP), errors.Is(err, unix.EXDEV), errors.Is(err, unix.EAGAIN):
			// A symbolic link on the way, or a rename raced the lookup.
		default:
			return nil, &os.PathError{Op: "openat2", Path: name, Err: err}
		}
	}
	return t.root.OpenFile(filepath.FromSlash(name), flag, 0)
}
