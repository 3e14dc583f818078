//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHuntFIFOPath: a FIFO given as the evidence PATH hung `exhunt hunt`
// forever (issue 16.1). It is bad input now: exit 2 with a message that
// says what the path is, well within the timeout.
func TestHuntFIFOPath(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "evidence.zip")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	type result struct {
		code      int
		out, errs string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errs := cli(t, "", "hunt", "--no-store", fifo)
		done <- result{code, out, errs}
	}()
	select {
	case r := <-done:
		if r.code != 2 || !strings.Contains(r.errs, "named pipe (FIFO)") || r.out != "" {
			t.Errorf("exit %d, stdout %q, stderr %q; want 2 and a message naming the FIFO", r.code, r.out, r.errs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("exhunt hunt on a FIFO still running after 10s")
	}
	// A device is refused the same way.
	if code, _, errs := cli(t, "", "hunt", "--no-store", os.DevNull); code != 2 || !strings.Contains(errs, "device") {
		t.Errorf("hunt %s: exit %d, %q; want 2 naming a device", os.DevNull, code, errs)
	}
}
