package collect

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/collect/collecttest"
)

// bundle collects the simulated tree into a new bundle and returns its path.
func bundle(t testing.TB) string {
	t.Helper()
	root := collecttest.SimulatedC(t)
	src, err := RootSource(root, nil, "EXCH01")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(t.Context(), src, Options{Since: since, MaxSize: collecttest.MaxSize})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out := filepath.Join(t.TempDir(), "b.zip")
	if _, err := p.Write(t.Context(), out, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return out
}

// rewrite copies a bundle entry by entry, letting edit change, drop (nil)
// or keep each entry's data, then appends extra entries.
func rewrite(t *testing.T, src, dst string, edit func(name string, data []byte) []byte, extra map[string]string) {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if data = edit(f.Name, data); data == nil {
			continue
		}
		w, _ := zw.Create(f.Name)
		w.Write(data)
	}
	for name, data := range extra {
		w, _ := zw.Create(name)
		io.WriteString(w, data)
	}
	zw.Close()
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVerify(t *testing.T) {
	good := bundle(t)
	rep, err := Verify(t.Context(), good)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Files != len(wantCollected)+1 || rep.Container != "matches b.zip.sha256" {
		t.Fatalf("good bundle: %+v", rep)
	}

	shell := ex + "FrontEnd/HttpProxy/owa/auth/RedirSuiteServerProxy.aspx"
	dir := t.TempDir()
	test := func(name string, edit func(string, []byte) []byte, extra map[string]string, wantPath, wantKind string) {
		t.Helper()
		p := filepath.Join(dir, name+".zip")
		rewrite(t, good, p, edit, extra)
		rep, err := Verify(t.Context(), p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		found := false
		for _, pr := range rep.Problems {
			found = found || pr.Path == wantPath && pr.Kind == wantKind
		}
		if rep.OK() || !found {
			t.Errorf("%s: problems %+v, want %s on %s", name, rep.Problems, wantKind, wantPath)
		}
	}
	keep := func(_ string, d []byte) []byte { return d }
	test("tampered", func(n string, d []byte) []byte {
		if n == shell {
			return []byte(strings.Replace(string(d), "unsafe", "UNSAFE", 1))
		}
		return d
	}, nil, shell, "sha256")
	test("truncated", func(n string, d []byte) []byte {
		if n == shell {
			return d[:len(d)-1]
		}
		return d
	}, nil, shell, "size")
	test("removed", func(n string, d []byte) []byte {
		if n == shell {
			return nil
		}
		return d
	}, nil, shell, "missing")
	test("added", keep, map[string]string{"C/inetpub/wwwroot/aspnet_client/new.aspx": "x"}, "C/inetpub/wwwroot/aspnet_client/new.aspx", "extra")
	test("log edited", func(n string, d []byte) []byte {
		if n == LogName {
			return append(d, '\n')
		}
		return d
	}, nil, LogName, "size")

	// Rewritten without touching an entry, the bundle still matches its
	// manifest but no longer its .sha256.
	p := filepath.Join(dir, "rezipped.zip")
	rewrite(t, good, p, keep, nil)
	side, _ := os.ReadFile(good + ".sha256")
	os.WriteFile(p+".sha256", side, 0o644)
	rep, err = Verify(t.Context(), p)
	if err != nil || rep.OK() || len(rep.Problems) != 1 || rep.Problems[0].Kind != "container" {
		t.Errorf("rezipped: %+v, %v", rep, err)
	}
	os.Remove(p + ".sha256")
	if rep, err = Verify(t.Context(), p); err != nil || !rep.OK() || !strings.Contains(rep.Container, "not checked") {
		t.Errorf("rezipped without .sha256: %+v, %v", rep, err)
	}

	notBundle := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(data), 0o644)
		if _, err := Verify(t.Context(), p); !errors.Is(err, ErrNotBundle) {
			t.Errorf("%s: %v, want ErrNotBundle", name, err)
		}
	}
	notBundle("text.zip", "not a zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.Create("C/x")
	zw.Close()
	notBundle("nomanifest.zip", buf.String())
	buf.Reset()
	zw = zip.NewWriter(&buf)
	w, _ := zw.Create(ManifestName)
	io.WriteString(w, `{"format":"something-else/1","files":[]}`)
	zw.Close()
	notBundle("otherformat.zip", buf.String())
	if _, err := Verify(t.Context(), filepath.Join(dir, "absent.zip")); !errors.Is(err, ErrNotBundle) {
		t.Errorf("absent: %v", err)
	}
}

func TestParseManifestRejects(t *testing.T) {
	test := func(doc, want string) {
		t.Helper()
		if _, err := ParseManifest(strings.NewReader(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", doc, err, want)
		}
	}
	test(`{"format":"exhunt-bundle/1","files":[{"path":"C/x","size":1,"sha256":"zz"}]}`, "not a SHA-256")
	test(`{"format":"exhunt-bundle/1","files":[{"path":"","size":1,"sha256":"`+strings.Repeat("a", 64)+`"}]}`, "no path")
	test(`{"format":"exhunt-bundle/1","files":[{"path":"C/x","size":-1,"sha256":"`+strings.Repeat("a", 64)+`"}]}`, "negative size")
	test(`{"format":"exhunt-bundle/1","log":{"path":"collection.log","size":1,"sha256":"x"}}`, "not a SHA-256")
	test(`{"format":`, "unexpected EOF")
	test(`[]`, "cannot unmarshal")
}

// A cancelled context stops verification: it is never reported OK, even
// for a bundle whose manifest lists nothing to read.
func TestVerifyCancelled(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create(ManifestName)
	io.WriteString(w, `{"format":"`+Format+`","files":[],"skipped":[],"missing":[],"warnings":[]}`)
	zw.Close()
	os.WriteFile(empty, buf.Bytes(), 0o644)
	if rep, err := Verify(t.Context(), empty); err != nil || !rep.OK() || rep.Files != 0 {
		t.Fatalf("empty manifest, live context: %+v, %v", rep, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, b := range []string{empty, bundle(t)} {
		if rep, err := Verify(ctx, b); !errors.Is(err, context.Canceled) {
			t.Errorf("%s, cancelled context: %+v, %v; want context.Canceled", filepath.Base(b), rep, err)
		}
	}

	// Cancelled halfway (Ctrl-C): no read after it, wherever it was (the
	// zip's directory, the manifest, a file's data).
	good := bundle(t)
	f, err := os.Open(good)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	all := &cancelAfter{r: f, n: -1, cancel: func() {}}
	if rep, err := VerifyReader(t.Context(), all, st.Size()); err != nil || !rep.OK() {
		t.Fatalf("uncancelled: %+v, %v", rep, err)
	}
	reads := -1 - all.n
	if reads < 10 {
		t.Fatalf("%d reads in all: too few to cancel halfway", reads)
	}
	for n := 1; n < reads; n++ {
		ctx, cancel := context.WithCancel(t.Context())
		r := &cancelAfter{r: f, n: n, cancel: cancel}
		rep, err := VerifyReader(ctx, r, st.Size())
		cancel()
		if !errors.Is(err, context.Canceled) || rep != nil {
			t.Errorf("cancelled at read %d of %d: %+v, %v", n, reads, rep, err)
		}
		if r.after > 0 {
			t.Errorf("cancelled at read %d of %d: %d reads after it, want none", n, reads, r.after)
		}
	}
}

// cancelAfter calls cancel once n reads have been made, and counts the
// reads after it.
type cancelAfter struct {
	r      io.ReaderAt
	n      int
	after  int
	cancel func()
}

func (c *cancelAfter) ReadAt(p []byte, off int64) (int, error) {
	if c.n--; c.n == 0 {
		c.cancel()
	} else if c.n < 0 {
		c.after++
	}
	return c.r.ReadAt(p, off)
}
