package scan

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/exhunt/exhunt/internal/safetext"
)

// Format is an output format of exhunt scan.
type Format string

const (
	FormatText  Format = "text"
	FormatJSONL Format = "jsonl"
	FormatCSV   Format = "csv"
)

// Formats lists the output formats.
func Formats() []Format { return []Format{FormatText, FormatJSONL, FormatCSV} }

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("scan: unknown format %q (want text, jsonl or csv)", s)
}

// Writer writes results as they arrive; Close flushes.
type Writer interface {
	Write(*Result) error
	Close() error
}

// NewWriter picks the writer for a format.
func NewWriter(f Format, w io.Writer) Writer {
	bw := bufio.NewWriterSize(w, 64<<10)
	switch f {
	case FormatJSONL:
		return &jsonlWriter{bw: bw, enc: json.NewEncoder(bw)}
	case FormatCSV:
		return &csvWriter{bw: bw, cw: csv.NewWriter(bw)}
	default:
		return &textWriter{bw: bw}
	}
}

type jsonlWriter struct {
	bw  *bufio.Writer
	enc *json.Encoder
}

func (j *jsonlWriter) Write(r *Result) error {
	if err := j.enc.Encode(r); err != nil {
		return err
	}
	return j.bw.Flush() // one complete line per host, even if killed later
}

func (j *jsonlWriter) Close() error { return j.bw.Flush() }

// csvHeader is the notification-list layout: one row per host. Columns
// are only ever added at the end.
var csvHeader = []string{"target", "ip", "port", "exchange", "build", "build_precision", "product", "cu", "update",
	"exposed", "cves", "su_dependent_cves", "active_vulnerable", "webshells_found", "tls_names", "fe_server", "error",
	"url", "exchange_state", "owa_lookalike", "scheme"}

type csvWriter struct {
	bw     *bufio.Writer
	cw     *csv.Writer
	header bool
}

func (c *csvWriter) Write(r *Result) error {
	if !c.header {
		c.header = true
		if err := c.cw.Write(csvHeader); err != nil {
			return err
		}
	}
	var vuln, shells []string
	for _, a := range r.Active {
		if a.Result == Vulnerable {
			vuln = append(vuln, a.Check)
		}
	}
	for _, w := range r.WebShells {
		if w.Status == "found" {
			shells = append(shells, w.Path)
		}
	}
	var names []string
	if r.TLS != nil {
		names = r.TLS.Names
	}
	port := ""
	if r.Port != 0 {
		port = strconv.Itoa(r.Port)
	}
	row := []string{r.Target, r.IP, port, strconv.FormatBool(r.Exchange), r.Build, r.Precision, r.Product, r.CU, r.Update,
		strconv.FormatBool(r.Exposed || r.WebShelled), strings.Join(r.CVEs, " "), strings.Join(r.SUDependentCVEs, " "),
		strings.Join(vuln, " "), strings.Join(shells, " "), strings.Join(names, " "), r.FEServer, r.Error,
		r.URL, r.ExchangeState, strconv.FormatBool(r.OWALookalike), r.Scheme}
	for i, f := range row { // control characters escaped; a cell starting with = + - @ would run as a formula
		row[i] = safetext.Cell(f)
	}
	if err := c.cw.Write(row); err != nil {
		return err
	}
	c.cw.Flush()
	return c.cw.Error()
}

func (c *csvWriter) Close() error {
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}

// textWriter streams a fixed-width table: it never buffers the whole scan.
type textWriter struct {
	bw   *bufio.Writer
	rows int
}

const textFmt = "%-28s %-12s %-13s %-4s %-22s %-30s %-22s %-10s %s\n"

