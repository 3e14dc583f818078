package collect

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// ErrLiveUnsupported is returned by Live on systems other than Windows.
var ErrLiveUnsupported = errors.New("collect: live collection runs on Windows only; elsewhere give --root DIR (a mounted disk or a copied C:\\)")

// Source says where collection reads: the running Windows system, or
// folders standing for its drives (a mounted disk, a copied C:\).
type Source struct {
	Live bool
	// Drives maps an upper-case drive letter to the folder holding that
	// drive's root ("C" → "/mnt/evidence"). Live sources read X:\ itself
	// for drives not listed.
	Drives map[string]string
	// Host is the server's name: the live system's, or what the user said.
	Host string
	// Env overrides the Windows defaults (%SystemDrive% = C:, ...); keys
	// are lower-case variable names.
	Env map[string]string
	// ExchangeInstall is the Exchange install folder when the caller knows
	// it (registry, %ExchangeInstallPath%, --exchange-path), and
	// ExchangeFrom says how; empty means "find it in applicationHost.config
	// or the default folders".
	ExchangeInstall string
	ExchangeFrom    string
	// Exporter exports live event log channels whose .evtx the EventLog
	// service holds open (Windows only; nil elsewhere).
	Exporter EventExporter
	// Elevated is whether a live collection runs with administrator rights.
	Elevated bool
}

// EventExporter writes the current records of an event log channel to a
// new .evtx file at dst, and says which method it used.
type EventExporter interface {
	Export(ctx context.Context, channel, dst string) (method string, err error)
}

// RootSource reads a copied or mounted C:\ at dir, plus more drives
// ("D" → folder) when the server had logs or Exchange elsewhere.
func RootSource(dir string, more map[string]string, host string) (Source, error) {
	drives := map[string]string{"C": dir}
	for l, d := range more {
		if len(l) != 1 || !isLetter(l[0]) {
			return Source{}, fmt.Errorf("collect: drive %q: want one letter", l)
		}
		if strings.EqualFold(l, "C") {
			return Source{}, errors.New("collect: drive C is the root folder itself; --drive names the server's other drives")
		}
		drives[strings.ToUpper(l)] = d
	}
	for l, d := range drives {
		st, err := os.Stat(d)
		if err != nil {
			return Source{}, fmt.Errorf("collect: drive %s: %w", l, err)
		}
		if !st.IsDir() {
			return Source{}, fmt.Errorf("collect: drive %s: %s is not a folder", l, d)
		}
	}
	return Source{Drives: drives, Host: host}, nil
}

// system is an opened Source: one os.Root per drive (reads never leave
// it, links pointing outside are refused) and cached folder listings for
// case-insensitive lookups.
type system struct {
	src     Source
	env     map[string]string
	roots   map[string]*os.Root
	rootErr map[string]error
	listing map[string][]fs.DirEntry
}

func openSystem(src Source) *system {
	env := defaultEnv()
	for k, v := range src.Env {
		env[strings.ToLower(k)] = v
	}
	return &system{src: src, env: env, roots: map[string]*os.Root{}, rootErr: map[string]error{}, listing: map[string][]fs.DirEntry{}}
}

func (s *system) close() {
	for _, r := range s.roots {
		r.Close()
	}
}

