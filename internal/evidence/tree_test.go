package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/evidence/evidencetest"
)

func writeFile(t *testing.T, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func walkAll(t *testing.T, tr *Tree) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := tr.Walk(context.Background(), func(f *File) error {
		rc, err := f.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		got[f.Path] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// walkDirTree is a folder with two files and a link out of it; extra
// adds entries (the FIFO of TestWalkDirSkipsFIFO, Unix only).
func walkDirTree(t *testing.T, extra func(dir string)) (*Tree, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"), "#Fields: date time\n")
	writeFile(t, filepath.Join(dir, "Program Files/Microsoft/x.aspx"), "x")
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret.txt"), "secret")
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if extra != nil {
		extra(dir)
	}
	tr, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	got := walkAll(t, tr)
	if len(got) != 2 || got["Program Files/Microsoft/x.aspx"] != "x" {
		t.Errorf("files: %v", got)
	}
	if _, ok := got["link.txt"]; ok {
		t.Error("followed a symlink out of the evidence")
	}
	return tr, got
}

func TestWalkDir(t *testing.T) {
	if tr, _ := walkDirTree(t, nil); tr.Skipped != 1 {
		t.Errorf("skipped %d, want 1 (link): %v", tr.Skipped, tr.Warnings)
	}
}

func makeZip(t *testing.T, entries map[string]string, method uint16) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bundle.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, data := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

func TestWalkZip(t *testing.T) {
	p := makeZip(t, map[string]string{
		"C/inetpub/wwwroot/aspnet_client/a.aspx": "<%eval%>",
		"../../etc/evil":                         "x",
		"/abs/path":                              "x",
		"C:\\windows\\x":                         "x",
		"bomb.txt":                               strings.Repeat("A", 8<<20),
	}, zip.Deflate)
	tr, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if tr.Kind != "zip" {
		t.Fatalf("kind %s", tr.Kind)
	}
	got := walkAll(t, tr)
	// The over-ratio entry is read, but only its first MiB (issue 16).
	if len(got) != 2 || got["C/inetpub/wwwroot/aspnet_client/a.aspx"] != "<%eval%>" || got["bomb.txt"] != strings.Repeat("A", 1<<20) {
		t.Errorf("%d files, a.aspx %q, bomb.txt %d bytes; want 2, <%%eval%%>, 1 MiB", len(got), got["C/inetpub/wwwroot/aspnet_client/a.aspx"], len(got["bomb.txt"]))
	}
	if tr.Skipped != 3 {
		t.Errorf("skipped %d, want 3: %v", tr.Skipped, tr.Warnings)
	}
	if !strings.Contains(strings.Join(tr.Warnings, "\n"), "zip bomb") {
		t.Errorf("no zip bomb warning: %v", tr.Warnings)
	}
}

func TestOpenReaderAtZipUsesTemp(t *testing.T) {
	p := makeZip(t, map[string]string{"Windows/System32/winevt/Logs/Security.evtx": "ElfFile\x00rest"}, zip.Store)
	tmp := t.TempDir()
	tr, err := Open(p, Options{TempDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tr.Walk(context.Background(), func(f *File) error {
		ra, err := f.OpenReaderAt()
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4)
		ra.ReadAt(buf, 8)
		if string(buf) != "rest" {
			t.Errorf("ReadAt: %q", buf)
		}
		ra.Close()
		return nil
	})
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temp files left behind: %v", left)
	}
}

func TestHashReader(t *testing.T) {
	data := strings.Repeat("exhunt", 1000)
	h := NewHashReader(strings.NewReader(data))
	io.CopyN(io.Discard, h, 10) // a consumer that stops early
	sum, n, err := h.Finish()
	want := sha256.Sum256([]byte(data))
	if err != nil || n != int64(len(data)) || sum != hex.EncodeToString(want[:]) {
		t.Errorf("got %s %d %v", sum, n, err)
	}
	// A consumer that read to the end: Finish reads no more.
	cr := &countingReader{r: strings.NewReader(data)}
	h = NewHashReader(cr)
	io.Copy(io.Discard, h)
	reads := cr.n
	if sum, n, err := h.Finish(); err != nil || n != int64(len(data)) || sum != hex.EncodeToString(want[:]) || cr.n != reads {
		t.Errorf("after EOF: got %s %d %v, %d more reads", sum, n, err, cr.n-reads)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) { c.n++; return c.r.Read(p) }

func TestOpenErrors(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing"), Options{}); err == nil {
		t.Error("missing path: no error")
	}
	bad := filepath.Join(t.TempDir(), "bad.zip")
	os.WriteFile(bad, append([]byte("PK\x03\x04"), bytes.Repeat([]byte{0xff}, 100)...), 0o644)
	if _, err := Open(bad, Options{}); err == nil || !strings.Contains(err.Error(), "not a readable zip") {
		t.Errorf("corrupt zip: %v", err)
	}
}

// A zip entry whose data no longer matches its CRC cannot be read: the
// error reaches the reader instead of the corrupt bytes passing as good.
func TestZipCorruptEntryFailsItsCRC(t *testing.T) {
	p := makeZip(t, map[string]string{"a.aspx": "<% eval(Request.Item[\"z\"]) %>"}, zip.Store)
	evidencetest.CorruptZipEntry(t, p, "a.aspx")
	tr, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	err = tr.Walk(context.Background(), func(f *File) error {
		rc, err := f.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = io.ReadAll(rc)
		return err
	})
	if !errors.Is(err, zip.ErrChecksum) {
		t.Errorf("reading a corrupt entry: %v, want %v", err, zip.ErrChecksum)
	}
}

// Entries that are not read are listed with their reason.
func TestUnreadListed(t *testing.T) {
	p := makeZip(t, map[string]string{"../x.aspx": "x", "ok.log": "y"}, zip.Store)
	tr, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	walkAll(t, tr)
	if len(tr.Unread) != 1 || tr.Unread[0].Path != "../x.aspx" || tr.Unread[0].Reason != "unsafe path in zip" || tr.Skipped != 1 {
		t.Errorf("unread %+v skipped %d", tr.Unread, tr.Skipped)
	}
}

// TestWalkDeep: a chain of folders is walked level by level, each folder
// opened from its parent (a 300-deep chain, past the default limit, whose paths the old walk
// resolved from the root for every folder); past MaxDepth the rest of the
// chain is not walked, and is listed as unread with why.
func TestWalkDeep(t *testing.T) {
	chain := func(depth int) string {
		dir := t.TempDir()
		p := dir
		for i := 0; i <= depth; i++ {
			writeFile(t, filepath.Join(p, "f.log"), "x")
			p = filepath.Join(p, "d")
		}
		return dir
	}
	dir := chain(60)
	tr, err := Open(dir, Options{MaxDepth: 40})
	if err != nil {
		t.Fatal(err)
	}
	got := walkAll(t, tr)
	tr.Close()
	past := strings.TrimSuffix(strings.Repeat("d/", 41), "/")
	if len(got) != 41 || got[strings.Repeat("d/", 40)+"f.log"] != "x" || tr.Skipped != 1 || len(tr.Unread) != 1 ||
		tr.Unread[0].Path != past || !strings.Contains(tr.Unread[0].Reason, "41 levels deep, past the walk's limit of 40") ||
		len(tr.Warnings) != 1 || !strings.Contains(tr.Warnings[0], past+": skipped") {
		t.Errorf("%d files walked (want 41); skipped %d, unread %+v, warnings %q", len(got), tr.Skipped, tr.Unread, tr.Warnings)
	}

	deep := chain(300)
	tr, err = Open(deep, Options{MaxDepth: 400})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	n := 0
	if err := tr.Walk(context.Background(), func(f *File) error { n++; return nil }); err != nil || n != 301 || tr.Skipped != 0 {
		t.Errorf("300-deep chain: %d files, %d skipped, %v", n, tr.Skipped, err)
	}
}
