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

// TestCollectVerifyFIFO: `exhunt collect --verify FIFO` waited for a writer
// forever, deaf to Ctrl-C (the open of a FIFO blocks and no context reaches
// it). It is bad input now: exit 2 naming what the path is, at once.
func TestCollectVerifyFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "bundle.zip")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	type result struct {
		code      int
		out, errs string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errs := cli(t, "", "collect", "--verify", fifo)
		done <- result{code, out, errs}
	}()
	select {
	case r := <-done:
		if r.code != 2 || !strings.Contains(r.errs, fifo+" is a named pipe (FIFO)") || r.out != "" {
			t.Errorf("exit %d, stdout %q, stderr %q; want 2 and a message naming the FIFO", r.code, r.out, r.errs)
		}
	case <-time.After(10 * time.Second):
		// Release the blocked open so the test binary can finish.
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		t.Fatal("exhunt collect --verify on a FIFO still running after 10s")
	}
	if code, _, errs := cli(t, "", "collect", "--verify", os.DevNull); code != 2 || !strings.Contains(errs, "device") {
		t.Errorf("collect --verify %s: exit %d, %q; want 2 naming a device", os.DevNull, code, errs)
	}
}
