package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

var csvHeader = []string{"host", "verdict", "time", "severity", "rule", "title", "outcome", "kind", "cves", "attack",
	"source", "line", "client_ip", "user_agent", "url", "file_sha256", "evidence"}

// CSV writes one row per finding. Cells that a spreadsheet would run as a
// formula (=, +, -, @, tab, CR at the start) are prefixed with a quote:
// evidence comes from attackers (OWASP CSV injection).
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
				row[i] = defuse(row[i])
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func defuse(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
