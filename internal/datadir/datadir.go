// Package datadir locates exhunt's per-user data directory, where the
// result database and the community rule sets live.
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
