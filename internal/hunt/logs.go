package hunt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/eventlog"
	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/exlog"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/iislog"
	"github.com/exhunt/exhunt/internal/rules"
)

// run does one job.
func (h *hostHunt) run(ctx context.Context, j job) error {
	var sn *sniffed
	if j.sniff {
		var err error
		if sn, err = h.sniff(j.f); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			h.warnFile(j.f.Path, "%s: cannot read: %v", j.f.Path, err)
			h.unexamined(j.f.Path, "cannot read: "+errText(err))
			h.progress(j.f.Size)
			return nil // the file checks could not read it either
		}
		defer sn.close()
		classify(&j, sn.head())
		if j.kind != kindNone && !h.opt.AllFiles {
			// A log is read as a log: the attack lines it records are
			// log findings, not a web shell file to remove (an ECP log
			// quotes the China Chopper payload it was sent).
			j.scan = false
		}
		switch j.kind {
		case kindExLog, kindIIS:
			h.logSeen(j)
		case kindNone:
			// A file sniffed only because it may hold a log is listed
			// only when it is an archive.
			unknown := ""
			if !j.quiet && j.archive == "" {
				unknown = unknownFormat(j.f, sn.head(), false)
			}
			switch {
			case j.scan:
				if j.log && unknown != "" {
					h.unexamined(j.f.Path, unknownFormat(j.f, sn.head(), true))
				}
			case h.widen:
				// Out of the focused scope: checked if the evidence is a
				// collection of files, which the walk may not know yet.
				l := looseFile{f: j.f, unknown: unknown, log: j.log, archive: j.archive}
				if h.holdLoose(l) {
					return nil
				}
				lj, ok := h.sniffedLooseJob(l)
				if !ok {
					return nil
				}
				j = lj
			default:
				switch {
				case j.archive != "":
					h.noteArchive(j.f.Path, j.archive, false)
				case unknown != "":
					h.unexamined(j.f.Path, unknown)
				}
				h.progress(j.f.Size)
			}
		}
		if j.kind == kindIIS || j.kind == kindExLog {
			// The parser goes on from the head: count it, and what follows.
			h.progress(int64(sn.br.Buffered()))
			sn.pr.p = h.prog
		} else {
			sn.close() // event logs are read by random access, others by the file checks
			sn = nil
		}
	}
	var err error
	var read bool // some of the file was read before any error
	switch j.kind {
	case kindIIS:
		read, err = h.iisFile(ctx, j.f, j.layout, sn)
	case kindExLog:
		read, err = h.exFile(ctx, j.f, j.exType, sn)
	case kindEVTX:
		read, err = h.evtxFile(ctx, j.f)
	case kindPE:
		h.progress(j.f.Size) // its version is read from a few places in it
		if err = h.peBuild(j.f); err == nil {
			h.examinedFile(j.f.Path, "")
		} else {
			h.warnFile(j.f.Path, "%s: no file version: %v", j.f.Path, err)
			err = nil
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// One unreadable file never stops the hunt.
		h.warnFile(j.f.Path, "%s: %v", j.f.Path, err)
		if read {
			h.unexamined(j.f.Path, "read only in part: "+errText(err))
		} else if !j.scan {
			h.unexamined(j.f.Path, "cannot read: "+errText(err))
		}
	}
	if j.scan {
		switch err := h.scanFile(ctx, j.f, j.kind == kindNone, j.headOnly); {
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			h.warnFile(j.f.Path, "%s: %v", j.f.Path, err)
			h.unexamined(j.f.Path, "cannot read: "+errText(err))
		case j.archive != "":
			h.noteArchive(j.f.Path, j.archive, true)
		default:
			h.examinedFile(j.f.Path, "")
		}
	}
	return nil
}

// errText is an error's message without the file path the evidence
// opener put in front of it (the path is listed next to it).
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// open opens a file with hashing and progress counting, and returns what
// to parse (the hashing reader, or sn's buffer over it) and the hashing
// reader; sn, when not nil, is the file already open and sniffed.
func (h *hostHunt) open(f *evidence.File, sn *sniffed) (io.Closer, io.Reader, *evidence.HashReader, error) {
	if sn != nil {
		return io.NopCloser(nil), sn.br, sn.hr, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, nil, err
	}
	hr := evidence.NewHashReader(&progressReader{r: rc, p: h.prog})
	return rc, hr, hr, nil
}

// progress counts n bytes of the planned total as done without reading
// them (a file found to be no log, an event log read by random access).
func (h *hostHunt) progress(n int64) {
	if h.prog != nil {
		h.prog.Add(n)
	}
}

func (h *hostHunt) finish(f *evidence.File, hr *evidence.HashReader) {
	sum, n, err := hr.Finish()
	if err != nil {
		h.warnf("%s: hashing: %v", f.Path, err)
		return
	}
	h.addHash(f, sum, n)
}

type progressReader struct {
	r io.Reader
	p byteCounter
}