// driveDir is the OS folder standing for drive letter l.
func (s *system) driveDir(l string) (string, bool) {
	if d, ok := s.src.Drives[l]; ok {
		return d, true
	}
	if s.src.Live {
		return l + `:\`, true
	}
	return "", false
}

func (s *system) root(l string) (*os.Root, error) {
	if r, ok := s.roots[l]; ok {
		return r, nil
	}
	if err, ok := s.rootErr[l]; ok {
		return nil, err
	}
	dir, ok := s.driveDir(l)
	if !ok {
		err := fmt.Errorf("drive %s: is not available (add --drive %s=DIR)", l, l)
		s.rootErr[l] = err
		return nil, err
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		s.rootErr[l] = err
		return nil, err
	}
	s.roots[l] = r
	return r, nil
}

// open opens a file or folder of a drive read-only, without moving its
// access time where the OS allows (Linux O_NOATIME, which needs the
// file's owner or root; open retries without it).
func (s *system) open(l, rel string) (*os.File, error) {
	r, err := s.root(l)
	if err != nil {
		return nil, err
	}
	name := filepath.FromSlash(rel)
	f, err := r.OpenFile(name, os.O_RDONLY|openFlags, 0)
	if err != nil && openFlags != 0 && isNoAtimeRefused(err) {
		f, err = r.OpenFile(name, os.O_RDONLY, 0)
	}
	return f, err
}

// lstat describes a file or folder of a drive without following a link.
func (s *system) lstat(l, rel string) (fs.FileInfo, error) {
	r, err := s.root(l)
	if err != nil {
		return nil, err
	}
	return r.Lstat(filepath.FromSlash(rel))
}

// list reads a folder of a drive, sorted by name. Lookups remember what
// they listed (cache); walks do not, so memory stays bounded by the
// deepest folder, not the whole tree.
func (s *system) list(l, rel string, cache bool) ([]fs.DirEntry, error) {
	key := l + "|" + rel
	if e, ok := s.listing[key]; ok {
		return e, nil
	}
	f, err := s.open(l, rel)
	if err != nil {
		return nil, err
	}
	e, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return nil, err
	}
	sort.Slice(e, func(i, j int) bool { return e[i].Name() < e[j].Name() })
	if cache {
		s.listing[key] = e
	}
	return e, nil
}

// resolve finds what a Windows path names on its drive, matching every
// component case-insensitively as Windows does (a copy made on Linux
// keeps whatever case the server had) and expanding * and ? in
// components. It returns slash-separated paths relative to the drive root,
// in the case found; several when a case-sensitive copy holds names that
// differ only by case.
func (s *system) resolve(p winPath) ([]string, error) {
	if _, err := s.root(p.drive); err != nil {
		return nil, err
	}
	cur := []string{"."}
	for _, part := range p.parts {
		lp := strings.ToLower(part)
		wild := strings.ContainsAny(part, "*?")
		var next []string
		for _, dir := range cur {
			entries, err := s.list(p.drive, dir, true)
			if err != nil {
				// A folder that cannot be listed may still be entered
				// (Windows' bypass-traverse right): try the name as given.
				if !wild {
					next = append(next, path.Join(dir, part))
				}
				continue
			}
			for _, e := range entries {
				ln := strings.ToLower(e.Name())
				if wild {
					if ok, _ := path.Match(lp, ln); ok {
						next = append(next, path.Join(dir, e.Name()))
					}
				} else if ln == lp {
					next = append(next, path.Join(dir, e.Name()))
				}
			}
		}
		if len(next) == 0 {
			return nil, fs.ErrNotExist
		}
		sort.Strings(next)
		cur = next
	}
	var out []string
	for _, c := range cur {
		if _, err := s.lstat(p.drive, c); err == nil {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fs.ErrNotExist
	}
	return out, nil
}

// winPathOf maps a path of this machine to the Windows path it has on the
// source: below the folder of one of its drives, or, on a live system, the
// path itself. ok is false for a path the source does not hold.
func (s *system) winPathOf(p string) (wp winPath, ok bool) {
	dir := realDir(p)
	for l, d := range s.src.Drives {
		rel, err := filepath.Rel(realDir(d), dir)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return winPathOf(l, filepath.ToSlash(rel)), true
		}
	}
	if !s.src.Live {
		return winPath{}, false
	}
	wp, err := parseWinPath(dir)
	return wp, err == nil
}

// winPathOf is the Windows path of rel (as resolve returns it) on drive l.
func winPathOf(l, rel string) winPath {
	return winPath{drive: l}.join(rel)
}
