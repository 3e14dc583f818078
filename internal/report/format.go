package report

import (
	"fmt"
	"io"
	"strings"
)

// Format is an output format of exhunt report and exhunt export.
type Format string

const (
	FormatHTML  Format = "html"
	FormatSARIF Format = "sarif"
	FormatSTIX  Format = "stix"
	FormatCSV   Format = "csv"
	FormatJSONL Format = "jsonl" // Elastic Common Schema, one finding per line
)

// Formats lists the formats Write accepts.
func Formats() []Format {
	return []Format{FormatHTML, FormatSARIF, FormatSTIX, FormatCSV, FormatJSONL}
}

// ParseFormat accepts a format name, case-insensitively.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range Formats() {
		if f == k {
			return f, nil
		}
	}
	names := make([]string, 0, len(Formats()))
	for _, k := range Formats() {
		names = append(names, string(k))
	}
	return "", fmt.Errorf("report: unknown format %q (want %s)", s, strings.Join(names, ", "))
}

// Write writes hosts in format f.
func Write(w io.Writer, f Format, hosts []Host, opt Options) error {
	switch f {
	case FormatHTML:
		return HTML(w, hosts, opt)
	case FormatSARIF:
		return SARIF(w, hosts, opt)
	case FormatSTIX:
		return STIX(w, hosts, opt)
	case FormatCSV:
		return CSV(w, hosts)
	case FormatJSONL:
		return ECS(w, hosts, opt)
	}
	return fmt.Errorf("report: unknown format %q", f)
}
