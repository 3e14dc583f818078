package collect

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// openFlags keeps reads from moving the access time where the kernel
// allows it (O_NOATIME needs the file's owner or CAP_FOWNER; open retries
// without it).
const openFlags = syscall.O_NOATIME

func statTimes(fi fs.FileInfo) Times {
	t := Times{Modified: fi.ModTime().UTC()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		a := time.Unix(st.Atim.Unix()).UTC()
		c := time.Unix(st.Ctim.Unix()).UTC()
		t.Accessed, t.Changed = &a, &c
	}
	return t
}

// handleTimes reads all four times, birth time included, from an open
// file (statx), before any byte is read.
func handleTimes(f *os.File) (Times, error) {
	var st unix.Statx_t
	if err := unix.Statx(int(f.Fd()), "", unix.AT_EMPTY_PATH, unix.STATX_BASIC_STATS|unix.STATX_BTIME, &st); err != nil {
		fi, err := f.Stat()
		if err != nil {
			return Times{}, err
		}
		return statTimes(fi), nil
	}
	ts := func(s unix.StatxTimestamp) *time.Time {
		t := time.Unix(s.Sec, int64(s.Nsec)).UTC()
		return &t
	}
	t := Times{Modified: *ts(st.Mtime), Accessed: ts(st.Atime), Changed: ts(st.Ctime)}
	if st.Mask&unix.STATX_BTIME != 0 {
		t.Created = ts(st.Btime)
	}
	return t, nil
}

func isLocked(error) bool { return false }

// isNoAtimeRefused says whether open failed only because of O_NOATIME.
func isNoAtimeRefused(err error) bool { return errors.Is(err, syscall.EPERM) }
