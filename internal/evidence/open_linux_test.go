package evidence

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestNoATimeFallback: Linux refuses O_NOATIME (EPERM) to anyone but the
// file's owner or root; the open is then retried without it.
func TestNoATimeFallback(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, "x")
	var flags []int
	f, err := openNoATime(func(flag int) (*os.File, error) {
		flags = append(flags, flag)
		if flag&syscall.O_NOATIME != 0 {
			return nil, &os.PathError{Op: "open", Path: p, Err: syscall.EPERM}
		}
		return os.OpenFile(p, flag, 0)
	})
	if err != nil {
		t.Fatalf("no fallback after EPERM: %v", err)
	}
	f.Close()
	if len(flags) != 2 || flags[1]&syscall.O_NOATIME != 0 || flags[1]&syscall.O_NONBLOCK == 0 {
		t.Errorf("open flags tried: %#x; want O_NOATIME, then without it (still non-blocking)", flags)
	}
}