// byteCounter counts bytes read: Progress's Add.
type byteCounter interface{ Add(n int64) }

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if p.p != nil && n > 0 {
		p.p.Add(int64(n))
	}
	return n, err
}

func (h *hostHunt) iisFile(ctx context.Context, f *evidence.File, layout string, sn *sniffed) (bool, error) {
	rc, in, hr, err := h.open(f, sn)
	if err != nil {
		return false, err
	}
	defer rc.Close()
	m := h.opt.Rules.ForSource(iislog.LogSource)
	// The prefilter's verdict on the line the parser is about to hand
	// over (Parse calls Filter, then fn, for each line in turn). Lines are
	// also kept, skipping the rules, when their URL may name the build
	// (an OWA/ECP resource path), until one did or for the first
	// maxVersionLines lines: a file (a day) rarely changes build. Script
	// pages reach the page inventory through the prefilter, whose web
	// shell rules key on their extensions.
	var candidate bool
	var sel rules.Selection // the rules a candidate line may match
	checkVersion, lines := true, 0
	// Until one request shows the server runs Exchange (an Exchange URL
	// answered), lines that may name one are kept for servesExchange.
	checkExchange := true
	filter := func(line []byte) bool {
		if candidate = m.Candidate(line); candidate {
			m.Select(line, &sel)
		}
		if checkExchange && mayNameExchangeURL(line) {
			return true
		}
		if checkVersion {
			if lines++; lines > maxVersionLines {
				checkVersion = false
			}
			return candidate || hasVersionPath(line)
		}
		return candidate
	}
	st, err := iislog.Parse(ctx, in, f.Path, iislog.Options{Filter: filter, DefaultFields: layout}, func(rec *evidence.Record) error {
		stem, _ := rec.Fields.Get("cs-uri-stem")
		status, _ := rec.Fields.Get("sc-status")
		if checkExchange && servesExchange(stem, status) {
			checkExchange = false
			h.exchangeServed(f.Path)
		}
		if checkVersion {
			if b := urlBuild(stem, status); b != "" {
				checkVersion = false
				h.addBuild(buildSignal{build: b, source: srcURL, file: f.Path, line: rec.Line, at: rec.Time})
			}
		}
		if !candidate {
			return nil
		}
		m.MatchSelected(rec, &sel, func(r *rules.Rule) { h.add(h.newFinding(r, rec, finding.KindLog)) })
		h.pageRequest("iis", f.Path, rec, stem, status, field(rec, "cs-method"), field(rec, "c-ip"), field(rec, "cs-uri-query"))
		return nil
	})
	h.finish(f, hr)
	if !h.readable(f, st.Lines, st.Malformed, st.First, "no #Fields: header, or every line malformed") {
		return true, err
	}
	h.examinedFile(f.Path, st.Host)
	src := "iis"
	h.cover(src, f, st.First, st.Last, st.Days, st.Records, st.Lines, st.Malformed)
	if st.DefaultFields != "" {
		h.coverNote(src, fmt.Sprintf("%s: no #Fields: header: read with the default Exchange IIS fields (%s)", f.Path, st.DefaultFields))
	}
	return st.Lines > 0, err
}

// readable says whether a text log gave any well-formed line; if not, it
// is listed as not examined with why.
func (h *hostHunt) readable(f *evidence.File, lines, malformed int64, first time.Time, why string) bool {
	if malformed == 0 || !first.IsZero() {
		return true
	}
	h.unexamined(f.Path, fmt.Sprintf("none of its %d lines could be read: %s", malformed, why))
	return false
}

func field(rec *evidence.Record, name string) string {
	v, _ := rec.Fields.Get(name)
	return v
}

// exSource returns the logsource an Exchange log's records may carry, for
// the prefilter: its product and service from the header, and any
// category, since each record names its own (its Protocol column, its
// UrlStem), which a flattened triage folder does not change.
func exSource(t exlog.LogType) evidence.LogSource {
	ls := evidence.LogSource{Product: "exchange", Service: string(t)}
	if t == exlog.HttpProxy {
		ls.Category = rules.AnyCategory
	}
	return ls
}