func (t *textWriter) Write(r *Result) error {
	if t.rows == 0 {
		fmt.Fprintf(t.bw, textFmt, "TARGET", "EXCHANGE", "BUILD", "PREC", "PRODUCT/CU/UPDATE", "CVES", "ACTIVE", "WEBSHELLS", "CERT NAME / ERROR")
	}
	t.rows++
	target := textTarget(r)
	ex := r.ExchangeState
	switch {
	case r.Error != "":
		ex = "-"
	case r.OWALookalike:
		ex = "lookalike"
	case ex == "" && r.Exchange:
		ex = StateYes
	case ex == "":
		ex = StateNo
	}
	prec := r.Precision
	if prec == "" {
		prec = "-"
	}
	prod := releaseLabel(r.Product, r.CU, r.Update)
	cves := "-"
	if len(r.CVEs) > 0 {
		// Exploited in the wild first: CISA's KEV entries lead the column.
		ordered := make([]string, 0, len(r.CVEs))
		for _, kev := range []bool{true, false} {
			for _, c := range r.CVEs {
				if slices.Contains(r.KEVCVEs, c) == kev {
					ordered = append(ordered, c)
				}
			}
		}
		cves = fmt.Sprintf("%d: %s", len(r.CVEs), abbrev(ordered, 2))
		if n := len(r.KEVCVEs); n > 0 {
			cves = fmt.Sprintf("%d (%d KEV): %s", len(r.CVEs), n, abbrev(ordered, 2))
		}
	}
	if len(r.SUDependentCVEs) > 0 {
		cves += fmt.Sprintf(" (+%d if SU missing)", len(r.SUDependentCVEs))
	}
	active := "-"
	var hits []string
	for _, a := range r.Active {
		if a.Result == Vulnerable {
			hits = append(hits, a.Check[strings.LastIndexByte(a.Check, '-')+1:])
		}
	}
	if len(hits) > 0 {
		active = "VULN " + strings.Join(hits, ",")
	} else if len(r.Active) > 0 {
		active = "ok"
	}
	shells := "-"
	nf, ni := 0, 0
	for _, w := range r.WebShells {
		if w.Status == "found" {
			nf++
		} else {
			ni++
		}
	}
	if nf > 0 {
		shells = fmt.Sprintf("FOUND %d", nf)
	} else if ni > 0 {
		shells = fmt.Sprintf("? %d", ni)
	}
	last := ""
	if r.TLS != nil && len(r.TLS.Names) > 0 {
		last = r.TLS.Names[0]
	}
	if r.Error != "" {
		last = "error: " + r.Error
	}
	build := r.Build
	if build == "" {
		build = "-"
	}
	if prod == "" {
		prod = "-"
	}
	// Everything but the fixed words may come from the network or the
	// target list: escape what a terminal would act on before clipping.
	_, err := fmt.Fprintf(t.bw, textFmt, clipTo(safetext.Line(target), 28), ex, safetext.Line(build), safetext.Line(prec),
		clipTo(safetext.Line(prod), 22), clipTo(safetext.Line(cves), 30), safetext.Line(active), shells, clip(safetext.Line(last)))
	if err != nil {
		return err
	}
	return t.bw.Flush()
}

func (t *textWriter) Close() error { return t.bw.Flush() }

// textTarget names a row: the URL that answered, else the host:port
// scanned, else the target as given.
func textTarget(r *Result) string {
	switch {
	case r.URL != "":
		return r.URL
	case r.addr != "":
		return r.addr
	case r.Port != 0:
		return joinHostPort(r.Target, r.Port)
	}
	return r.Target
}

func joinHostPort(h string, p int) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]:" + strconv.Itoa(p)
	}
	return h + ":" + strconv.Itoa(p)
}

func abbrev(ss []string, n int) string {
	if len(ss) <= n {
		return strings.Join(ss, ",")
	}
	return strings.Join(ss[:n], ",") + ",…"
}

func clipTo(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// WriteSummary prints the counts of a run (exhunt scan sends this to stderr).
func WriteSummary(w io.Writer, s Summary) error {
	_, err := fmt.Fprintf(w, "exhunt scan: %d targets in %.1fs (%.1f hosts/s): %d responding, %d Exchange, %d exposed, %d web-shelled, %d errors, %d unidentified, %d OWA look-alikes",
		s.Scanned, s.Seconds, s.HostsPerS, s.Responding, s.Exchange, s.Exposed, s.WebShelled, s.Errors, s.Unidentified, s.Lookalikes)
	if err != nil {
		return err
	}
	if s.Skipped > 0 {
		fmt.Fprintf(w, ", %d skipped (done before --resume)", s.Skipped)
	}
	if s.BadInput > 0 {
		fmt.Fprintf(w, ", %d bad input entries", s.BadInput)
	}
	_, err = fmt.Fprintln(w)
	return err
}

// releaseLabel names a release for the table: "2016 CU19 Mar21SU", and
// "2016 CU19" for a CU's own build, whose update the knowledge base names
// after the CU itself.
func releaseLabel(product, cu, update string) string {
	if update == cu {
		update = ""
	}
	return strings.Join(strings.Fields(strings.TrimPrefix(product, "Exchange Server ")+" "+cu+" "+update), " ")
}
