//go:build unix

package collect

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/evidence"
)

// within runs fn and fails the test if it has not returned after d; it
// then opens fifo for writing, which releases an open blocked on it.
func within(t *testing.T, d time.Duration, fifo string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Errorf("still running after %v: blocked on the FIFO", d)
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		<-done
	}
}

// A FIFO named as the bundle is refused at once, before it is opened (an
// open of a FIFO waits for a writer forever and no context can stop it).
func TestVerifyRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "bundle.zip")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	within(t, 5*time.Second, fifo, func() {
		rep, err := Verify(t.Context(), fifo)
		if rep != nil || !errors.Is(err, ErrNotBundle) || !errors.Is(err, evidence.ErrNotRegular) || !strings.Contains(err.Error(), "named pipe (FIFO)") {
			t.Errorf("Verify(FIFO) = %+v, %v; want ErrNotBundle naming the FIFO", rep, err)
		}
	})

	// A FIFO where the .sha256 should be: a container problem, no hang.
	good := bundle(t)
	side := good + ".sha256"
	os.Remove(side)
	if err := syscall.Mkfifo(side, 0o600); err != nil {
		t.Fatal(err)
	}
	within(t, 5*time.Second, side, func() {
		rep, err := Verify(t.Context(), good)
		if err != nil || rep.OK() || rep.Problems[0].Kind != "container" || !strings.Contains(rep.Problems[0].Detail, "named pipe") {
			t.Errorf("Verify with a FIFO .sha256 = %+v, %v; want a container problem", rep, err)
		}
	})

	// A folder is no bundle either.
	if _, err := Verify(t.Context(), dir); !errors.Is(err, ErrNotBundle) || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("Verify(folder) = %v", err)
	}
}