// exFile reads an Exchange log whose head showed the type t.
func (h *hostHunt) exFile(ctx context.Context, f *evidence.File, t exlog.LogType, sn *sniffed) (bool, error) {
	rc, in, hr, err := h.open(f, sn)
	if err != nil {
		return false, err
	}
	defer rc.Close()
	pre := h.opt.Rules.ForSource(exSource(t))
	// The first record of each file is always read, whatever the
	// prefilter says: it carries the file's build (version columns, ECP
	// S:BLD) and names the protocol and computer.
	var candidate, first = false, true
	var sel rules.Selection // the rules a candidate line may match
	filter := func(line []byte) bool {
		if candidate = pre.Candidate(line); candidate {
			pre.Select(line, &sel)
		}
		keep := candidate || first
		first = false
		return keep
	}
	var last evidence.LogSource
	var m *rules.Matcher
	var buildSeen bool
	st, err := exlog.Parse(ctx, in, f.Path, exlog.Options{Filter: filter}, func(rec *evidence.Record) error {
		if !buildSeen {
			buildSeen = true
			h.recordBuilds(f.Path, rec)
		}
		if candidate {
			if m == nil || rec.Log != last {
				last, m = rec.Log, h.opt.Rules.ForSource(rec.Log)
			}
			m.MatchSelected(rec, &sel, func(r *rules.Rule) { h.add(h.newFinding(r, rec, finding.KindLog)) })
		}
		if candidate && rec.Log.Service == string(exlog.HttpProxy) {
			stem := field(rec, "UrlStem")
			h.pageRequest("httpproxy", f.Path, rec, stem, field(rec, "HttpStatus"), field(rec, "Method"), field(rec, "ClientIpAddress"), field(rec, "UrlQuery"))
		}
		return nil
	})
	h.finish(f, hr)
	why := "every row malformed"
	if len(st.Fields) == 0 {
		why = "an Exchange log without a #Fields: header: its columns are unknown"
	}
	if !h.readable(f, st.Lines, st.Malformed, st.First, why) {
		return true, err
	}
	h.examinedFile(f.Path, st.Host)
	if st.Version != "" {
		h.addBuild(buildSignal{build: st.Version, source: srcHeader, file: f.Path, line: st.VersionLine, at: st.Last})
	}
	src := string(st.LogType)
	if src == "" {
		src = string(t)
	}
	if st.LogType == exlog.HttpProxy && st.Protocol != "" {
		src += "/" + st.Protocol
	}
	h.cover(src, f, st.First, st.Last, st.Days, st.Records, st.Lines, st.Malformed)
	if st.Ragged > 0 {
		h.coverNote(src, fmt.Sprintf("%s: %d rows have more or fewer values than the header names (kept: missing values empty, extra ones in the last column)", f.Path, st.Ragged))
	}
	return st.Lines > 0, err
}

func (h *hostHunt) evtxFile(ctx context.Context, f *evidence.File) (bool, error) {
	ra, err := f.OpenReaderAt()
	if err != nil {
		return false, err
	}
	defer ra.Close()
	matchers := map[evidence.LogSource]*rules.Matcher{}
	var first, last time.Time
	days := map[time.Time]bool{}
	service := ""
	computer := ""
	seen := map[string]bool{}   // computers known to be Exchange servers
	builds := map[string]bool{} // builds MSExchange events named
	st, err := eventlog.Read(ctx, ra, f.Size, f.Path, func(rec *evidence.Record) error {
		m, ok := matchers[rec.Log]
		if !ok {
			m = h.opt.Rules.ForSource(rec.Log)
			matchers[rec.Log] = m
		}
		if service == "" {
			service = rec.Log.Service
		}
		c, _ := rec.Fields.Get("Computer")
		if computer == "" {
			computer = c
		}
		h.eventFacts(rec, c, seen)
		if prov, _ := rec.Fields.Get("Provider_Name"); strings.HasPrefix(prov, "MSExchange") && len(builds) < 16 {
			for _, b := range exchangeBuildText.FindAllString(field(rec, "Data"), 4) {
				if !builds[b] {
					builds[b] = true
					h.addBuild(buildSignal{build: b, source: srcEvent, file: f.Path, line: rec.Line, at: rec.Time})
				}
			}
		}
		if !rec.Time.IsZero() {
			if first.IsZero() || rec.Time.Before(first) {
				first = rec.Time
			}
			if rec.Time.After(last) {
				last = rec.Time
			}
			days[dayOf(rec.Time)] = true
		}
		m.Match(rec, func(r *rules.Rule) { h.add(h.newFinding(r, rec, finding.KindEvent)) })
		return nil
	})
	h.progress(f.Size)
	// Hash the file as stored (the reader above used random access).
	if rc, hr, err := h.openNoProgress(f); err == nil {
		h.finish(f, hr)
		rc.Close()
	}
	for _, w := range st.Warnings {
		h.warnFile(f.Path, "%s: %s", f.Path, w)
	}
	if service == "" {
		service = strings.ToLower(strings.TrimSuffix(f.Name(), ".evtx"))
	}
	h.cover("evtx/"+service, f, first, last, sortedDays(days), st.Records, st.Records+st.BadRecords, st.BadRecords)
	if err == nil && st.Records == 0 {
		// Nothing read is nothing examined: a file cut within its header
		// or first chunk, a corrupt one, or a log with no record at all.
		why := "no event record could be read"
		if len(st.Warnings) > 0 {
			why = st.Warnings[0] + "; " + why
		}
		h.unexamined(f.Path, oneLine(why, 300))
		return false, nil
	}
	if st.Records > 0 || err == nil {
		h.examinedFile(f.Path, computer)
	}
	if err != nil {
		return st.Records > 0, fmt.Errorf("event log: %w", err)
	}
	return true, nil
}

func (h *hostHunt) openNoProgress(f *evidence.File) (io.ReadCloser, *evidence.HashReader, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, nil, err
	}
	return rc, evidence.NewHashReader(rc), nil
}
