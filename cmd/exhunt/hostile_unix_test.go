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

// cliOnFIFO runs exhunt with args, where "FIFO" stands for a new named
// pipe, and fails the test if it is still running after 10 s (it then
// opens the FIFO for writing, which releases an open blocked on it).
func cliOnFIFO(t *testing.T, name string, args ...string) (fifo string, code int, out, errs string) {
	t.Helper()
	fifo = filepath.Join(t.TempDir(), name)
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	for i, a := range args {
		if a == "FIFO" {
			args[i] = fifo
		}
	}
	type result struct {
		code      int
		out, errs string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errs := cli(t, "", args...)
		done <- result{code, out, errs}
	}()
	select {
	case r := <-done:
		return fifo, r.code, r.out, r.errs
	case <-time.After(10 * time.Second):
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		t.Fatalf("exhunt %s on a FIFO still running after 10s", strings.Join(args, " "))
	}
	return
}

// TestHuntFIFOPath: a FIFO given as the evidence PATH hung `exhunt hunt`
// forever (issue 16.1). It is bad input now: exit 2 with a message that
// says what the path is, well within the timeout.
func TestHuntFIFOPath(t *testing.T) {
	_, code, out, errs := cliOnFIFO(t, "evidence.zip", "hunt", "--no-store", "FIFO")
	if code != 2 || !strings.Contains(errs, "named pipe (FIFO)") || out != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 and a message naming the FIFO", code, out, errs)
	}
	// A device is refused the same way.
	if code, _, errs := cli(t, "", "hunt", "--no-store", os.DevNull); code != 2 || !strings.Contains(errs, "device") {
		t.Errorf("hunt %s: exit %d, %q; want 2 naming a device", os.DevNull, code, errs)
	}
}

// TestCollectVerifyFIFO: `exhunt collect --verify FIFO` waited for a writer
// forever, deaf to Ctrl-C (the open of a FIFO blocks and no context reaches
// it). It is bad input now: exit 2 naming what the path is, at once.
func TestCollectVerifyFIFO(t *testing.T) {
	fifo, code, out, errs := cliOnFIFO(t, "bundle.zip", "collect", "--verify", "FIFO")
	if code != 2 || !strings.Contains(errs, fifo+" is a named pipe (FIFO)") || out != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 and a message naming the FIFO", code, out, errs)
	}
	if code, _, errs := cli(t, "", "collect", "--verify", os.DevNull); code != 2 || !strings.Contains(errs, "device") {
		t.Errorf("collect --verify %s: exit %d, %q; want 2 naming a device", os.DevNull, code, errs)
	}
}
