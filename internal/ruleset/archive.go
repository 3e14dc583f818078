package ruleset

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Limits on what an archive may hold. A rule archive is a few MiB; these
// bound a hostile or broken one.
const (
	MaxArchive   = 256 << 20 // bytes downloaded or read with --from
	maxEntries   = 200_000   // entries in the zip directory
	maxRuleFile  = 16 << 20  // one rule file, unpacked
	maxUnpacked  = 512 << 20 // all rule files, unpacked
	maxRuleFiles = 50_000
)

// ErrArchive is wrapped by every reason to refuse an archive.
var ErrArchive = errors.New("ruleset: bad archive")

func archiveErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrArchive, fmt.Sprintf(format, args...))
}

// safeName checks a zip entry name before anything is written: relative,
// '/'-separated, no "..", no drive letter, no backslash, no NUL. A bad name
// refuses the whole archive (zip slip), not only the entry.
func safeName(name string) error {
	switch {
	case name == "":
		return archiveErr("entry with an empty name")
	case strings.ContainsAny(name, "\\\x00"):
		return archiveErr("entry %q: backslash or NUL in the name", name)
	case strings.HasPrefix(name, "/"), len(name) >= 2 && name[1] == ':':
		return archiveErr("entry %q: absolute path", name)
	}
	for _, part := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
		if part == ".." {
			return archiveErr("entry %q: leaves the archive folder (..)", name)
		}
	}
	return nil
}

// unpacked is what extract wrote.
type unpacked struct {
	files int
	bytes int64
}

// extract unpacks the rule files of the zip in r (size bytes) into dest,
// which must exist and be empty. Every entry name is checked first; then
// only regular files src selects are written, each read with its actual
// size bounded (the header's sizes are not trusted).
func extract(r io.ReaderAt, size int64, src Source, dest string) (unpacked, error) {
	var u unpacked
	if size > MaxArchive {
		return u, archiveErr("%d bytes, over the %d-byte limit", size, MaxArchive)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return u, archiveErr("not a zip archive: %v", err)
	}
	if len(zr.File) > maxEntries {
		return u, archiveErr("%d entries, over the %d limit", len(zr.File), maxEntries)
	}
	names := make([]string, 0, len(zr.File))
	for _, f := range zr.File {
		if err := safeName(f.Name); err != nil {
			return u, err
		}
		names = append(names, f.Name)
	}
	sel := newSelector(src, names)
	made := map[string]bool{}
	for _, f := range zr.File {
		if !f.Mode().IsRegular() || strings.HasSuffix(f.Name, "/") {
			continue // folders, links and devices are never created
		}
		rel, ok := sel.pick(f.Name)
		if !ok {
			continue
		}
		if u.files++; u.files > maxRuleFiles {
			return u, archiveErr("over %d rule files", maxRuleFiles)
		}
		target := filepath.Join(dest, filepath.FromSlash(rel))
		if !within(dest, target) {
			return u, archiveErr("entry %q: leaves the archive folder", f.Name)
		}
		if dir := filepath.Dir(target); !made[dir] {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return u, err
			}
			made[dir] = true
		}
		n, err := writeEntry(f, target, min(maxRuleFile, maxUnpacked-u.bytes))
		u.bytes += n
		if err != nil {
			return u, err
		}
	}
	return u, nil
}

// within reports whether target is dest or below it.
func within(dest, target string) bool {
	rel, err := filepath.Rel(dest, target)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func writeEntry(f *zip.File, target string, limit int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, archiveErr("entry %q: %v", f.Name, err)
	}
	defer rc.Close()
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return 0, archiveErr("entry %q: appears twice", f.Name)
	}
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, io.LimitReader(rc, limit+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil && !errors.Is(err, fs.ErrClosed):
		return n, archiveErr("entry %q: %v", f.Name, err)
	case n > limit:
		return n, archiveErr("entry %q: over %d bytes unpacked", f.Name, limit)
	}
	return n, nil
}

// ruleFiles lists the rule files under dir (slash-separated, sorted by the
// walk), for counting and for the manifest.
func ruleFiles(dir string, exts []string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && containsFold(exts, filepath.Ext(p)) {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out, err
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
