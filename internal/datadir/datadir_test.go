package datadir

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestDir(t *testing.T) {
	t.Setenv(Env, "/x/exhunt-data")
	if d, err := Dir(); err != nil || d != "/x/exhunt-data" {
		t.Errorf("with %s: %q, %v", Env, d, err)
	}
	t.Setenv(Env, "")
	if runtime.GOOS == "windows" {
		t.Setenv("LOCALAPPDATA", `C:\Users\a\AppData\Local`)
		if d, _ := Dir(); d != filepath.Join(`C:\Users\a\AppData\Local`, "exhunt") {
			t.Errorf("LOCALAPPDATA: %q", d)
		}
		return
	}
	t.Setenv("XDG_DATA_HOME", "/home/a/.data")
	if d, _ := Dir(); d != "/home/a/.data/exhunt" {
		t.Errorf("XDG_DATA_HOME: %q", d)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/b")
	if d, _ := Dir(); d != "/home/b/.local/share/exhunt" {
		t.Errorf("HOME: %q", d)
	}
}

func TestReplace(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "set")
	write := func(d, content string) {
		t.Helper()
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "f"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func(d string) string {
		t.Helper()
		b, _ := os.ReadFile(filepath.Join(d, "f"))
		return string(b)
	}
	// The first install, then a replacement: the old folder goes whole.
	write(filepath.Join(root, "stage1"), "one")
	if err := Replace(dir, filepath.Join(root, "stage1")); err != nil || read(dir) != "one" {
		t.Fatalf("first: %v, %q", err, read(dir))
	}
	write(filepath.Join(root, "stage2"), "two")
	if err := Replace(dir, filepath.Join(root, "stage2")); err != nil || read(dir) != "two" {
		t.Fatalf("second: %v, %q", err, read(dir))
	}
	if ents, _ := os.ReadDir(root); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
	// A stage that cannot be renamed leaves the old folder in place.
	if err := Replace(dir, filepath.Join(root, "missing")); err == nil || read(dir) != "two" {
		t.Errorf("missing stage: %v, %q", err, read(dir))
	}
}
