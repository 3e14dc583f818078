package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/finding"
)

// Rule is one compiled Sigma detection rule. Its exported fields are the
// rule's metadata; the detection itself is compiled at load and only
// reachable through a Matcher.
type Rule struct {
	ID             string
	Title          string
	Status         string
	Description    string
	Author         string
	Date           string
	Modified       string
	Level          finding.Severity
	Tags           []string
	References     []string
	FalsePositives []string
	// LogSource is the rule's logsource as written (lower-cased), before
	// the Windows channel mapping.
	LogSource evidence.LogSource
	// Path is the file the rule came from (the name given to Parse).
	Path string
	// Line is the line of the rule's YAML document in Path.
	Line int

	det *detection
	ls  ruleSource
}

// CVEs returns the rule's CVE tags (cve.2021-26855) as CVE ids
// (CVE-2021-26855), sorted and without duplicates.
func (r *Rule) CVEs() []string {
	var out []string
	for _, t := range r.Tags {
		rest, ok := cutPrefixFold(t, "cve.")
		if !ok || rest == "" {
			continue
		}
		out = append(out, "CVE-"+strings.ToUpper(rest))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Attack returns the ATT&CK technique ids of the rule's tags
// (attack.t1505.003 becomes T1505.003), sorted and without duplicates.
// Tactic tags such as attack.persistence are left out.
func (r *Rule) Attack() []string {
	var out []string
	for _, t := range r.Tags {
		rest, ok := cutPrefixFold(t, "attack.")
		if !ok || !isTechnique(rest) {
			continue
		}
		out = append(out, strings.ToUpper(rest))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// isTechnique accepts t1234 and t1234.567.
func isTechnique(s string) bool {
	if len(s) < 5 || (s[0] != 't' && s[0] != 'T') {
		return false
	}
	digits, sub, hasSub := strings.Cut(s[1:], ".")
	if len(digits) != 4 || !allDigits(digits) {
		return false
	}
	return !hasSub || (len(sub) == 3 && allDigits(sub))
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// LoadError reports a rule, or a whole file, that was not loaded, and
// why. Rules the engine cannot run are always reported this way, never
// dropped silently. Duplicate ids are reported too, although the later
// rule is kept.
type LoadError struct {
	Path   string
	Line   int // 0 when unknown
	RuleID string
	Title  string
	Reason string
}

// Error implements error: "path:line: rule id (title): reason".
func (e LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.RuleID != "" || e.Title != "" {
		b.WriteString("rule")
		if e.RuleID != "" {
			b.WriteString(" " + e.RuleID)
		}
		if e.Title != "" {
			fmt.Fprintf(&b, " (%s)", e.Title)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}
