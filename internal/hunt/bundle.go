package hunt

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/collect"
	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/finding"
)

// bundle is what the manifest.json of an exhunt bundle (exhunt collect)
// tells a hunt of it: each file's times as found on the server and its
// original path, ExSetup.exe's version, and what was not collected. A
// bundle is hunted like any zip of a copied tree, with these differences:
// file times come from the manifest (nanoseconds, the server's), not from
// the zip (one second); findings, evidence hashes and not_examined name
// the server's paths (C:\inetpub\...); manifest.json and collection.log
// are the collector's, not the server's, and are not hunted; the hash of
// every file the hunt reads whole is checked against the manifest (a
// mismatch is a warning and is said in the verdict reason: exhunt collect
// --verify checks every file and the zip itself); files the collector
// could not read, or left out for --max-size, are listed as not examined.
type bundle struct {
	m       *collect.Manifest
	files   map[string]*collect.FileEntry // by path in the bundle
	install string                        // the Exchange install folder, lower-case bundle path ("d/exchange"), "" if none
	seen    map[string]bool               // manifest entries the walk handed out
	extra   []string                      // entries in the bundle, not in the manifest
	extraN  int
}

// maxBundleNotes bounds the per-file bundle warnings of one hunt.
const maxBundleNotes = 20

var errManifestFound = errors.New("manifest found")

