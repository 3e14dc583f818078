package filecheck

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"os"
	"path"
	"strings"
	"sync/atomic"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/yara"
)

// The default YARA pack: Exchange-aware checks as data.
//
//go:embed pack/*.yar
var packFS embed.FS

// ErrRuleDir is returned when a --yara folder cannot be read.
var ErrRuleDir = errors.New("filecheck: YARA rule folder")

// Options configure a Checker.
type Options struct {
	// YARADirs are extra rule folders (e.g. signature-base/yara), loaded
	// unchanged next to the embedded pack; every .yar/.yara below each.
	YARADirs []string
	// NoDefault leaves out the embedded pack (the IOC lists stay).
	NoDefault bool
	// Log receives scan errors (a rule over its evaluation budget, an
	// engine panic); nil discards them.
	Log *slog.Logger
}

// LoadError is a rule, or a whole rule file, that could not be used.
type LoadError struct {
	Dir string // the --yara folder, or "embedded"
	yara.CompileError
}

func (e LoadError) Error() string { return e.Dir + ": " + e.CompileError.Error() }

// ruleSet is one compiled folder.
type ruleSet struct {
	dir   string
	rules *yara.Rules
}

// Checker is the file detector; it is safe for concurrent use.
type Checker struct {
	sets     []ruleSet
	iocs     *IOCs
	log      *slog.Logger
	scanErrs atomic.Int64
}

// New compiles the embedded pack and the user's folders. Rules that do
// not compile are returned as LoadErrors and skipped; the error is for a
// folder that cannot be read or broken embedded IOC data.
func New(opt Options) (*Checker, []LoadError, error) {
	iocs, err := builtinIOCs()
	if err != nil {
		return nil, nil, err
	}
	c := &Checker{iocs: iocs, log: opt.Log}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	// One compiled set for the pack and every folder: a scan then makes a
	// single prefilter pass over each file. Namespaces keep the files
	// apart: "pack/<file>" for the pack, "user<N>/<path>" for folder N.
	var roots []yara.Root
	dirs := map[string]string{} // namespace prefix → folder, for errors
	if !opt.NoDefault {
		roots = append(roots, yara.Root{FS: packFS, Dir: "pack"})
		dirs["pack"] = "embedded"
	}
	for i, dir := range opt.YARADirs {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrRuleDir, err)
		}
		if !st.IsDir() {
			return nil, nil, fmt.Errorf("%w: %s is not a folder", ErrRuleDir, dir)
		}
		prefix := fmt.Sprintf("user%d", i+1)
		roots = append(roots, yara.Root{FS: os.DirFS(dir), Dir: ".", Prefix: prefix})
		dirs[prefix] = dir
	}
	var lerrs []LoadError
	if len(roots) > 0 {
		r, errs := yara.CompileRoots(roots...)
		for _, e := range errs {
			prefix, rest, _ := strings.Cut(e.File, "/")
			dir, ok := dirs[prefix]
			if !ok {
				dir = dirs["pack"]
			} else if prefix != "pack" {
				e.File = rest
			}
			lerrs = append(lerrs, LoadError{Dir: dir, CompileError: e})
		}
		if r != nil && r.Len() > 0 {
			c.sets = append(c.sets, ruleSet{dir: "all", rules: r})
		}
	}
	return c, lerrs, nil
}

// RuleCount is the number of compiled YARA rules, private ones included.
func (c *Checker) RuleCount() int {
	n := 0
	for _, s := range c.sets {
		n += s.rules.Len()
	}
	return n
}

// ScanErrors counts scans that failed or stopped early since New.
func (c *Checker) ScanErrors() int64 { return c.scanErrs.Load() }

// Detect returns the findings for one file: IOC hash and name matches,
// then YARA matches. Source is the file's evidence path; kind, time and
// outcome are left to the hunt.
func (c *Checker) Detect(ctx context.Context, f evidence.FileInfo, data []byte) []finding.Finding {
	if ctx.Err() != nil {
		return nil
	}
	var out []finding.Finding
	out = append(out, c.iocFindings(f, data)...)
	v := vars(f.Path)
	for _, s := range c.sets {
		ms, err := c.scan(s, data, v)
		if err != nil {
			c.scanErrs.Add(1)
			c.log.Warn("YARA scan incomplete", "file", f.Path, "rules", s.dir, "err", err)
		}
		for i := range ms {
			out = append(out, matchFinding(f.Path, &ms[i]))
		}
	}
	return out
}

// scan runs one rule set, turning an engine panic into an error so one
// bad file or rule never stops the hunt.
func (c *Checker) scan(s ruleSet, data []byte, v yara.Vars) (ms []yara.Match, err error) {
	defer func() {
		if r := recover(); r != nil {
			ms, err = nil, fmt.Errorf("filecheck: YARA engine panic: %v", r)
		}
	}()
	// Findings quote the first maxEvidenceStrings matches: strings the
	// conditions did not need are not run just to be left unquoted.
	return s.rules.ScanLimited(data, v, maxEvidenceStrings+1)
}

func (c *Checker) iocFindings(f evidence.FileInfo, data []byte) []finding.Finding {
	var out []finding.Finding
	// SHA-1 and MD5 cost a tenth of a file hunt's CPU: compute them only
	// when a list holds hashes of that type, and only of whole files (a
	// file read head-only has no SHA-256 either); a hit reports both.
	sum := func(h hash.Hash) string { h.Write(data); return hex.EncodeToString(h.Sum(nil)) }
	var sha1Hex, md5Hex string
	whole := f.SHA256 != ""
	if whole && c.iocs.Lists("sha1") {
		sha1Hex = sum(sha1.New())
	}
	if whole && c.iocs.Lists("md5") {
		md5Hex = sum(md5.New())
	}
	if h, ok := c.iocs.Hash(f.SHA256, sha1Hex, md5Hex); ok {
		name := h.Name
		if name == "" {
			name = "web shell or tool of the 2021 Exchange exploitation"
		}
		if sha1Hex == "" {
			sha1Hex = sum(sha1.New())
		}
		if md5Hex == "" {
			md5Hex = sum(md5.New())
		}
		out = append(out, finding.Finding{
			Rule:     "ioc:hash",
			Title:    "File hash listed in published Exchange-compromise indicators: " + name,
			Severity: finding.Critical,
			CVEs:     []string{},
			Attack:   []string{"T1505.003"},
			Source:   f.Path,
			Evidence: fmt.Sprintf("%s %s listed by %s", h.Type, h.Hash, h.Source),
			Details:  map[string]string{"ioc_source": h.Source, "file_sha1": sha1Hex, "file_md5": md5Hex},
		})
	}
	if n, ok := c.iocs.Name(f.Path); ok {
		out = append(out, finding.Finding{
			Rule:     "ioc:webshell-name",
			Title:    "Known web-shell file name in the folder it was published for",
			Severity: finding.High,
			CVEs:     []string{"CVE-2021-26855", "CVE-2021-27065"},
			Attack:   []string{"T1505.003"},
			Source:   f.Path,
			Evidence: fmt.Sprintf("%s in %s listed by %s", path.Base(f.Path), n.Folder, n.Source),
			Details:  map[string]string{"ioc_source": n.Source},
		})
	}
	return out
}
