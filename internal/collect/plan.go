package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strings"
	"time"
)

// DefaultMaxSize is the default --max-size: the same bound `exhunt hunt`
// puts on files it examines (--max-file-size), so the bundle holds every
// file a hunt would read.
const DefaultMaxSize = 64 << 20

// Options bound what a collection takes.
type Options struct {
	// Since skips logs last written before it (IIS, HTTPERR and Exchange
	// logs). Event logs, web files and configuration are always taken:
	// event logs are circular, and web shells are often back-dated.
	Since time.Time
	// MaxSize skips larger files in the web, ProgramData, temp and root
	// folders (they are listed with their size and times). Logs, event
	// logs, configuration and ExSetup.exe are taken whole. Default
	// DefaultMaxSize.
	MaxSize int64
	// AllEventLogs takes every .evtx, not only the channels hunts use.
	AllEventLogs bool
	// Exclude are folders of this machine never entered (listed as
	// skipped), in which the bundle may then be written although they lie
	// in a folder being collected: exhunt hunt --live keeps its bundle in
	// a folder of its own in the temp folder, which is collected too.
	Exclude []string
	Log     *slog.Logger
}

// Times are a file's timestamps as the collecting system reported them
// before reading it. On a copied tree they are the copy's, not the
// server's; Created is the birth time where the OS gives one (NTFS
// creation time, Linux statx btime), Changed the metadata change time
// (NTFS change time, Unix ctime).
type Times struct {
	Modified time.Time  `json:"modified"`
	Accessed *time.Time `json:"accessed,omitempty"`
	Created  *time.Time `json:"created,omitempty"`
	Changed  *time.Time `json:"changed,omitempty"`
}

// Item is one file the plan will copy.
type Item struct {
	Path         string // in the bundle, "C/inetpub/..."
	OriginalPath string // on the server, `C:\inetpub\...`
	Category     string
	Size         int64 // as found; -1 for a live event channel with no file found
	Times        Times
	Channel      string // event log channel, for the live export
	drive, rel   string
}

// Skipped is a file or folder found but not copied, and why.
type Skipped struct {
	OriginalPath string `json:"original_path"`
	Category     string `json:"category"`
	Reason       string `json:"reason"`
	Size         int64  `json:"size,omitempty"`
	Times        *Times `json:"times,omitempty"`
}

// Skipped reasons a user chose (or that are defaults to keep the bundle
// small), as opposed to files that could not be read.
const (
	reasonSince    = "last written before --since "
	reasonMaxSize  = "larger than --max-size"
	reasonExcluded = "excluded by default: a bulky Windows cache"
	reasonOwn      = "exhunt's own output folder (exhunt hunt --live writes its bundle there)"
)

// ByChoice says whether the file was left out by --since, --max-size or
// a default exclusion, rather than because it could not be read.
func (s Skipped) ByChoice() bool {
	return strings.HasPrefix(s.Reason, reasonSince) || strings.HasPrefix(s.Reason, reasonMaxSize) || s.Reason == reasonExcluded || s.Reason == reasonOwn
}

// OverMaxSize says whether the file was left out for --max-size: a hunt of
// the tree would still have checked its head (an LSASS dump's header).
func (s Skipped) OverMaxSize() bool { return strings.HasPrefix(s.Reason, reasonMaxSize) }

// Missing is a place looked at that does not exist (or cannot be read):
// what a hunt of the bundle will not be able to see.
type Missing struct {
	Path     string `json:"path"`
	Category string `json:"category"`
	Why      string `json:"why"`
	Error    string `json:"error,omitempty"`
}

// ExchangeInfo says where Exchange was found and how.
type ExchangeInfo struct {
	InstallPath string `json:"install_path,omitempty"`
	FoundFrom   string `json:"found_from"`        // registry, environment, --exchange-path, applicationHost.config, default folder, not found
	ExSetup     string `json:"exsetup,omitempty"` // where ExSetup.exe is in the bundle
	// ExSetupVersion is ExSetup.exe's file version, read from the fixed
	// part of its version resource (internal/peversion) on the bytes
	// copied: for Exchange's own ExSetup.exe, the build the server runs.
	ExSetupVersion string `json:"exsetup_version,omitempty"`
	// BuildNote says where the build comes from, or why it could not be
	// read. (Bundles of exhunt before ExSetupVersion existed said here
	// that the version was not read yet.)
	BuildNote string `json:"build_note,omitempty"`
}

