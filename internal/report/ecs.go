package report

import (
	"encoding/json"
	"io"
	"net"
	"path"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/finding"
)

// ecsVersion is the Elastic Common Schema version the field names follow.
const ecsVersion = "8.11.0"

// ECS writes one JSON object per finding with Elastic Common Schema field
// names, for SIEM ingestion (Elastic, and Splunk/Sentinel through their ECS
// mappings). Fields without an ECS home go under "exhunt".
func ECS(w io.Writer, hosts []Host, opt Options) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // SIEMs show the raw strings; this is not HTML
	created := opt.now().Format(time.RFC3339)
	for _, h := range hosts {
		r := &h.Result
		for _, f := range r.Findings {
			if err := enc.Encode(ecsDoc(r, &f, created)); err != nil {
				return err
			}
		}
	}
	return nil
}

func ecsDoc(r *finding.HostResult, f *finding.Finding, created string) map[string]any {
	d := map[string]any{
		"ecs":     map[string]any{"version": ecsVersion},
		"message": nonEmpty(f.Title, f.Rule),
		"host":    map[string]any{"name": r.Host},
		"event": map[string]any{
			"kind": "alert", "category": []string{"intrusion_detection"}, "type": []string{"indicator"},
			"module": "exhunt", "dataset": "exhunt.finding", "created": created,
			"severity": max(f.Severity.Rank(), 0) * 25, // 0..100, as ECS suggests
			"outcome":  ecsOutcome(f.Outcome),
		},
		"rule": map[string]any{"id": f.Rule, "name": nonEmpty(f.Title, f.Rule), "ruleset": "exhunt", "version": r.RulesVersion},
		"exhunt": map[string]any{"verdict": r.Verdict, "severity": f.Severity, "outcome": f.Outcome, "kind": f.Kind,
			"evidence": f.Evidence, "details": f.Details},
	}
	if len(f.Related) > 0 {
		d["exhunt"].(map[string]any)["related"] = f.Related
	}
	if !f.Time.IsZero() {
		d["@timestamp"] = f.Time.UTC().Format(time.RFC3339Nano)
	}
	if len(f.CVEs) > 0 {
		d["vulnerability"] = map[string]any{"id": f.CVEs, "enumeration": "CVE"}
	}
	if len(f.Attack) > 0 {
		d["threat"] = map[string]any{"framework": "MITRE ATT&CK", "technique": map[string]any{"id": f.Attack}}
	}
	if f.Source != "" {
		lg := map[string]any{"file": map[string]any{"path": f.Source}}
		if f.Line > 0 {
			lg["origin"] = map[string]any{"file": map[string]any{"name": f.Source, "line": f.Line}}
		}
		d["log"] = lg
	}
	det := f.Details
	if ip := det["client_ip"]; net.ParseIP(ip) != nil {
		d["source"] = map[string]any{"ip": ip}
	}
	if ua := det["user_agent"]; ua != "" {
		d["user_agent"] = map[string]any{"original": ua}
	}
	if u := det["url"]; u != "" {
		d["url"] = map[string]any{"original": u}
	}
	if u := det["user"]; u != "" {
		d["user"] = map[string]any{"name": u}
	}
	if p := det["process"]; p != "" {
		d["process"] = map[string]any{"name": p}
	}
	if f.Kind == finding.KindFile || det["file_sha256"] != "" {
		file := map[string]any{}
		if f.Kind == finding.KindFile && f.Source != "" {
			file["path"] = f.Source
			file["name"] = path.Base(strings.ReplaceAll(f.Source, `\`, "/"))
		}
		if sum := det["file_sha256"]; sum != "" {
			file["hash"] = map[string]any{"sha256": strings.ToLower(sum)}
		}
		d["file"] = file
	}
	return d
}

// ecsOutcome: an attempt whose result the evidence does not show is not an
// ECS "failure"; exhunt.outcome keeps the exact value.
func ecsOutcome(o finding.Outcome) string {
	switch o {
	case finding.Succeeded:
		return "success"
	}
	return "unknown"
}
