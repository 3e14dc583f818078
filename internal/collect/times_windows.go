package collect

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

const openFlags = 0

// filetime converts a FILETIME (100 ns since 1601) to UTC.
func filetime(ft syscall.Filetime) *time.Time {
	t := time.Unix(0, ft.Nanoseconds()).UTC()
	return &t
}

func statTimes(fi fs.FileInfo) Times {
	t := Times{Modified: fi.ModTime().UTC()}
	if d, ok := fi.Sys().(*syscall.Win32FileAttributeData); ok {
		t.Accessed, t.Created = filetime(d.LastAccessTime), filetime(d.CreationTime)
	}
	return t
}

// fileBasicInfo is FILE_BASIC_INFO (winbase.h), which x/sys/windows does
// not declare: the four NTFS times, the change time included.
type fileBasicInfo struct {
	CreationTime, LastAccessTime, LastWriteTime, ChangeTime int64
	FileAttributes                                          uint32
	_                                                       uint32
}

// handleTimes reads the NTFS times from an open handle
// (GetFileInformationByHandleEx, FileBasicInfo) before any byte is read.
func handleTimes(f *os.File) (Times, error) {
	var bi fileBasicInfo
	err := windows.GetFileInformationByHandleEx(windows.Handle(f.Fd()), windows.FileBasicInfo, (*byte)(unsafe.Pointer(&bi)), uint32(unsafe.Sizeof(bi)))
	if err != nil {
		fi, serr := f.Stat()
		if serr != nil {
			return Times{}, serr
		}
		return statTimes(fi), nil
	}
	ft := func(v int64) *time.Time {
		return filetime(syscall.Filetime{LowDateTime: uint32(v), HighDateTime: uint32(v >> 32)})
	}
	return Times{Modified: *ft(bi.LastWriteTime), Accessed: ft(bi.LastAccessTime), Created: ft(bi.CreationTime), Changed: ft(bi.ChangeTime)}, nil
}

// isLocked: the EventLog service and some writers open files without
// sharing reads.
func isLocked(err error) bool {
	return errors.Is(err, windows.ERROR_SHARING_VIOLATION) || errors.Is(err, windows.ERROR_LOCK_VIOLATION)
}

func isNoAtimeRefused(error) bool { return false }
