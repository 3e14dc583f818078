package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/exchange"
	"github.com/exhunt/exhunt/internal/jsonfmt"
	"github.com/exhunt/exhunt/internal/safetext"
	"github.com/exhunt/exhunt/internal/store/result"
)

// ScanRow is one line of the scan notification list (`exhunt export
// --scans`): the newest scan of one target. Fields are only ever added
// (CSV: at the end).
type ScanRow struct {
	Target string `json:"target"` // as given to the scan
	Port   int    `json:"port"`
	IP     string `json:"ip"`
	// ExchangeState is exchange, not-exchange, unidentified or unreachable:
	// the scan's exchange_state yes, no and unidentified, and a scan that
	// ended in an error.
	ExchangeState string    `json:"exchange_state"`
	Build         string    `json:"build"`
	Product       string    `json:"product"`
	CVEs          []string  `json:"cves"`
	KEVCVEs       []string  `json:"kev_cves"`  // of cves and su_dependent_cves, those CISA lists as exploited in the wild
	WebShells     []string  `json:"webshells"` // paths judged present
	ScannedAt     time.Time `json:"scanned_at"`
	ScanID        string    `json:"scan_id,omitempty"` // the queued scan, if it was one
	Error         string    `json:"error,omitempty"`
	// OWALookalike: an OWA logon page copied from another host (a phishing
	// kit or a honeypot); such a host is not-exchange.
	OWALookalike bool `json:"owa_lookalike"`
	// Exposed is true when the scan judged the host exposed, or the
	// knowledge base in use judges its build exposed today (a CVE, a
	// CVE that depends on the security update, or a product Microsoft no
	// longer fixes). Exposure says the same in three words: exposed,
	// not-exposed (an Exchange build the knowledge base holds, with
	// nothing open) or unknown (no build, a build the knowledge base does
	// not hold, or a host not confirmed as Exchange): never an all-clear.
	Exposed         bool     `json:"exposed"`
	Exposure        string   `json:"exposure"`
	SUDependentCVEs []string `json:"su_dependent_cves"` // open unless the right security update is installed
}

// Exposure values of a ScanRow.
const (
	ExposureExposed    = "exposed"
	ExposureNotExposed = "not-exposed"
	ExposureUnknown    = "unknown"
)

// NewScanRow flattens a stored scan result. kb is the knowledge base in
// use (nil: the scan's own verdict and KEV list only): it adds the KEV CVEs
// and judges the build as the dashboard does.
func NewScanRow(s *result.ScanResult, scannedAt time.Time, scanID string, kb *exchange.KB) ScanRow {
	r := ScanRow{Target: s.Target, Port: s.Port, IP: s.IP, Build: s.Build, Product: s.Product,
		CVEs: jsonfmt.NonNil(s.CVEs), SUDependentCVEs: jsonfmt.NonNil(s.SUDependentCVEs), KEVCVEs: []string{}, WebShells: []string{},
		ScannedAt: scannedAt.UTC(), ScanID: scanID, Error: s.Error, OWALookalike: s.OWALookalike, Exposure: ExposureUnknown}
	r.ExchangeState = scanExchangeState(s)
	kev := map[string]bool{}
	for _, c := range s.KEVCVEs {
		kev[c] = true
	}
	for _, c := range slices.Concat(s.CVEs, s.SUDependentCVEs) {
		if kb != nil && kb.InKEV(c) {
			kev[c] = true
		}
	}
	r.KEVCVEs = slices.Sorted(maps.Keys(kev))
	if r.KEVCVEs == nil {
		r.KEVCVEs = []string{}
	}
	for _, w := range s.Webshells {
		if w.Status == "found" {
			r.WebShells = append(r.WebShells, w.Path)
		}
	}
	// The scan's verdict (its CVEs, its knowledge base, its active probes).
	r.Exposed = s.Exposed || len(s.CVEs) > 0 || len(s.SUDependentCVEs) > 0 ||
		slices.ContainsFunc(s.Active, func(c result.ScanCheck) bool { return c.Result == "vulnerable" })
	// Today's knowledge of the build, for a host confirmed as Exchange only
	// (an unidentified host's build is reported without exposure, as the
	// scan does).
	if r.ExchangeState == "exchange" && s.Build != "" && kb != nil {
		if a, err := kb.Assess(s.Build); err == nil && (a.Known || a.Exposed()) {
			r.Exposed = r.Exposed || a.Exposed()
			r.Exposure = ExposureNotExposed
		}
	}
	if r.Exposed {
		r.Exposure = ExposureExposed
	}
	return r
}

// scanExchangeState names the scan's exchange state in the list's words.
func scanExchangeState(s *result.ScanResult) string {
	switch {
	case s.Error != "":
		return "unreachable"
	case s.ExchangeState == "yes", s.ExchangeState == "" && s.Exchange:
		return "exchange"
	case s.ExchangeState == "unidentified":
		return "unidentified"
	}
	return "not-exchange" // "no", or a v1 record without the field
}

// ScanList writes ScanRows as JSON lines or CSV (with a header row).
type ScanList struct {
	f      Format
	enc    *json.Encoder
	cw     *csv.Writer
	header bool
}

// NewScanList writes to w in format f (jsonl or csv).
func NewScanList(w io.Writer, f Format) (*ScanList, error) {
	switch f {
	case FormatJSONL:
		return &ScanList{f: f, enc: json.NewEncoder(w)}, nil
	case FormatCSV:
		return &ScanList{f: f, cw: csv.NewWriter(w)}, nil
	}
	return nil, fmt.Errorf("report: the scan list is jsonl or csv, not %s", f)
}

// scanListHeader: columns are only ever added at the end.
var scanListHeader = []string{"target", "port", "ip", "exchange_state", "build", "product", "cves", "kev_cves", "webshells", "scanned_at", "scan_id", "error",
	"owa_lookalike", "exposed", "exposure", "su_dependent_cves"}

// Write adds one row.
func (l *ScanList) Write(r ScanRow) error {
	if l.enc != nil {
		return l.enc.Encode(r)
	}
	if !l.header {
		l.header = true
		if err := l.cw.Write(scanListHeader); err != nil {
			return err
		}
	}
	row := []string{r.Target, strconv.Itoa(r.Port), r.IP, r.ExchangeState, r.Build, r.Product, strings.Join(r.CVEs, " "),
		strings.Join(r.KEVCVEs, " "), strings.Join(r.WebShells, " "), r.ScannedAt.Format(time.RFC3339), r.ScanID, r.Error,
		strconv.FormatBool(r.OWALookalike), strconv.FormatBool(r.Exposed), r.Exposure, strings.Join(r.SUDependentCVEs, " ")}
	for i := range row {
		row[i] = safetext.Cell(row[i])
	}
	return l.cw.Write(row)
}

// Close flushes the output.
func (l *ScanList) Close() error {
	if l.cw == nil {
		return nil
	}
	if !l.header {
		l.header = true
		l.cw.Write(scanListHeader) //nolint:errcheck // reported by Error below
	}
	l.cw.Flush()
	return l.cw.Error()
}
