package evidence

import (
	"io"
	"os"
	"path/filepath"
	"strings"
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

// TestOpenFast: files of a folder tree open with one openat2 call, read
// and read at offsets like files; a path through a symbolic link goes
// through os.Root instead, which follows a link that stays inside the
// tree and refuses one that leaves it.
func TestOpenFast(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "real", "deep", "f.log"), "0123456789")
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret.log"), "secret")
	if err := os.Symlink("real", filepath.Join(dir, "inside")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	tr, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	open := func(p string) (io.ReadCloser, error) { return (&File{Path: p, tree: tr}).Open() }

	rc, err := open("real/deep/f.log")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rc.(*fdFile); !ok && !noOpenat2.Load() {
		t.Errorf("opened as %T, want an openat2 fdFile", rc)
	}
	b, err := io.ReadAll(rc)
	var at [4]byte
	n, errAt := rc.(ReaderAt).ReadAt(at[:], 8)
	rc.Close()
	if err != nil || string(b) != "0123456789" || n != 2 || errAt != io.EOF || string(at[:2]) != "89" {
		t.Errorf("read %q %v; ReadAt %d %q %v", b, err, n, at[:n], errAt)
	}
	if rc, err := open("inside/deep/f.log"); err != nil {
		t.Errorf("a link inside the tree: %v", err)
	} else {
		rc.Close()
	}
	if rc, err := open("escape/secret.log"); err == nil {
		rc.Close()
		t.Error("opened a file outside the tree through a link")
	}
	if _, err := open("real/missing.log"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

// TestOpenFastReadsSizeAtOpen: a file opened by openFast is read as long
// as it was when opened (what is appended later is not read, and the end
// is known without another read); a file that said size 0 is read to the
// kernel's end of file.
func TestOpenFastReadsSizeAtOpen(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "u_ex210302.log")
	writeFile(t, p, "first line\n")
	writeFile(t, filepath.Join(dir, "empty.log"), "")
	tr, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	rc, err := (&File{Path: "u_ex210302.log", tree: tr}).Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, ok := rc.(*fdFile); !ok {
		t.Skip("no openat2 here")
	}
	af, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	af.WriteString("appended after the open\n")
	af.Close()
	b, err := io.ReadAll(rc)
	if err != nil || string(b) != "first line\n" {
		t.Errorf("read %q, %v; want the file as it was at open", b, err)
	}
	if n, err := rc.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Errorf("after the end: %d, %v; want 0, EOF", n, err)
	}

	// Size 0 at open: read to the kernel's end of file, here what was
	// written after the open.
	rc0, err := (&File{Path: "empty.log", tree: tr}).Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc0.Close()
	writeFile(t, filepath.Join(dir, "empty.log"), "now some text\n")
	b, err = io.ReadAll(rc0)
	if err != nil || string(b) != "now some text\n" {
		t.Errorf("size-0 file read %q, %v; want read to end of file", b, err)
	}
}
