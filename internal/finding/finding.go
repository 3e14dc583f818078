// Package finding defines the one shape every detection in exhunt takes,
// whatever produced it (a log rule, a YARA match, an event-log rule, a file
// check, a network probe), and the host verdict computed from findings.
//
// It does not detect anything and does no I/O: detectors produce findings,
// the store and the report consume them.
package finding

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Severity ranks a finding. The names follow Sigma's `level` field.
type Severity string

const (
	Informational Severity = "informational"
	Low           Severity = "low"
	Medium        Severity = "medium"
	High          Severity = "high"
	Critical      Severity = "critical"
)

var severityRank = map[Severity]int{Informational: 0, Low: 1, Medium: 2, High: 3, Critical: 4}

// Rank orders severities; unknown names rank below informational.
func (s Severity) Rank() int {
	if r, ok := severityRank[s]; ok {
		return r
	}
	return -1
}

// ParseSeverity accepts the Sigma level names (case-insensitive).
func ParseSeverity(s string) (Severity, error) {
	v := Severity(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := severityRank[v]; !ok {
		return "", fmt.Errorf("finding: unknown severity %q (want informational, low, medium, high or critical)", s)
	}
	return v, nil
}

// Outcome says whether an exploitation attempt worked, as far as the
// evidence shows.
type Outcome string

const (
	Attempted Outcome = "attempted"
	Succeeded Outcome = "succeeded"
	Unknown   Outcome = "unknown"
)

// Kind names the family of evidence a finding came from.
type Kind string

const (
	KindLog   Kind = "log"   // IIS and Exchange text logs
	KindFile  Kind = "file"  // web shells, dumps, archives
	KindEvent Kind = "event" // Windows event logs
	KindScan  Kind = "scan"  // network scan results
)

// Finding is one detection. Its JSON form is a public contract (issue #3):
// rule, title, severity, cves, attack, outcome, time, source, line, evidence.
// Fields may be added; none may be renamed.
type Finding struct {
	Rule     string    `json:"rule"`
	Title    string    `json:"title"`
	Severity Severity  `json:"severity"`
	CVEs     []string  `json:"cves"`
	Attack   []string  `json:"attack"`
	Outcome  Outcome   `json:"outcome"`
	Time     time.Time `json:"time,omitzero"`
	Source   string    `json:"source"`
	Line     int64     `json:"line,omitempty"`
	Evidence string    `json:"evidence"`

	Kind Kind `json:"kind,omitempty"`
	// Details carries structured facts for correlation and reports:
	// client_ip, user_agent, url, request_id, file_sha256, process, ...
	Details map[string]string `json:"details,omitempty"`
	// Related holds short descriptions of the evidence joined to this
	// finding (back-end log lines of the same request, the log line that
	// wrote a file, the process a web shell started).
	Related []Ref `json:"related,omitempty"`
}

// Ref points at one piece of evidence joined to a finding.
type Ref struct {
	Source string    `json:"source"`
	Line   int64     `json:"line,omitempty"`
	Time   time.Time `json:"time,omitzero"`
	Note   string    `json:"note"`
}

// Key identifies a finding for de-duplication and idempotent storage.
func (f *Finding) Key() string {
	return fmt.Sprintf("%s|%s|%d|%s|%s", f.Rule, f.Source, f.Line, f.Time.UTC().Format(time.RFC3339Nano), f.Evidence)
}

// Sort orders findings by time (unknown times last), then source and line;
// see Compare.
func Sort(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int { return Compare(&a, &b) })
}

// Compare orders findings by time (unknown times last), source, line, rule
// and evidence: the fields of Key, so findings that differ in any of them
// always compare unequal and every run orders (and bounds) them the same.
func Compare(a, b *Finding) int {
	switch {
	case a.Time.IsZero() && !b.Time.IsZero():
		return 1
	case !a.Time.IsZero() && b.Time.IsZero():
		return -1
	}
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	if c := strings.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	if a.Line != b.Line {
		if a.Line < b.Line {
			return -1
		}
		return 1
	}
	if c := strings.Compare(a.Rule, b.Rule); c != 0 {
		return c
	}
	return strings.Compare(a.Evidence, b.Evidence)
}
