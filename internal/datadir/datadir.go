// Package datadir locates exhunt's per-user data directory, where the
// result database, the kb update copy and the community rule sets live,
// and replaces a folder of it whole (Replace), so that a reader never
// sees half of an update.
package datadir

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Env names the variable that overrides the data directory.
const Env = "EXHUNT_DATA_DIR"

// Dir returns exhunt's data directory: $EXHUNT_DATA_DIR when set, else
// $XDG_DATA_HOME/exhunt or ~/.local/share/exhunt on Unix and
// %LOCALAPPDATA%\exhunt on Windows. It does not create it.
func Dir() (string, error) {
	if d := os.Getenv(Env); d != "" {
		return d, nil
	}
	var dir string
	switch {
	case runtime.GOOS == "windows" && os.Getenv("LOCALAPPDATA") != "":
		dir = os.Getenv("LOCALAPPDATA")
	case runtime.GOOS != "windows" && os.Getenv("XDG_DATA_HOME") != "":
		dir = os.Getenv("XDG_DATA_HOME")
	default:
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("datadir: no data directory (set %s): %w", Env, err)
		}
		if runtime.GOOS == "windows" {
			dir = filepath.Join(home, "AppData", "Local")
		} else {
			dir = filepath.Join(home, ".local", "share")
		}
	}
	return filepath.Join(dir, "exhunt"), nil
}

// Replace puts the folder stage in place of dir, whole: an old dir is
// moved aside to dir+".old" first and removed only once stage is in
// place; if stage cannot be renamed, the old dir is put back.
func Replace(dir, stage string) error {
	old := dir + ".old"
	os.RemoveAll(old)
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(stage, dir); err != nil {
		os.Rename(old, dir)
		return err
	}
	return os.RemoveAll(old)
}
