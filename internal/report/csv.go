package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/safetext"
)

var csvHeader = []string{"host", "verdict", "time", "severity", "rule", "title", "outcome", "kind", "cves", "attack",
	"source", "line", "client_ip", "user_agent", "url", "file_sha256", "evidence"}

// CSV writes one row per finding. Evidence comes from attackers: control
// characters and invalid UTF-8 are escaped visibly, and cells that a
// spreadsheet would run as a formula (=, +, -, @, tab, CR at the start) are
// prefixed with a quote (OWASP CSV injection); see safetext.Cell.
func CSV(w io.Writer, hosts []Host) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, h := range hosts {
		r := &h.Result
		for _, f := range r.Findings {
			t := ""
			if !f.Time.IsZero() {
				t = f.Time.UTC().Format(time.RFC3339Nano)
			}
			line := ""
			if f.Line > 0 {
				line = strconv.FormatInt(f.Line, 10)
			}
			row := []string{r.Host, string(r.Verdict), t, string(f.Severity), f.Rule, f.Title, string(f.Outcome), string(f.Kind),
				strings.Join(f.CVEs, " "), strings.Join(f.Attack, " "), f.Source, line,
				f.Details["client_ip"], f.Details["user_agent"], f.Details["url"], f.Details["file_sha256"], f.Evidence}
			for i := range row {
				row[i] = safetext.Cell(row[i])
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
