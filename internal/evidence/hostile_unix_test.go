//go:build unix

package evidence

import (
	"archive/zip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// within runs fn and fails the test if it has not returned after d: the
// regressions below used to hang forever.
func within(t *testing.T, d time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still blocked after %v", d)
	}
}

// TestOpenFIFO: a FIFO given as the evidence PATH hung `exhunt hunt`
// forever (the zip check opened it, and opening a FIFO waits for a
// writer). Now it is an ErrEvidence naming what it is, at once.
func TestOpenFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "evidence.zip")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	var err error
	within(t, 5*time.Second, func() { _, err = Open(fifo, Options{}) })
	if !errors.Is(err, ErrEvidence) || !strings.Contains(err.Error(), "named pipe (FIFO)") {
		t.Errorf("Open(FIFO) = %v, want an ErrEvidence naming a named pipe", err)
	}
	// A link to a FIFO is the same.
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(fifo, link)
	within(t, 5*time.Second, func() { _, err = Open(link, Options{}) })
	if !errors.Is(err, ErrEvidence) {
		t.Errorf("Open(link to FIFO) = %v, want ErrEvidence", err)
	}
	if _, err := Open("/dev/null", Options{}); !errors.Is(err, ErrEvidence) || !strings.Contains(err.Error(), "character device") {
		t.Errorf("Open(/dev/null) = %v, want an ErrEvidence naming a device", err)
	}
}

// TestFileSwappedForFIFO: a file listed by Walk and replaced by a FIFO
// before it is read gives an error, not a hang.
func TestFileSwappedForFIFO(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "inetpub", "wwwroot", "a.aspx")
	writeFile(t, p, "x")
	tr, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var files []*File
	tr.Walk(context.Background(), func(f *File) error { files = append(files, f); return nil })
	if len(files) != 1 {
		t.Fatalf("%d files, want 1", len(files))
	}
	os.Remove(p)
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skip(err)
	}
	within(t, 5*time.Second, func() {
		rc, err := files[0].Open()
		if err == nil {
			rc.Close()
			t.Error("opened a FIFO as a file")
		} else if !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("error %v does not say the file is not regular", err)
		}
	})
	// The same for a single-file tree.
	single := filepath.Join(t.TempDir(), "u_ex210303.log")
	writeFile(t, single, "#Software: Microsoft Internet Information Services 10.0\n")
	tr2, err := Open(single, Options{})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(single)
	syscall.Mkfifo(single, 0o644)
	within(t, 5*time.Second, func() {
		tr2.Walk(context.Background(), func(f *File) error {
			if rc, err := f.Open(); err == nil {
				rc.Close()
				t.Error("opened a FIFO as the single evidence file")
			}
			return nil
		})
	})
}

// TestNoATime: on Linux, reading files and listing folders of the
// evidence as their owner (or root) leaves their access times alone
// (O_NOATIME). The test first shows that this filesystem does record
// access times on a plain read, else there is nothing to prove.
func TestNoATime(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("O_NOATIME is Linux only")
	}
	dir := t.TempDir()
	sub := filepath.Join(dir, "inetpub", "wwwroot")
	p := filepath.Join(sub, "a.aspx")
	writeFile(t, p, "<%@ Page %>")
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	mtime := time.Date(2021, 3, 3, 1, 2, 3, 0, time.UTC)
	reset := func() {
		for _, q := range []string{p, sub} {
			if err := os.Chtimes(q, old, mtime); err != nil {
				t.Fatal(err)
			}
		}
	}
	atime := func(q string) time.Time {
		var st syscall.Stat_t
		if err := syscall.Stat(q, &st); err != nil {
			t.Fatal(err)
		}
		return time.Unix(st.Atim.Sec, st.Atim.Nsec).UTC()
	}
	// Control: with relatime, an atime older than the mtime is updated by
	// a plain read and a plain listing.
	reset()
	os.ReadFile(p)
	os.ReadDir(sub)
	if atime(p).Equal(old) || atime(sub).Equal(old) {
		t.Skip("this filesystem does not update access times (noatime mount): nothing to compare")
	}
	reset()
	tr, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	got := walkAll(t, tr)
	if got["inetpub/wwwroot/a.aspx"] != "<%@ Page %>" {
		t.Fatalf("walk read %q", got)
	}
	if a := atime(p); !a.Equal(old) {
		t.Errorf("reading the file changed its access time to %v", a)
	}
	if a := atime(sub); !a.Equal(old) {
		t.Errorf("listing the folder changed its access time to %v", a)
	}
	// The single-file and zip paths too.
	zp := makeZip(t, map[string]string{"a.txt": "x"}, zip.Store)
	for _, q := range []string{p, zp} {
		if err := os.Chtimes(q, old, mtime); err != nil {
			t.Fatal(err)
		}
		tr, err := Open(q, Options{})
		if err != nil {
			t.Fatal(err)
		}
		walkAll(t, tr)
		tr.Close()
		if a := atime(q); !a.Equal(old) {
			t.Errorf("%s: reading it as evidence changed its access time to %v", q, a)
		}
	}
}

// TestOverRatioHead: a web shell padded with 4 MiB of spaces compresses
// over 200:1. It used to be skipped unread; now it is handed out with
// Head and OverRatio set, and Open reads only its head, which holds the
// shell.
func TestOverRatioHead(t *testing.T) {
	shell := `<%@ Page Language="Jscript"%><%eval(Request.Item["z"],"unsafe");%>`
	p := makeZip(t, map[string]string{"C/inetpub/wwwroot/aspnet_client/x.aspx": shell + strings.Repeat(" ", 4<<20)}, zip.Deflate)
	tr, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	n := 0
	tr.Walk(context.Background(), func(f *File) error {
		n++
		if f.Head != 1<<20 || f.OverRatio <= 200 || f.Size != int64(len(shell)+4<<20) {
			t.Errorf("Head %d, OverRatio %d, Size %d; want 1 MiB, over 200, the declared size", f.Head, f.OverRatio, f.Size)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if len(b) != 1<<20 || !strings.HasPrefix(string(b), shell) {
			t.Errorf("read %d bytes, want the first MiB with the shell", len(b))
		}
		ra, err := f.OpenReaderAt()
		if err != nil {
			t.Fatal(err)
		}
		defer ra.Close()
		var one [1]byte
		if _, err := ra.ReadAt(one[:], 1<<20); err != io.EOF {
			t.Errorf("random access past the head: %v, want EOF (the temp copy holds only the head)", err)
		}
		return nil
	})
	if n != 1 || tr.Skipped != 0 {
		t.Errorf("%d files walked, %d skipped; want 1, 0", n, tr.Skipped)
	}
}