// IISInfo says where the IIS log folders came from.
type IISInfo struct {
	Config  string   `json:"config,omitempty"`
	Error   string   `json:"error,omitempty"`
	LogDirs []string `json:"log_dirs"`
	From    string   `json:"from"` // applicationHost.config or defaults
}

// Plan is what a collection will copy, worked out before copying.
type Plan struct {
	Items    []Item
	Skipped  []Skipped
	Missing  []Missing
	Exchange ExchangeInfo
	IIS      IISInfo
	Warnings []string

	sys     *system
	opt     Options
	seen    map[string]bool
	dirs    []collectedDir
	exclude []winPath
}

type collectedDir struct {
	p       winPath
	recurse bool
}

// NewPlan finds everything to collect from src and stats it, without
// reading file contents (except applicationHost.config, to find the IIS
// log folders). Close releases the source.
func NewPlan(ctx context.Context, src Source, opt Options) (*Plan, error) {
	if opt.MaxSize <= 0 {
		opt.MaxSize = DefaultMaxSize
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	p := &Plan{sys: openSystem(src), opt: opt, seen: map[string]bool{}}
	if _, err := p.sys.root("C"); err != nil && !src.Live {
		p.sys.close()
		return nil, fmt.Errorf("collect: %w", err)
	}
	for _, x := range opt.Exclude {
		if wp, ok := p.sys.winPathOf(x); ok {
			p.exclude = append(p.exclude, wp)
		}
	}
	if src.Live && !src.Elevated {
		p.Warnings = append(p.Warnings, "not running as administrator: the Security event log, Exchange's Logging folder, "+
			`C:\Windows\Temp and other users' temp folders need administrator rights and will be skipped; run exhunt from an elevated prompt ("Run as administrator")`)
	}
	cfg := p.findIIS()
	p.findExchange(cfg)
	targets := append(baseTargets(opt.AllEventLogs), p.iisTargets(cfg)...)
	for _, t := range targets {
		if err := ctx.Err(); err != nil {
			p.sys.close()
			return nil, err
		}
		p.gather(t)
	}
	sort.Slice(p.Items, func(i, j int) bool { return p.Items[i].Path < p.Items[j].Path })
	sort.Slice(p.Skipped, func(i, j int) bool { return p.Skipped[i].OriginalPath < p.Skipped[j].OriginalPath })
	for _, it := range p.Items {
		if it.Category == CatExchangeBin {
			p.Exchange.ExSetup = it.Path
			p.planExSetup(it)
		}
	}
	if p.Exchange.InstallPath != "" && p.Exchange.ExSetup == "" {
		p.Warnings = append(p.Warnings, "ExSetup.exe not found under "+p.Exchange.InstallPath+`\Bin: the exact Exchange build cannot be told from the bundle`)
	}
	return p, nil
}

// Close releases the source's folders.
func (p *Plan) Close() { p.sys.close() }

const appHostPath = `%windir%\System32\inetsrv\config\applicationHost.config`

// findIIS reads applicationHost.config. Without it (or when it is not
// well-formed) the IIS defaults are used and the manifest says so.
func (p *Plan) findIIS() *IISConfig {
	p.IIS.From = "defaults"
	wp, err := p.expand(appHostPath)
	if err != nil {
		p.IIS.Error = err.Error()
		return nil
	}
	p.IIS.Config = wp.String()
	rels, err := p.sys.resolve(wp)
	if err != nil {
		p.IIS.Error = "not found: " + p.reason(err)
		p.Warnings = append(p.Warnings, "applicationHost.config not found: IIS logs are looked for in the default folders only")
		return nil
	}
	f, err := p.sys.open(wp.drive, rels[0])
	if err != nil {
		p.IIS.Error = p.reason(err)
		return nil
	}
	defer f.Close()
	cfg, err := ParseApplicationHost(f)
	if err != nil {
		p.IIS.Error = err.Error()
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s: %v: IIS logs are looked for in the default folders only", wp, err))
		return nil
	}
	p.IIS.From = "applicationHost.config"
	return cfg
}

// findExchange settles %ExchangeInstallPath%: what the source knows
// (registry, environment, --exchange-path), else what IIS serves, else
// the default folders of Exchange 2013-2019 and 2010.
func (p *Plan) findExchange(cfg *IISConfig) {
	set := func(dir, from string) {
		p.Exchange.InstallPath = strings.TrimRight(dir, `\/`)
		p.Exchange.FoundFrom = from
		p.sys.env["exchangeinstallpath"] = p.Exchange.InstallPath
	}
	if d := p.sys.src.ExchangeInstall; d != "" {
		set(d, p.sys.src.ExchangeFrom)
		return
	}
	if cfg != nil {
		if d, ok := cfg.ExchangeInstall(); ok {
			if e, err := expandEnv(d, p.sys.env); err == nil {
				set(e, "applicationHost.config")
				return
			}
		}
	}
	for _, d := range []string{`%ProgramFiles%\Microsoft\Exchange Server\V15`, `%ProgramFiles%\Microsoft\Exchange Server\V14`} {
		wp, err := p.expand(d)
		if err != nil {
			continue
		}
		if _, err := p.sys.resolve(wp); err == nil {
			set(wp.String(), "default folder")
			return
		}
	}
	p.Exchange.FoundFrom = "not found"
	p.Warnings = append(p.Warnings, "no Exchange install found (not in applicationHost.config, not in the default folder): "+
		"Exchange logs, web folders and ExSetup.exe are not collected; give --exchange-path")
}

// iisTargets are the W3C log folders of every site, the defaults in case
// the configuration changed since older logs were written, and each site's
// web.config files and server code outside the folders already covered.
func (p *Plan) iisTargets(cfg *IISConfig) []target {
	var dirs []string
	if cfg != nil {
		dirs = cfg.LogDirs()
	}
	dirs = append(dirs, defaultIISLogDir+`\W3SVC*`, `%windir%\System32\LogFiles\W3SVC*`)
	p.IIS.LogDirs = dirs
	var t []target
	for _, d := range dirs {
		t = append(t, target{cat: CatIISLog, path: d, recurse: true, dated: true, why: "IIS W3C logs"})
	}
	if cfg == nil {
		return t
	}
	ex, _ := parseWinPath(p.Exchange.InstallPath)
	win, _ := p.expand(`%windir%`)
	for _, s := range cfg.Sites {
		for _, pp := range s.PhysicalPaths {
			t = append(t, target{cat: CatConfig, path: pp, names: []string{"web.config"}, why: "site " + s.Name + " web.config"})
			wp, err := p.expand(pp)
			if err != nil || (!ex.isZero() && wp.within(ex)) || wp.within(win) {
				continue
			}
			t = append(t, target{cat: CatWeb, path: pp, recurse: true, capped: true, names: serverCode, why: "site " + s.Name + " server code"})
		}
	}
	return t
}

func (p *Plan) expand(tmpl string) (winPath, error) {
	s, err := expandEnv(tmpl, p.sys.env)
	if err != nil {
		return winPath{}, err
	}
	return parseWinPath(s)
}

// gather adds what target t finds.
func (p *Plan) gather(t target) {
	if strings.Contains(t.path, "%ExchangeInstallPath%") && p.Exchange.InstallPath == "" {
		p.Missing = append(p.Missing, Missing{Path: t.path, Category: t.cat, Why: t.why, Error: "no Exchange install found (give --exchange-path)"})
		return
	}
	wp, err := p.expand(t.path)
	if err != nil {
		p.Missing = append(p.Missing, Missing{Path: t.path, Category: t.cat, Why: t.why, Error: err.Error()})
		return
	}
	rels, err := p.sys.resolve(wp)
	if err != nil {
		if t.channel && t.names == nil && p.sys.src.Live && p.sys.src.Exporter != nil {
			// The channel may log to a non-default file: export it anyway.
			p.add(t, wp, "", nil)
			return
		}
		m := Missing{Path: wp.String(), Category: t.cat, Why: t.why}
		if !errors.Is(err, fs.ErrNotExist) {
			m.Error = p.reason(err)
		}
		p.Missing = append(p.Missing, m)
		return
	}
	for _, rel := range rels {
		fi, err := p.sys.lstat(wp.drive, rel)
		if err != nil {
			p.skip(t, winPathOf(wp.drive, rel), p.reason(err), nil)
			continue
		}
		switch {
		case fi.Mode().IsRegular():
			p.add(t, winPathOf(wp.drive, rel), rel, fi)
		case fi.IsDir():
			p.dirs = append(p.dirs, collectedDir{winPathOf(wp.drive, rel), t.recurse})
			p.walk(t, wp.drive, rel)
		default:
			p.skip(t, winPathOf(wp.drive, rel), notRegular, nil)
		}
	}
}

const notRegular = "not followed: a link, junction or device (what it points to is collected only from the folders above)"

// walk adds the files of folder base that t wants: its direct files, or
// the whole subtree when t recurses. Links and junctions are never
// followed.
func (p *Plan) walk(t target, drive, base string) {
	var visit func(rel string)
	visit = func(rel string) {
		entries, err := p.sys.list(drive, rel, !t.recurse)
		if err != nil {
			p.skip(t, winPathOf(drive, rel), p.reason(err), nil)
			return
		}
		for _, e := range entries {
			child := path.Join(rel, e.Name())
			switch {
			case e.IsDir():
				if t.recurse && !p.excludedDir(t, drive, base, child) {
					visit(child)
				}
			case !matchName(t.names, e.Name()):
			case !e.Type().IsRegular():
				p.skip(t, winPathOf(drive, child), notRegular, nil)
			default:
				fi, err := e.Info()
				if err != nil {
					p.skip(t, winPathOf(drive, child), p.reason(err), nil)
					continue
				}
				p.add(t, winPathOf(drive, child), child, fi)
			}
		}
	}
	visit(base)
}

// excludedDir says whether dir (under base) is one of t's excluded
// folders or an Options.Exclude folder, and records it as skipped.
func (p *Plan) excludedDir(t target, drive, base, dir string) bool {
	if p.excluded(winPathOf(drive, dir)) {
		p.skip(t, winPathOf(drive, dir), reasonOwn, nil)
		return true
	}
	sub := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(dir, base), "/"))
	for _, x := range t.exclude {
		if strings.ReplaceAll(sub, "/", `\`) == x {
			p.skip(t, winPathOf(drive, dir), reasonExcluded, nil)
			return true
		}
	}
	return false
}

func matchName(globs []string, name string) bool {
	if globs == nil {
		return true
	}
	l := strings.ToLower(name)
	for _, g := range globs {
		if ok, _ := path.Match(g, l); ok {
			return true
		}
	}
	return false
}

// add plans one file, once, unless --since or --max-size says otherwise. fi is nil for a live event channel with no file found.
func (p *Plan) add(t target, wp winPath, rel string, fi fs.FileInfo) {
	name := wp.zipName()
	if p.seen[name] {
		return
	}
	p.seen[name] = true
	it := Item{Path: name, OriginalPath: wp.String(), Category: t.cat, Size: -1, drive: wp.drive, rel: rel}
	if t.channel {
		it.Channel = channelName(path.Base(strings.ReplaceAll(wp.String(), `\`, "/")))
	}
	if fi != nil {
		it.Size, it.Times = fi.Size(), statTimes(fi)
		switch {
		case t.dated && !p.opt.Since.IsZero() && fi.ModTime().Before(p.opt.Since):
			p.skip(t, wp, reasonSince+p.opt.Since.Format(time.RFC3339), fi)
			return
		case t.capped && fi.Size() > p.opt.MaxSize:
			p.skip(t, wp, fmt.Sprintf("%s (%d bytes)", reasonMaxSize, p.opt.MaxSize), fi)
			return
		}
	}
	p.Items = append(p.Items, it)
}

func (p *Plan) skip(t target, wp winPath, reason string, fi fs.FileInfo) {
	s := Skipped{OriginalPath: wp.String(), Category: t.cat, Reason: reason}
	if fi != nil {
		tm := statTimes(fi)
		s.Size, s.Times = fi.Size(), &tm
	}
	p.Skipped = append(p.Skipped, s)
}

// reason turns an I/O error into what the user can do about it.
func (p *Plan) reason(err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission) && p.sys.src.Live:
		return "access denied: needs administrator rights (run exhunt from an elevated prompt)"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied: run as root or make the folder readable (" + err.Error() + ")"
	case isLocked(err):
		return "locked by another process (sharing violation); reading it needs a volume shadow copy or a raw NTFS read, which exhunt does not do yet"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the file shrank while it was read"
	}
	return err.Error()
}

// Estimate sums up a plan before copying.
type Estimate struct {
	Files      int
	Bytes      int64 // files of known size
	Unknown    int   // live event channels whose size is known only once exported
	ByCategory map[string]CategoryTotal
	Skipped    int
	Missing    int
}

// CategoryTotal counts one category's files and bytes.
type CategoryTotal struct {
	Files int
	Bytes int64
}

// Estimate counts what the plan will copy.
func (p *Plan) Estimate() Estimate {
	e := Estimate{ByCategory: map[string]CategoryTotal{}, Skipped: len(p.Skipped), Missing: len(p.Missing)}
	for _, it := range p.Items {
		e.Files++
		c := e.ByCategory[it.Category]
		c.Files++
		if it.Size < 0 {
			e.Unknown++
		} else {
			e.Bytes += it.Size
			c.Bytes += it.Size
		}
		e.ByCategory[it.Category] = c
	}
	return e
}
