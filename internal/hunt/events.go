package hunt

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
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
			finding.Ref{Source: f.Source, Line: f.Line, Time: f.Time, Note: "opened LSASS: " + truncate(f.Evidence, 300)}})
	}
	if len(readers) == 0 {
		return
	}
	n := len(h.findings)
	for i := 0; i < n; i++ {
		w := h.findings[i]
		file := w.Details["target_filename"]
		if w.Kind != finding.KindEvent || w.Time.IsZero() || !strings.HasSuffix(strings.ToLower(file), ".dmp") {
			continue
		}
		guid, image := strings.ToLower(w.Details["process_guid"]), strings.ToLower(w.Details["process"])
		for _, r := range readers {
			d := w.Time.Sub(r.at)
			same := guid != "" && guid == r.guid || (guid == "" || r.guid == "") && image != "" && image == r.image
			if !same || d < 0 || d > dumpWindow {
				continue
			}
			h.findings = append(h.findings, finding.Finding{
				Rule: ruleDumpByReader, Title: "Dump file written by a process that had just opened LSASS", Severity: finding.Critical,
				CVEs: []string{}, Attack: []string{"T1003.001"}, Outcome: finding.Succeeded, Time: w.Time, Source: w.Source, Line: w.Line,
				Kind: finding.KindEvent, Evidence: truncate(fmt.Sprintf("%s wrote %s %s after opening LSASS for reading: the file holds LSASS's memory, whatever its name", w.Details["process"], file, d.Round(time.Second)), maxEvidence),
				Details: map[string]string{"process": w.Details["process"], "target_filename": file, "computer": w.Details["computer"]},
				Related: []finding.Ref{r.ref},
			})
			break
		}
	}
	if len(h.findings) > n {
		finding.Sort(h.findings)
	}
}

// exchangeOnlyCVEs takes the Exchange CVE ids off the findings of a host
// that shows no sign of Exchange (no Exchange log, install folder, build,
// MSExchange event or Exchange worker process): a web shell on any IIS
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
		f.Details["cves_not_applied"] = strings.Join(f.CVEs, " ") + ": the host shows no sign of Exchange (no Exchange log, install folder, build or MSExchange event)"
		f.CVEs = []string{}
		if hasTechnique(*f, "T1505.003") {
			f.Attack = slices.DeleteFunc(slices.Clone(f.Attack), func(a string) bool { return a == "T1190" })
		}
	}
}
