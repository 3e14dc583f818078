package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"github.com/exhunt/exhunt/internal/jsonfmt"
	"github.com/exhunt/exhunt/internal/safetext"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/store/result"
)

// ScanRow is one line of the scan notification list (`exhunt export
// --scans`): the newest scan of one target.
type ScanRow struct {
	Target        string    `json:"target"` // as given to the scan
	Port          int       `json:"port"`
	IP            string    `json:"ip"`
	ExchangeState string    `json:"exchange_state"` // exchange, not-exchange or unreachable
	Build         string    `json:"build"`
	Product       string    `json:"product"`
	CVEs          []string  `json:"cves"`
	KEVCVEs       []string  `json:"kev_cves"`  // the CVEs CISA lists as exploited in the wild
	WebShells     []string  `json:"webshells"` // paths judged present
	ScannedAt     time.Time `json:"scanned_at"`
	ScanID        string    `json:"scan_id,omitempty"` // the queued scan, if it was one
	Error         string    `json:"error,omitempty"`
}

// NewScanRow flattens a stored scan result; kev says which CVEs CISA lists
// as exploited (nil: none).
func NewScanRow(s *result.ScanResult, scannedAt time.Time, scanID string, kev func(string) bool) ScanRow {
	r := ScanRow{Target: s.Target, Port: s.Port, IP: s.IP, Build: s.Build, Product: s.Product,
		CVEs: jsonfmt.NonNil(s.CVEs), KEVCVEs: []string{}, WebShells: []string{}, ScannedAt: scannedAt.UTC(), ScanID: scanID, Error: s.Error}
	switch {
	case s.Exchange:
		r.ExchangeState = "exchange"
	case s.Error != "":
		r.ExchangeState = "unreachable"
	default:
		r.ExchangeState = "not-exchange"
	}
	for _, c := range s.CVEs {
		if kev != nil && kev(c) {
			r.KEVCVEs = append(r.KEVCVEs, c)
		}
	}
	for _, w := range s.Webshells {
		if w.Status == "found" {
			r.WebShells = append(r.WebShells, w.Path)
		}
	}
	return r
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

var scanListHeader = []string{"target", "port", "ip", "exchange_state", "build", "product", "cves", "kev_cves", "webshells", "scanned_at", "scan_id", "error"}

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
		strings.Join(r.KEVCVEs, " "), strings.Join(r.WebShells, " "), r.ScannedAt.Format(time.RFC3339), r.ScanID, r.Error}
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
