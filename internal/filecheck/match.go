package filecheck

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/yara"
)

const (
	maxEvidenceStrings = 5  // string matches quoted in a finding
	maxExcerpt         = 64 // bytes of each quoted match
)

var (
	techniqueTag = regexp.MustCompile(`^[Tt]\d{4}([._]\d{3})?$`)
	cveRe        = regexp.MustCompile(`(?i)CVE-\d{4}-\d{4,7}`)
)

// matchFinding maps a YARA match to a finding. exhunt pack rules carry
// description, severity, attack, cve, reference and reason; third-party
// rules (signature-base, NSA) get a severity from their score and
// T1505.003 when their name says web shell.
func matchFinding(src string, m *yara.Match) finding.Finding {
	ns := strings.TrimSuffix(strings.TrimSuffix(m.Namespace, ".yara"), ".yar")
	ns = trimRootPrefix(ns)
	f := finding.Finding{
		Rule:     "yara:" + ns + ":" + m.Rule,
		Title:    m.Meta["description"],
		Severity: severity(m),
		CVEs:     cves(m.Meta["cve"]),
		Attack:   attack(m),
		Source:   src,
		Evidence: matchEvidence(m),
		Details:  map[string]string{"yara_rule": m.Rule, "yara_namespace": ns},
	}
	if f.Title == "" {
		f.Title = "YARA rule " + m.Rule
	}
	if ref := m.Meta["reference"]; ref != "" {
		f.Details["reference"] = ref
	}
	return f
}

func severity(m *yara.Match) finding.Severity {
	for _, k := range []string{"severity", "level"} {
		if s, err := finding.ParseSeverity(m.Meta[k]); err == nil {
			return s
		}
	}
	webshell := strings.Contains(strings.ToLower(m.Rule), "webshell")
	if score, err := strconv.Atoi(strings.TrimSpace(m.Meta["score"])); err == nil {
		switch {
		case score >= 75:
			return finding.High
		case score >= 50 || webshell:
			return finding.Medium
		}
		return finding.Low
	}
	return finding.Medium
}

func attack(m *yara.Match) []string {
	var out []string
	for _, a := range strings.FieldsFunc(m.Meta["attack"], func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, strings.ToUpper(a))
	}
	for _, t := range m.Tags {
		if techniqueTag.MatchString(t) {
			out = append(out, strings.ToUpper(strings.ReplaceAll(t, "_", ".")))
		}
	}
	if len(out) == 0 && strings.Contains(strings.ToLower(m.Rule), "webshell") {
		out = append(out, "T1505.003")
	}
	if out == nil {
		out = []string{}
	}
	return out
}

func cves(s string) []string {
	out := cveRe.FindAllString(s, -1)
	for i := range out {
		out[i] = strings.ToUpper(out[i])
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// matchEvidence quotes the first matched strings ($id@offset "excerpt") and
// the rule's reason.
func matchEvidence(m *yara.Match) string {
	var b strings.Builder
	for i, s := range m.Strings {
		if i == maxEvidenceStrings {
			fmt.Fprintf(&b, " (+%d more)", len(m.Strings)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		d := s.Data
		cut := ""
		if len(d) > maxExcerpt {
			d, cut = d[:maxExcerpt], "..."
		}
		fmt.Fprintf(&b, "%s@%d %s%s", s.ID, s.Offset, strconv.QuoteToASCII(string(d)), cut)
	}
	reason := m.Meta["reason"]
	if reason == "" && len(m.Strings) == 0 {
		reason = m.Meta["description"]
	}
	if reason != "" {
		if b.Len() > 0 {
			b.WriteString(" — ")
		}
		b.WriteString(reason)
	}
	if b.Len() == 0 {
		b.WriteString("rule " + m.Rule + " matched")
	}
	return b.String()
}

// trimRootPrefix removes the namespace prefix New gives each rule folder
// ("pack/", "user1/", ...), so rule ids stay yara:<file>:<rule>.
func trimRootPrefix(ns string) string {
	if rest, ok := strings.CutPrefix(ns, "pack/"); ok {
		return rest
	}
	if head, rest, ok := strings.Cut(ns, "/"); ok && strings.HasPrefix(head, "user") && len(head) > 4 && strings.Trim(head[4:], "0123456789") == "" {
		return rest
	}
	return ns
}
