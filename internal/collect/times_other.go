//go:build !linux && !windows

package collect

import (
	"io/fs"
	"os"
)

const openFlags = 0

func statTimes(fi fs.FileInfo) Times { return Times{Modified: fi.ModTime().UTC()} }

func handleTimes(f *os.File) (Times, error) {
	fi, err := f.Stat()
	if err != nil {
		return Times{}, err
	}
	return statTimes(fi), nil
}

func isLocked(error) bool { return false }

func isNoAtimeRefused(error) bool { return false }
