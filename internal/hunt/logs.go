package hunt

import (
	"context"
	"fmt"
	"io"
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
	var err error
	switch j.kind {
	case kindIIS:
		err = h.iisFile(ctx, j.f)
	case kindExLog:
		err = h.exFile(ctx, j.f)
	case kindEVTX:
		err = h.evtxFile(ctx, j.f)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// One unreadable file never stops the hunt.
		h.warnf("%s: %v", j.f.Path, err)
	}
	if j.scan {
		if err := h.scanFile(ctx, j.f, j.kind == kindNone, j.headOnly); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			h.warnf("%s: %v", j.f.Path, err)
		}
	}
	return nil
}

// open opens a file with hashing and progress counting.
func (h *hostHunt) open(f *evidence.File) (io.ReadCloser, *evidence.HashReader, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, nil, err
	}
	hr := evidence.NewHashReader(&progressReader{r: rc, p: h.opt.Progress})
	return rc, hr, nil
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
	p Progress
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if p.p != nil && n > 0 {
		p.p.Add(int64(n))
	}
	return n, err
}

func (h *hostHunt) iisFile(ctx context.Context, f *evidence.File) error {
	rc, hr, err := h.open(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	m := h.opt.Rules.ForSource(iislog.LogSource)
	st, err := iislog.Parse(ctx, hr, f.Path, iislog.Options{Filter: m.Candidate}, func(rec *evidence.Record) error {
		m.Match(rec, func(r *rules.Rule) { h.add(newFinding(r, rec, finding.KindLog)) })
		return nil
	})
	h.finish(f, hr)
	h.hostHint(st.Host)
	h.cover("iis", f, st.First, st.Last, st.Days, st.Records, st.Lines, st.Malformed)
	return err
}

// exSource returns the logsource an Exchange log's records will carry,
// from its header and folder, for the prefilter.
func exSource(f *evidence.File, t exlog.LogType) evidence.LogSource {
	ls := evidence.LogSource{Product: "exchange", Service: string(t)}
	if t == exlog.HttpProxy {
		l := f.Lower()
		if i := strings.Index(l, "/httpproxy/"); i >= 0 {
			rest := l[i+len("/httpproxy/"):]
			if j := strings.IndexByte(rest, '/'); j > 0 {
				ls.Category = rest[:j]
			}
		}
	}
	return ls
}

func (h *hostHunt) exFile(ctx context.Context, f *evidence.File) error {
	head := make([]byte, headSize)
	n, _ := readHead(f, head)
	t, _ := exlog.Sniff(head[:n])
	rc, hr, err := h.open(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	// Rules that set no category agree with any category, so the matcher
	// for the folder's protocol covers every rule these records can meet.
	guess := exSource(f, t)
	filter := h.opt.Rules.ForSource(guess).Candidate
	var last evidence.LogSource
	var m *rules.Matcher
	st, err := exlog.Parse(ctx, hr, f.Path, exlog.Options{Filter: filter}, func(rec *evidence.Record) error {
		if m == nil || rec.Log != last {
			last, m = rec.Log, h.opt.Rules.ForSource(rec.Log)
		}
		m.Match(rec, func(r *rules.Rule) { h.add(newFinding(r, rec, finding.KindLog)) })
		return nil
	})
	h.finish(f, hr)
	h.hostHint(st.Host)
	if st.Version != "" && !st.Last.IsZero() {
		h.mu.Lock()
		if st.Last.After(h.builds[st.Version]) {
			h.builds[st.Version] = st.Last
		}
		h.mu.Unlock()
	}
	src := string(st.LogType)
	if src == "" {
		src = string(t)
	}
	if st.LogType == exlog.HttpProxy && guess.Category != "" {
		src += "/" + guess.Category
	}
	h.cover(src, f, st.First, st.Last, st.Days, st.Records, st.Lines, st.Malformed)
	return err
}

func (h *hostHunt) evtxFile(ctx context.Context, f *evidence.File) error {
	ra, err := f.OpenReaderAt()
	if err != nil {
		return err
	}
	defer ra.Close()
	matchers := map[evidence.LogSource]*rules.Matcher{}
	var first, last time.Time
	days := map[time.Time]bool{}
	service := ""
	computer := ""
	st, err := eventlog.Read(ctx, ra, f.Size, f.Path, func(rec *evidence.Record) error {
		m, ok := matchers[rec.Log]
		if !ok {
			m = h.opt.Rules.ForSource(rec.Log)
			matchers[rec.Log] = m
		}
		if service == "" {
			service = rec.Log.Service
		}
		if computer == "" {
			computer, _ = rec.Fields.Get("Computer")
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
		m.Match(rec, func(r *rules.Rule) { h.add(newFinding(r, rec, finding.KindEvent)) })
		return nil
	})
	if h.opt.Progress != nil {
		h.opt.Progress.Add(f.Size)
	}
	// Hash the file as stored (the reader above used random access).
	if rc, hr, err := h.openNoProgress(f); err == nil {
		h.finish(f, hr)
		rc.Close()
	}
	h.hostHint(shortHost(computer))
	for _, w := range st.Warnings {
		h.warnf("%s: %s", f.Path, w)
	}
	if service == "" {
		service = strings.ToLower(strings.TrimSuffix(f.Name(), ".evtx"))
	}
	h.cover("evtx/"+service, f, first, last, sortedDays(days), st.Records, st.Records+st.BadRecords, st.BadRecords)
	if err != nil {
		return fmt.Errorf("event log: %w", err)
	}
	return nil
}

func (h *hostHunt) openNoProgress(f *evidence.File) (io.ReadCloser, *evidence.HashReader, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, nil, err
	}
	return rc, evidence.NewHashReader(rc), nil
}

// shortHost turns EXCH01.corp.example into EXCH01, as IIS logs name it.
func shortHost(name string) string {
	if i := strings.IndexByte(name, '.'); i > 0 {
		return name[:i]
	}
	return name
}
