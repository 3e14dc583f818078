package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/jsonfmt"
	"github.com/exhunt/exhunt/internal/safetext"
)

// SARIF 2.1.0 (OASIS, errata01), the subset exhunt fills. Our own structs
// rather than a library: the output stays minimal and is validated against
// the official schema in tests.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool struct {
		Driver sarifDriver `json:"driver"`
	} `json:"tool"`
	AutomationDetails *struct {
		ID string `json:"id"`
	} `json:"automationDetails,omitempty"`
	OriginalURIBaseIDs map[string]sarifArtifactLoc `json:"originalUriBaseIds,omitempty"`
	Results            []sarifResult               `json:"results"`
	Properties         map[string]any              `json:"properties,omitempty"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string         `json:"id"`
	ShortDescription sarifText      `json:"shortDescription"`
	Properties       map[string]any `json:"properties,omitempty"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation sarifArtifactLoc `json:"artifactLocation"`
		Region           *struct {
			StartLine int64 `json:"startLine"`
		} `json:"region,omitempty"`
	} `json:"physicalLocation"`
}

type sarifArtifactLoc struct {
	URI         string     `json:"uri,omitempty"`
	URIBaseID   string     `json:"uriBaseId,omitempty"`
	Description *sarifText `json:"description,omitempty"`
}

// sarifLevel maps severities: SARIF has error, warning, note.
func sarifLevel(s finding.Severity) string {
	switch {
	case s.Rank() >= finding.High.Rank():
		return "error"
	case s == finding.Medium:
		return "warning"
	}
	return "note"
}

// SARIF writes one run per host; results carry the evidence location
// (file relative to the host's evidence root, line) and, in properties,
// everything else a finding says.
func SARIF(w io.Writer, hosts []Host, opt Options) error {
	log := sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{}}
	for _, h := range hosts {
		r := &h.Result
		run := sarifRun{Results: []sarifResult{}, Properties: map[string]any{"host": r.Host, "verdict": r.Verdict}}
		run.Tool.Driver = sarifDriver{Name: "exhunt", Version: opt.version(), InformationURI: "https://github.com/exhunt/exhunt", Rules: []sarifRule{}}
		run.AutomationDetails = &struct {
			ID string `json:"id"`
		}{ID: "exhunt/hunt/" + r.Host + "/"}
		run.OriginalURIBaseIDs = map[string]sarifArtifactLoc{"EVIDENCE": {Description: &sarifText{Text: "evidence root collected from " + r.Host}}}
		ruleIdx := map[string]int{}
		for _, f := range r.Findings {
			idx, ok := ruleIdx[f.Rule]
			if !ok {
				idx = len(run.Tool.Driver.Rules)
				ruleIdx[f.Rule] = idx
				tags := append(append([]string{}, f.CVEs...), f.Attack...)
				rule := sarifRule{ID: f.Rule, ShortDescription: sarifText{Text: nonEmpty(f.Title, f.Rule)}}
				if len(tags) > 0 {
					rule.Properties = map[string]any{"tags": tags}
				}
				run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, rule)
			}
			sum := sha256.Sum256([]byte(r.Host + "|" + f.Key()))
			res := sarifResult{RuleID: f.Rule, RuleIndex: idx, Level: sarifLevel(f.Severity),
				Message:             sarifText{Text: nonEmpty(f.Title, f.Rule) + ": " + safetext.Truncate(f.Evidence, 1000)},
				PartialFingerprints: map[string]string{"exhuntFinding/v1": hex.EncodeToString(sum[:])},
				Properties: map[string]any{"host": r.Host, "severity": f.Severity, "outcome": f.Outcome, "kind": f.Kind,
					"cves": jsonfmt.NonNil(f.CVEs), "attack": jsonfmt.NonNil(f.Attack), "evidence": f.Evidence}}
			if !f.Time.IsZero() {
				res.Properties["time"] = f.Time.UTC().Format(time.RFC3339Nano)
			}
			if len(f.Details) > 0 {
				res.Properties["details"] = f.Details
			}
			if f.Source != "" {
				var loc sarifLocation
				loc.PhysicalLocation.ArtifactLocation = sarifArtifactLoc{URI: uriPath(f.Source), URIBaseID: "EVIDENCE"}
				if f.Line > 0 && f.Kind != finding.KindEvent { // an EVTX "line" is a record id
					loc.PhysicalLocation.Region = &struct {
						StartLine int64 `json:"startLine"`
					}{f.Line}
				} else if f.Line > 0 {
					res.Properties["record"] = f.Line
				}
				res.Locations = []sarifLocation{loc}
			}
			run.Results = append(run.Results, res)
		}
		log.Runs = append(log.Runs, run)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

// uriPath makes an evidence path a relative URI reference: '/' separated,
// every segment percent-encoded.
func uriPath(p string) string {
	segs := strings.Split(strings.ReplaceAll(p, `\`, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.TrimLeft(strings.Join(segs, "/"), "/")
}

func nonEmpty(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