// readBundle reads manifest.json from the root of a zip. It returns nil
// for anything but a zip with one, and nil with a warning when the
// manifest cannot be used (the zip is then hunted as a plain one).
func (h *hostHunt) readBundle(ctx context.Context) (*bundle, error) {
	t := h.tree
	if t.Kind != "zip" {
		return nil, nil
	}
	// Walk is the tree's only way in. Looking for the manifest must not
	// count the entries it passes a second time in the tree's skip lists.
	skipped, unread, warnings := t.Skipped, len(t.Unread), len(t.Warnings)
	var mf *evidence.File
	err := t.Walk(ctx, func(f *evidence.File) error {
		if f.Path == collect.ManifestName {
			mf = f
			return errManifestFound
		}
		return nil
	})
	t.Skipped, t.Unread, t.Warnings = skipped, t.Unread[:unread], t.Warnings[:warnings]
	if err != nil && !errors.Is(err, errManifestFound) {
		return nil, err
	}
	if mf == nil {
		return nil, nil
	}
	m, err := readManifestFile(mf)
	if err != nil {
		h.warnf("%s is not a readable exhunt bundle manifest (%v): hunted as a zip of a copied tree, with the zip's one-second file times", collect.ManifestName, err)
		return nil, nil
	}
	b := &bundle{m: m, files: make(map[string]*collect.FileEntry, len(m.Files)), seen: map[string]bool{}}
	for i := range m.Files {
		b.files[m.Files[i].Path] = &m.Files[i]
	}
	if p := m.Exchange.InstallPath; len(p) > 2 && p[1] == ':' {
		b.install = strings.ToLower(strings.Trim(p[:1]+"/"+strings.ReplaceAll(p[2:], `\`, "/"), "/"))
	}
	return b, nil
}

func readManifestFile(f *evidence.File) (*collect.Manifest, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return collect.ReadManifest(rc, f.Size)
}

// bundleOptions adds a non-default Exchange install's Logging folder to
// the folders whose files are sniffed for log headers (what
// --exchange-path does by hand).
func (b *bundle) options(opt *Options) *Options {
	if b == nil || b.install == "" || strings.Contains("/"+b.install+"/", "/microsoft/exchange server/") {
		return opt
	}
	o := *opt
	o.ExchangePaths = append(slices.Clone(opt.ExchangePaths), b.install+"/logging")
	return &o
}

// fromBundle is called for every file the walk hands out. It says whether
// the file is the server's (not manifest.json or collection.log) and gives
// it the time the manifest recorded.
func (h *hostHunt) fromBundle(f *evidence.File) bool {
	b := h.bundle
	if b == nil {
		return true
	}
	// Only the two names the collector writes at the root are its own: a
	// manifest naming another entry as its log cannot hide that entry.
	if f.Path == collect.ManifestName || f.Path == collect.LogName {
		return false
	}
	e := b.files[f.Path]
	if e == nil {
		if b.extraN++; len(b.extra) < maxBundleNotes {
			b.extra = append(b.extra, f.Path)
		}
		return true
	}
	b.seen[f.Path] = true
	if !e.Times.Modified.IsZero() {
		f.ModTime = e.Times.Modified
	}
	if b.install != "" && strings.HasPrefix(f.Lower(), b.install+"/") {
		h.facts(f.Path).exchange = true
	}
	return true
}

// bundleFacts adds, once the bundle is read, what only the manifest
// knows: the files the collector could not read or left out, entries
// missing or added since, and ExSetup.exe's version as a build signal.
func (h *hostHunt) bundleFacts() {
	b := h.bundle
	if b == nil {
		return
	}
	m := b.m
	unread := map[string]bool{}
	for _, u := range h.tree.Unread {
		unread[u.Path] = true
	}
	chosen := 0
	for _, s := range m.Skipped {
		switch {
		case s.OverMaxSize():
			// A hunt of the tree would have checked its head at least.
			h.unexamined(s.OriginalPath, fmt.Sprintf("not collected: %s; the file is %d bytes", s.Reason, s.Size))
		case s.ByChoice():
			chosen++
		default:
			h.unexamined(s.OriginalPath, "not collected: "+s.Reason)
		}
	}
	for _, ms := range m.Missing {
		if ms.Error != "" {
			h.unexamined(ms.Path, "not collected: "+ms.Error)
		}
	}
	for _, e := range m.Files {
		switch {
		case !b.seen[e.Path] && !unread[e.Path]:
			h.unexamined(e.OriginalPath, "listed in "+collect.ManifestName+" but not in the bundle")
		case e.Error != "":
			h.unexamined(e.OriginalPath, "collected only in part: "+e.Error)
		}
	}
	for _, p := range b.extra {
		h.warnFile(p, "%s: in the bundle but not in %s: added after collection, not collected from the server", p, collect.ManifestName)
	}
	if b.extraN > len(b.extra) {
		h.warnf("%d more bundle entries are not in %s", b.extraN-len(b.extra), collect.ManifestName)
	}
	if chosen > 0 {
		h.warnf("the bundle leaves out %d files or folders by choice (--since, caches, exhunt's own folder): listed under \"skipped\" in %s", chosen, collect.ManifestName)
	}
	if v := m.Exchange.ExSetupVersion; v != "" {
		var at time.Time
		if e := b.files[m.Exchange.ExSetup]; e != nil {
			at = e.Times.Modified
		}
		h.addBuild(buildSignal{build: v, source: srcFile + " of ExSetup.exe, read by exhunt collect", file: collect.ManifestName, at: at})
	}
	h.warnf("hunted an exhunt bundle of %s (collected %s by %s %s, %s mode): file times and paths are the server's, from %s",
		nonEmpty(m.Host, "an unnamed host"), m.Started.UTC().Format(time.RFC3339), m.Collector.Name, m.Collector.Version, m.Mode, collect.ManifestName)
}

// evidenceName names the host of evidence that names no computer: the
// bundle's host, else the evidence's base name.
func (h *hostHunt) evidenceName(path string) string {
	if h.bundle != nil && h.bundle.m.Host != "" {
		return h.bundle.m.Host
	}
	base := filepath.Base(filepath.Clean(path))
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// finish checks the hashes of the files read against the manifest and
// turns bundle paths into the server's paths in one host's result.
func (b *bundle) finish(res *finding.HostResult) {
	if b == nil {
		return
	}
	orig := func(p string) string {
		if e := b.files[p]; e != nil && e.OriginalPath != "" {
			return e.OriginalPath
		}
		return p
	}
	checked, bad := 0, 0
	for i := range res.Evidence {
		fh := &res.Evidence[i]
		if e := b.files[fh.Path]; e != nil {
			checked++
			if fh.Size != e.Size || !strings.EqualFold(fh.SHA256, e.SHA256) {
				if bad++; bad <= maxBundleNotes {
					res.Warnings = append(res.Warnings, fmt.Sprintf("%s: SHA-256 %s (%d bytes), but %s says %s (%d bytes): the bundle was changed after collection; check it with exhunt collect --verify",
						e.OriginalPath, fh.SHA256, fh.Size, collect.ManifestName, e.SHA256, e.Size))
				}
			}
		}
		fh.Path = orig(fh.Path)
	}
	if bad > 0 {
		res.VerdictReason += fmt.Sprintf("; %d of the %d files read differ from the bundle's %s (exhunt collect --verify)", bad, checked, collect.ManifestName)
	}
	for i := range res.Findings {
		f := &res.Findings[i]
		e := b.files[f.Source]
		if e != nil && f.Kind == finding.KindFile {
			bundleFileDetails(f, e, b.m.Mode == "live")
		}
		f.Source = orig(f.Source)
		for j := range f.Related {
			f.Related[j].Source = orig(f.Related[j].Source)
		}
	}
	for i := range res.NotExamined {
		res.NotExamined[i].Path = orig(res.NotExamined[i].Path)
	}
	for i := range res.BuildSources {
		res.BuildSources[i].File = orig(res.BuildSources[i].File)
	}
	for i, w := range res.Warnings {
		if p, rest, ok := strings.Cut(w, ": "); ok && b.files[p] != nil {
			res.Warnings[i] = orig(p) + ": " + rest
		}
	}
	finding.Sort(res.Findings)
	slices.SortFunc(res.Evidence, func(a, b finding.FileHash) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(res.NotExamined, func(a, b finding.Unexamined) int { return strings.Compare(a.Path, b.Path) })
}

// bundleFileDetails says, on a file finding, where its time comes from
// and, for a live collection, adds the file's creation and change times
// on the server (those of a copied tree are the copy's, and left out).
func bundleFileDetails(f *finding.Finding, e *collect.FileEntry, live bool) {
	if f.Details == nil {
		f.Details = map[string]string{}
	}
	f.Details["bundle_path"] = e.Path
	if ts := f.Details["time_source"]; strings.HasPrefix(ts, "file modification time") || strings.HasPrefix(ts, "zip entry modification time") {
		if live {
			f.Details["time_source"] = "file modification time on the server, as exhunt collect found it (" + collect.ManifestName + "; attackers may timestomp)"
		} else {
			f.Details["time_source"] = "file modification time in the copied tree exhunt collect read (" + collect.ManifestName + "): the server's if the copy kept it; attackers may timestomp"
		}
	}
	if !live {
		return
	}
	for k, t := range map[string]*time.Time{"created": e.Times.Created, "changed": e.Times.Changed} {
		if t != nil && !t.IsZero() {
			f.Details[k] = t.UTC().Format(time.RFC3339Nano)
		}
	}
}

func nonEmpty(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
