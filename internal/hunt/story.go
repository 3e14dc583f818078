package hunt

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/safetext"
)

// storyWindow is how close in time a process start must follow a web-shell
// request to be told as its consequence.
const storyWindow = 5 * time.Minute

// webWorkers are the processes that run Exchange's web code: a child of
// one of them right after a web-shell request is that request's doing.
var webWorkers = []string{`\w3wp.exe`, `\umworkerprocess.exe`, `\umservice.exe`}

// linkProcesses ties each event finding about a process started by an
// Exchange web worker to the web-shell requests (log findings of web-shell
// use, and requests to flagged files) shortly before it, both ways, so a
// web shell file, the request to it and the process it started read as
// one story. The requests are sorted by time once and each process finds
// its request by binary search: O((requests + processes) log requests).
func (h *hostHunt) linkProcesses() {
	type request struct {
		at   time.Time
		ref  finding.Ref
		from int  // finding index that holds it
		log  bool // the request itself (a log finding), not a file's request list
	}
	var reqs []request
	for i, f := range h.findings {
		switch {
		case f.Kind == finding.KindLog && hasTechnique(f, "T1505"):
			reqs = append(reqs, request{f.Time, finding.Ref{Source: f.Source, Line: f.Line, Time: f.Time, Note: "web-shell request: " + safetext.Truncate(f.Evidence, 300)}, i, true})
		case f.Kind == finding.KindFile:
			for _, r := range f.Related {
				if strings.HasPrefix(r.Note, "requested:") {
					reqs = append(reqs, request{r.Time, r, i, false})
				}
			}
		}
	}
	if len(reqs) == 0 {
		return
	}
	// The latest request before the process wins; at equal times a log
	// finding (the request itself) beats a file's request list, then the
	// first in finding order: sorted that way, the winner is the first of
	// the latest time group at or before the process.
	slices.SortStableFunc(reqs, func(a, b request) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		switch {
		case a.log && !b.log:
			return -1
		case !a.log && b.log:
			return 1
		}
		return 0
	})
	for i := range h.findings {
		ev := &h.findings[i]
		parent := strings.ToLower(ev.Details["parent_process"])
		if ev.Kind != finding.KindEvent || ev.Time.IsZero() || !endsWithAny(parent, webWorkers) {
			continue
		}
		// last is the latest request at or before the process.
		last, _ := slices.BinarySearchFunc(reqs, ev.Time, func(r request, t time.Time) int {
			if r.at.After(t) {
				return 1
			}
			return -1
		})
		h.ops.story += int64(bits.Len(uint(len(reqs))))
		last--
		if last < 0 || reqs[last].at.Before(ev.Time.Add(-storyWindow)) {
			continue
		}
		first, _ := slices.BinarySearchFunc(reqs[:last+1], reqs[last].at, func(r request, t time.Time) int {
			if r.at.Before(t) {
				return -1
			}
			return 1
		})
		best := &reqs[first]
		ev.Related = addRef(ev.Related, finding.Ref{Source: best.ref.Source, Line: best.ref.Line, Time: best.ref.Time,
			Note: fmt.Sprintf("%s before: %s", ev.Time.Sub(best.at).Round(time.Second), best.ref.Note)})
		src := &h.findings[best.from]
		if len(src.Related) < 60 && !hasRef(src.Related, ev.Source, ev.Line) {
			src.Related = append(src.Related, finding.Ref{Source: ev.Source, Line: ev.Line, Time: ev.Time,
				Note: fmt.Sprintf("followed by process %s (parent %s): %s", ev.Details["process"], ev.Details["parent_process"], safetext.Truncate(ev.Details["command_line"], 300))})
		}
		if src.Kind == finding.KindFile || src.Outcome == finding.Unknown {
			src.Outcome = finding.Succeeded
		}
	}
}

func hasTechnique(f finding.Finding, prefix string) bool {
	for _, a := range f.Attack {
		if strings.HasPrefix(a, prefix) {
			return true
		}
	}
	return false
}

func endsWithAny(s string, suffixes []string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) || s == strings.TrimPrefix(x, `\`) {
			return true
		}
	}
	return false
}

// addRef appends r unless a ref to the same place is there already (two
// rules firing on one record must not tell the story twice).
func addRef(refs []finding.Ref, r finding.Ref) []finding.Ref {
	if hasRef(refs, r.Source, r.Line) {
		return refs
	}
	return append(refs, r)
}

// refPlace is where a Ref points.
type refPlace struct {
	source string
	line   int64
}

// refPlaces is the set of places refs point at, for adding many refs
// without a scan of the list for each (addRef's way).
func refPlaces(refs []finding.Ref) map[refPlace]bool {
	m := make(map[refPlace]bool, len(refs))
	for _, r := range refs {
		m[refPlace{r.Source, r.Line}] = true
	}
	return m
}

func hasRef(refs []finding.Ref, source string, line int64) bool {
	for _, x := range refs {
		if x.Source == source && x.Line == line {
			return true
		}
	}
	return false
}
