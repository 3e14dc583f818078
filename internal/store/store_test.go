package store

import (
	"path/filepath"
	"runtime"
	"testing"
)

func TestDefaultPath(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Setenv("LOCALAPPDATA", `C:\Users\a\AppData\Local`)
		got, err := DefaultPath()
		if err != nil || got != filepath.Join(`C:\Users\a\AppData\Local`, "exhunt", "exhunt.db") {
			t.Errorf("DefaultPath = %q, %v", got, err)
		}
		return
	}
	t.Setenv("XDG_DATA_HOME", "/data")
	if got, err := DefaultPath(); err != nil || got != "/data/exhunt/exhunt.db" {
		t.Errorf("DefaultPath with XDG_DATA_HOME = %q, %v", got, err)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got, err := DefaultPath(); err != nil || got != "/home/u/.local/share/exhunt/exhunt.db" {
		t.Errorf("DefaultPath = %q, %v", got, err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@db:5432/x": "postgres://u:xxxxx@db:5432/x",
		"postgres://u@db/x":             "postgres://u@db/x",
		"/tmp/exhunt.db":                "/tmp/exhunt.db",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}
