package datadir

import (
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
