// Package ruleset installs the community rule sets exhunt hunts with next
// to its built-in packs: Neo23x0 signature-base (YARA) and SigmaHQ
// (Sigma). It finds a set's newest release, downloads the archive with a
// bounded, loopback-or-HTTPS client, checks its SHA-256 (given by the user
// or published with the release) and refuses a mismatch, unpacks only the
// rule files with zip-slip and size guards, compiles them once to count
// the usable rules and record why the others are not, and swaps the set
// into the data directory atomically. It never runs a hunt: cmd/exhunt
// loads the installed folders as it loads --yara and --sigma folders.
//
//	<data dir>/rules/manifest.json       what is installed, from where
//	<data dir>/rules/signature-base/...  the YARA rule files
//	<data dir>/rules/sigma/...           the Sigma rule files
package ruleset

import (
	"path"
	"slices"
	"strings"
)

// Kind is the rule language of a set.
type Kind string

// Rule languages.
const (
	YARA  Kind = "yara"
	Sigma Kind = "sigma"
)

// Source describes where a community rule set comes from and which files
// of its archive are rules.
type Source struct {
	Name string // folder and manifest name: "signature-base", "sigma"
	Kind Kind
	// URL is the release to install: a GitHub "latest release" API URL
	// (JSON; the asset named Asset, else the release's source archive,
	// is downloaded) or the URL of a zip archive itself.
	URL   string
	Asset string
	// Dirs are the archive folders (at any depth) that hold the rules;
	// when the archive has none of them, rule files anywhere count,
	// except under Skip folders.
	Dirs []string
	Skip []string
	Exts []string // rule file extensions, lower-case with the dot
	// StripDir installs the files of a top-level Dirs folder at the set's
	// root (signature-base's yara/x.yar becomes x.yar), so rule ids read
	// yara:<file>:<rule> as with --yara signature-base/yara.
	StripDir bool
}

// Defaults are the community sets `exhunt rules update` installs: the
// newest GitHub releases of Neo23x0/signature-base (its yara folder) and
// SigmaHQ/sigma (the sigma_all_rules package: core and emerging-threats
// rules; threat-hunting, placeholder and deprecated rules are left out).
func Defaults() []Source {
	return []Source{
		{
			Name: "signature-base",
			Kind: YARA,
			URL:  "https://api.github.com/repos/Neo23x0/signature-base/releases/latest",
			Dirs: []string{"yara"},
			Skip: []string{"deprecated", "test", "tests"},
			Exts: []string{".yar", ".yara"},

			StripDir: true,
		},
		{
			Name:  "sigma",
			Kind:  Sigma,
			URL:   "https://api.github.com/repos/SigmaHQ/sigma/releases/latest",
			Asset: "sigma_all_rules.zip",
			Dirs:  []string{"rules", "rules-emerging-threats", "rules-dfir"},
			Skip:  []string{"deprecated", "rules-placeholder", "rules-threat-hunting", "regression_data", "tests", "unsupported", ".github"},
			Exts:  []string{".yml", ".yaml"},
		},
	}
}

// Lookup returns the default source named name.
func Lookup(name string) (Source, bool) {
	i := slices.IndexFunc(Defaults(), func(s Source) bool { return s.Name == name })
	if i < 0 {
		return Source{}, false
	}
	return Defaults()[i], true
}

// Names lists the default sources' names.
func Names() []string {
	var out []string
	for _, s := range Defaults() {
		out = append(out, s.Name)
	}
	return out
}

// selector decides which archive entries of a source are rule files and
// where they go: it returns the path under the set's folder.
type selector struct {
	src     Source
	inDirs  bool   // the archive has one of src.Dirs
	topOnly string // common top folder of every entry, stripped
}

func newSelector(src Source, names []string) selector {
	sel := selector{src: src, topOnly: commonTop(names)}
	for _, n := range names {
		if sel.underDirs(sel.rel(n)) {
			sel.inDirs = true
			break
		}
	}
	return sel
}

// commonTop is the first path element every name shares (GitHub source
// archives wrap the tree in "owner-repo-sha/"), or "".
func commonTop(names []string) string {
	top := ""
	for i, n := range names {
		first, _, ok := strings.Cut(n, "/")
		if !ok {
			return ""
		}
		if i == 0 {
			top = first
		} else if first != top {
			return ""
		}
	}
	return top
}

func (s selector) rel(name string) string {
	if s.topOnly != "" {
		name = strings.TrimPrefix(name, s.topOnly+"/")
	}
	return name
}

func (s selector) underDirs(rel string) bool {
	parts := strings.Split(rel, "/")
	for _, p := range parts[:len(parts)-1] {
		if slices.Contains(s.src.Dirs, strings.ToLower(p)) {
			return true
		}
	}
	return false
}

// pick returns where a rule file entry goes, or ok=false to leave it out.
func (s selector) pick(name string) (string, bool) {
	rel := s.rel(name)
	if !slices.Contains(s.src.Exts, strings.ToLower(path.Ext(rel))) {
		return "", false
	}
	parts := strings.Split(rel, "/")
	for _, p := range parts[:len(parts)-1] {
		if slices.Contains(s.src.Skip, strings.ToLower(p)) {
			return "", false
		}
	}
	if s.inDirs && !s.underDirs(rel) {
		return "", false
	}
	if first, rest, ok := strings.Cut(rel, "/"); ok && s.src.StripDir && slices.Contains(s.src.Dirs, strings.ToLower(first)) {
		rel = rest
	}
	return rel, true
}
