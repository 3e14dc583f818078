package hunt

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/exlog"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/safetext"
)

// maxJoined bounds the records attached to one finding by the join.
const maxJoined = 20

// joinHit is one record that shares a finding's request id.
type joinHit struct {
	finding int
	ref     finding.Ref
}

// joinRequests reads the Exchange logs a second time, only when some
// finding carries a request id, and attaches every other record with the
// same RequestId (the back-end side of a proxied request: what the SSRF
// reached; CSS-Exchange issue #92). Each record's RequestId column is
// looked up in a hash of the wanted ids, so the pass costs the same for
// one wanted id as for a hundred thousand (a mass-scanned server); the
// files are read in parallel and their records attached in file order.
func (h *hostHunt) joinRequests(ctx context.Context) error {
	ids := map[string][]int{}
	for i, f := range h.findings {
		if id := f.Details["request_id"]; len(id) >= 8 {
			ids[id] = append(ids[id], i)
		}
	}
	if len(ids) == 0 || len(h.exFiles) == 0 {
		return nil
	}
	hits := make([][]joinHit, len(h.exFiles))
	ops := make([]int64, len(h.exFiles))
	near := h.nearFindings(ids)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(h.opt.Workers)
	for k, f := range h.exFiles {
		if !near(f) {
			h.ops.joinSkipped++
			continue
		}
		g.Go(func() error {
			hits[k], ops[k] = h.joinFile(gctx, f, ids)
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for k, hs := range hits {
		h.ops.join += ops[k]
		for _, x := range hs {
			fi := &h.findings[x.finding]
			if len(fi.Related) < maxJoined {
				fi.Related = append(fi.Related, x.ref)
			}
		}
	}
	return nil
}

// joinWindow is how far from a wanted finding's time a record of the same
// request may lie: a request's records are written while it runs (a
// proxied request times out within minutes) by servers whose clocks
// Kerberos keeps within five minutes of each other.
const joinWindow = time.Hour

// nearFindings says whether an Exchange log may hold a record of a wanted
// request: its records (first to last) come within joinWindow of some
// wanted finding's time. A log without record times, or a wanted finding
// without one, is always read. Sorting the times and one binary search
// per file keep it O((n + m) log m), and a mass-scanned server's hourly
// logs are not all read twice for a few findings.
func (h *hostHunt) nearFindings(ids map[string][]int) func(*evidence.File) bool {
	var times []time.Time
	for _, is := range ids {
		for _, i := range is {
			t := h.findings[i].Time
			if t.IsZero() {
				return func(*evidence.File) bool { return true }
			}
			times = append(times, t)
		}
	}
	slices.SortFunc(times, time.Time.Compare)
	return func(f *evidence.File) bool {
		sp, ok := h.spans[f.Path]
		if !ok {
			return true
		}
		k, _ := slices.BinarySearchFunc(times, sp.first.Add(-joinWindow), time.Time.Compare)
		return k < len(times) && !times[k].After(sp.last.Add(joinWindow))
	}
}

// joinFile returns the records of one Exchange log that share a wanted
// request id, at most maxJoined per finding (no more can be attached),
// and the steps it took: one lookup per record plus one per finding of
// each hit.
func (h *hostHunt) joinFile(ctx context.Context, f *evidence.File, ids map[string][]int) ([]joinHit, int64) {
	rc, err := f.Open()
	if err != nil {
		return nil, 0
	}
	defer rc.Close()
	var out []joinHit
	var ops int64
	per := map[int]int{}
	key := func(v []byte) bool {
		ops++
		_, ok := ids[string(v)]
		return ok
	}
	// A log without a RequestId column is read whole (Filter nil): its
	// records are few (ECP server, OAB generator logs) and only their
	// parsed fields can tell.
	exlog.Parse(ctx, rc, f.Path, exlog.Options{KeyField: "RequestId", Key: key}, func(rec *evidence.Record) error {
		id, _ := rec.Fields.Get("RequestId")
		for _, i := range ids[id] {
			ops++
			fi := &h.findings[i]
			if fi.Source == rec.Source && fi.Line == rec.Line || per[i] >= maxJoined {
				continue
			}
			per[i]++
			out = append(out, joinHit{i, finding.Ref{Source: rec.Source, Line: rec.Line, Time: rec.Time, Note: "same request: " + describe(rec)}})
		}
		return nil
	})
	return out, ops
}

// describe renders what a joined record says the request did.
func describe(rec *evidence.Record) string {
	var parts []string
	for _, k := range []string{"Protocol", "Method", "UrlStem", "UrlQuery", "HttpStatus", "TargetServer", "BackEndStatus", "AuthenticatedUser", "Cmdlet", "Parameters", "EventData"} {
		if v, ok := rec.Fields.Get(k); ok && v != "" && v != "-" {
			parts = append(parts, k+"="+v)
		}
	}
	return safetext.Truncate(fmt.Sprintf("%s %s", rec.Log.Service, strings.Join(parts, " ")), 1024)
}
