package hunt

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/exhunt/exhunt/internal/evidence"
)

// computerKey is the name hosts are split and reported by: the short
// computer name in upper case, as IIS writes s-computername, whether the
// evidence says EXCH01.corp.example (an event's Computer), exch01 or
// EXCH01. Addresses stay whole; "" and "-" name no computer.
func computerKey(name string) string {
	name = strings.TrimSpace(name)
	if name == "" || name == "-" {
		return ""
	}
	if _, err := netip.ParseAddr(name); err != nil {
		name = shortHost(name)
	}
	return strings.ToUpper(name)
}

// shortHost turns EXCH01.corp.example into EXCH01, as IIS logs name it.
func shortHost(name string) string {
	if i := strings.IndexByte(name, '.'); i > 0 {
		return name[:i]
	}
	return name
}

// eventFacts notes the computer an event names and whether it shows an
// Exchange server: an MSExchange provider or channel, or a process that
// Exchange's web workers (MSExchange* application pools, UM) started.
// seen holds the computers of this file already known to be Exchange.
func (h *hostHunt) eventFacts(rec *evidence.Record, computer string, seen map[string]bool) {
	if seen[computer] {
		return
	}
	exchange := false
	ch, _ := rec.Fields.Get("Channel")
	if strings.HasPrefix(ch, "MSExchange") {
		exchange = true
	} else if prov, _ := rec.Fields.Get("Provider_Name"); strings.HasPrefix(prov, "MSExchange") {
		exchange = true
	} else if id, _ := rec.Fields.Get("EventID"); id == "1" || id == "4688" {
		parent := strings.ToLower(field(rec, "ParentCommandLine") + " " + field(rec, "ParentImage") + " " + field(rec, "ParentProcessName"))
		exchange = strings.Contains(parent, "msexchange") || strings.Contains(parent, "umworkerprocess") || strings.Contains(parent, `\exchange server\`)
	}
	key := computerKey(computer)
	h.mu.Lock()
	if known, ok := h.computers[key]; !ok || exchange && !known {
		h.computers[key] = exchange
	}
	h.mu.Unlock()
	if exchange {
		seen[computer] = true
	}
}

// exchangeInstallPath says whether f belongs to an Exchange install
// (its default folder, or the V15 layout below any root).
func exchangeInstallPath(f *evidence.File) bool {
	l := f.Lower()
	return containsDir(l, "microsoft/exchange server/") || containsDir(l, "v15/frontend/httpproxy/") ||
		containsDir(l, "v15/clientaccess/") || containsDir(l, "v15/bin/exsetup.exe")
}

// containsDir says whether the path l holds dir ("a/b/") at its start or
// after a '/', as strings.Contains("/"+l, "/"+dir) would, without building
// either string.
func containsDir(l, dir string) bool {
	for i := strings.Index(l, dir); i >= 0; {
		if i == 0 || l[i-1] == '/' {
			return true
		}
		j := strings.Index(l[i+1:], dir)
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// split gives each computer the evidence names its own host: the files
// whose records name it (IIS s-computername, Exchange ServerHostName, an
// event log's Computer), the events of its Computer, and their findings,
// coverage, hashes and build signals. What names no computer (IIS logs
// without s-computername, web shells, dumps) goes to the primary host:
// --host if given, else the only computer named, else the one most files
// name. With --host everything is one host. Evidence that names no
// computer is reported under its own base name.
func (h *hostHunt) split(path string) []*hostHunt {
	fileCount := map[string]int{}
	for _, ff := range h.files {
		if ff.computer != "" {
			fileCount[ff.computer]++
		}
	}
	named := map[string]bool{}
	for c := range fileCount {
		named[c] = true
	}
	for c := range h.computers {
		if c != "" {
			named[c] = true
		}
	}
	names := slices.Sorted(maps.Keys(named))
	primary := h.opt.Host
	if primary == "" {
		switch {
		case len(names) == 0:
			primary = h.evidenceName(path)
		default:
			primary = names[0]
			for _, c := range names {
				if fileCount[c] > fileCount[primary] {
					primary = c
				}
			}
		}
	}
	one := h.opt.Host != "" || len(names) <= 1
	hostOf := func(computer string) string {
		if one || computer == "" {
			return primary
		}
		return computer
	}
	fileHost := func(p string) string {
		if one {
			return primary // no lookup per file when all go to one host
		}
		if ff := h.files[p]; ff != nil {
			return hostOf(ff.computer)
		}
		return primary
	}

	hosts := map[string]*hostHunt{}
	get := func(name string) *hostHunt {
		hh := hosts[name]
		if hh == nil {
			hh = newHostHunt(h.opt, h.tree)
			hh.name = name
			hh.scope, hh.scopeWhy = h.scope, h.scopeWhy
			if name == primary {
				hh.dropped, hh.caps = h.dropped, h.caps
			}
			hosts[name] = hh
		}
		return hh
	}
	get(primary)
	// Findings go to their computer's host. When they all go to one (most
	// evidence), the slice is handed over whole rather than copied: a
	// flood keeps tens of thousands of findings.
	owner := make([]*hostHunt, len(h.findings))
	whole := true
	for i := range h.findings {
		f := &h.findings[i]
		c := computerKey(f.Details["computer"])
		if c == "" {
			if ff := h.files[f.Source]; ff != nil {
				c = ff.computer
			}
		}
		owner[i] = get(hostOf(c))
		whole = whole && owner[i] == owner[0]
	}
	newIndex := make([]int, len(h.findings))
	for i := range h.findings {
		newIndex[i] = i
		if !whole {
			newIndex[i] = len(owner[i].findings)
			owner[i].findings = append(owner[i].findings, h.findings[i])
		}
	}
	for _, wf := range h.webFiles {
		hh := get(fileHost(h.findings[wf.index].Source))
		wf.index = newIndex[wf.index]
		hh.webFiles = append(hh.webFiles, wf)
	}
	if whole && len(owner) > 0 {
		owner[0].findings = h.findings
	}
	h.findings = nil
	for _, f := range h.exFiles {
		hh := get(fileHost(f.Path))
		hh.exFiles = append(hh.exFiles, f)
	}
	for _, f := range h.iisFiles {
		hh := get(fileHost(f.Path))
		hh.iisFiles = append(hh.iisFiles, f)
	}
	// By path, ties in the order recorded: an index sort, as a stable
	// sort of the 150-byte covers moved each O(log² n) times (a tenth of
	// a hunt's CPU on 51,000 small files).
	order := make([]int, len(h.covers))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(strings.Compare(h.covers[a].path, h.covers[b].path), cmp.Compare(a, b))
	})
	for _, i := range order {
		fc := h.covers[i]
		get(fileHost(fc.path)).addCover(fc)
	}
	for _, fh := range h.hashes {
		hh := get(fileHost(fh.Path))
		hh.hashes = append(hh.hashes, fh)
	}
	for _, b := range h.builds {
		hh := get(fileHost(b.file))
		hh.builds = append(hh.builds, b)
	}
	for k, pg := range h.pages {
		get(fileHost(pg.file)).pages[k] = pg
	}
	for _, u := range h.unread {
		hh := get(fileHost(u.Path))
		hh.unread = append(hh.unread, u)
		hh.unreadN++
	}
	if extra := h.unreadN - len(h.unread); extra > 0 {
		get(primary).unreadN += extra
	}
	warnings := slices.Clone(h.warnings)
	slices.SortStableFunc(warnings, func(a, b note) int { return strings.Compare(a.path+"\x00"+a.text, b.path+"\x00"+b.text) })
	for _, w := range h.tree.Warnings {
		get(primary).warnings = append(get(primary).warnings, note{"", w})
	}
	for _, w := range warnings {
		hh := get(fileHost(w.path))
		if w.path == "" {
			hh = get(primary)
		}
		hh.warnings = append(hh.warnings, w)
	}
	for p, ff := range h.files {
		hh := get(fileHost(p))
		if ff.examined {
			hh.examined++
		}
		hh.exchange = hh.exchange || ff.exchange
	}
	for c, ex := range h.computers {
		if ex {
			get(hostOf(c)).exchange = true
		}
	}

	out := slices.Collect(maps.Values(hosts))
	slices.SortFunc(out, func(a, b *hostHunt) int { return strings.Compare(a.name, b.name) })
	if len(names) > 1 {
		list := strings.Join(names, ", ")
		for _, hh := range out {
			if one {
				hh.warnf("the evidence holds logs of %d computers (%s), reported as one host %s because --host was given", len(names), list, h.opt.Host)
				continue
			}
			w := fmt.Sprintf("the evidence %s holds logs of %d computers (%s): reported as one host each", path, len(names), list)
			if hh.name == primary {
				w += fmt.Sprintf("; files and logs that name no computer (IIS logs without s-computername, files) are reported under %s, the computer most files name; --host NAME reports everything as one host", primary)
			}
			hh.warnf("%s", w)
		}
	}
	for _, hh := range out {
		hh.exchange = hh.exchange || len(hh.builds) > 0
	}
	return out
}
