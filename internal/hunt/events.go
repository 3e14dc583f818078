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

// ruleDumpByReader is the id of the finding dumpsByLSASSReaders adds.
const ruleDumpByReader = "exhunt:dump-written-by-lsass-reader"

// dumpWindow is how long after opening LSASS a process's dump file write
// is told as the dump of LSASS.
const dumpWindow = 10 * time.Minute

// dumpsByLSASSReaders ties a dump file of any name (dumpert.dmp,
// Andrew.dmp) to the process that opened LSASS for reading just before:
// the same process (Sysmon process GUID, else the same image) wrote it,
// so it holds LSASS's memory whatever it is called. Each such file gets a
// critical finding that points at both events.
func (h *hostHunt) dumpsByLSASSReaders() {
	type reader struct {
		guid, image string
		at          time.Time
		ref         finding.Ref
	}
	var readers []reader
	for _, f := range h.findings {
		if f.Kind != finding.KindEvent || f.Time.IsZero() || !strings.HasSuffix(strings.ToLower(f.Details["target_process"]), `\lsass.exe`) {
			continue
		}
		readers = append(readers, reader{strings.ToLower(f.Details["source_guid"]), strings.ToLower(f.Details["source_process"]), f.Time,
			finding.Ref{Source: f.Source, Line: f.Line, Time: f.Time, Note: "opened LSASS: " + safetext.Truncate(f.Evidence, 300)}})
	}
	if len(readers) == 0 {
		return
	}
	// Each writer looks up the readers of its process (by GUID, else by
	// image) and takes the first one in the window by binary search over
	// their times, rather than trying every reader.
	slices.SortStableFunc(readers, func(a, b reader) int { return a.at.Compare(b.at) })
	byGUID, byImage, byImageNoGUID := map[string][]int{}, map[string][]int{}, map[string][]int{}
	for k, r := range readers {
		if r.guid != "" {
			byGUID[r.guid] = append(byGUID[r.guid], k)
		}
		if r.image != "" {
			byImage[r.image] = append(byImage[r.image], k)
			if r.guid == "" {
				byImageNoGUID[r.image] = append(byImageNoGUID[r.image], k)
			}
		}
	}
	// firstIn returns the first reader of list (positions in readers,
	// ascending) that opened LSASS at most dumpWindow before t, or -1.
	firstIn := func(list []int, t time.Time) int {
		h.ops.dumps += int64(bits.Len(uint(len(list))))
		lo := t.Add(-dumpWindow)
		k, _ := slices.BinarySearchFunc(list, lo, func(p int, lo time.Time) int {
			if readers[p].at.Before(lo) {
				return -1
			}
			return 1
		})
		if k == len(list) || readers[list[k]].at.After(t) {
			return -1
		}
		return list[k]
	}
	n := len(h.findings)
	for i := 0; i < n; i++ {
		w := h.findings[i]
		file := w.Details["target_filename"]
		if w.Kind != finding.KindEvent || w.Time.IsZero() || !strings.HasSuffix(strings.ToLower(file), ".dmp") {
			continue
		}
		guid, image := strings.ToLower(w.Details["process_guid"]), strings.ToLower(w.Details["process"])
		// The same process: the same GUID, or, when either side has no
		// GUID, the same image.
		var cands []int
		if guid != "" {
			cands = append(cands, firstIn(byGUID[guid], w.Time))
			if image != "" {
				cands = append(cands, firstIn(byImageNoGUID[image], w.Time))
			}
		} else if image != "" {
			cands = append(cands, firstIn(byImage[image], w.Time))
		}
		best := -1
		for _, c := range cands {
			if c >= 0 && (best < 0 || c < best) {
				best = c
			}
		}
		if best < 0 {
			continue
		}
		r := readers[best]
		d := w.Time.Sub(r.at)
		h.findings = append(h.findings, finding.Finding{
			Rule: ruleDumpByReader, Title: "Dump file written by a process that had just opened LSASS", Severity: finding.Critical,
			CVEs: []string{}, Attack: []string{"T1003.001"}, Outcome: finding.Succeeded, Time: w.Time, Source: w.Source, Line: w.Line,
			Kind: finding.KindEvent, Evidence: safetext.Truncate(fmt.Sprintf("%s wrote %s %s after opening LSASS for reading: the file holds LSASS's memory, whatever its name", w.Details["process"], file, d.Round(time.Second)), maxEvidence),
			Details: map[string]string{"process": w.Details["process"], "target_filename": file, "computer": w.Details["computer"]},
			Related: []finding.Ref{r.ref},
		})
	}
	if len(h.findings) > n {
		finding.Sort(h.findings)
	}
}

// exchangeOnlyCVEs takes the Exchange CVE ids off the findings of a host
// that shows no sign of Exchange (no Exchange log, install folder, build,
// MSExchange event, Exchange worker process, or Exchange URL answered in
// its IIS logs): a web shell on any IIS
// server is T1505.003, not ProxyLogon. The ids are kept in the finding's
// details, with the reason.
func (h *hostHunt) exchangeOnlyCVEs() {
	if h.exchange {
		return
	}
	for i := range h.findings {
		f := &h.findings[i]
		if len(f.CVEs) == 0 {
			continue
		}
		if f.Details == nil {
			f.Details = map[string]string{}
		}
		f.Details["cves_not_applied"] = strings.Join(f.CVEs, " ") + ": the host shows no sign of Exchange (no Exchange log, install folder, build, MSExchange event or Exchange URL answered in its IIS logs)"
		f.CVEs = []string{}
		if hasTechnique(*f, "T1505.003") {
			f.Attack = slices.DeleteFunc(slices.Clone(f.Attack), func(a string) bool { return a == "T1190" })
		}
	}
}
