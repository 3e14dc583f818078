package hunt

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/jsonfmt"
	"github.com/exhunt/exhunt/internal/rules"
	"github.com/exhunt/exhunt/internal/safetext"
)

// IndicatorTag marks rules that match indicators rather than exploitation.
const IndicatorTag = "exhunt.indicator"

// maxEvidence bounds the evidence text of one finding.
const maxEvidence = 2048

// summaryFields are shown, in order, as a finding's evidence, per source.
var summaryFields = map[string][]string{
	"iis":          {"cs-method", "cs-uri-stem", "cs-uri-query", "sc-status", "c-ip", "cs(User-Agent)", "cs-username"},
	"httpproxy":    {"Method", "UrlStem", "UrlQuery", "HttpStatus", "AnchorMailbox", "BackEndCookie", "TargetServer", "BackEndStatus", "ClientIpAddress", "UserAgent", "AuthenticatedUser", "RequestId"},
	"ecp":          {"EventData"},
	"oabgenerator": {"Message", "EventData", "Data"},
	"cmdlet":       {"Cmdlet", "CmdletName", "Parameters", "User", "ClientApplication", "Result", "RequestId"},
	"windows":      {"Channel", "EventID", "Provider_Name", "Image", "ParentImage", "CommandLine", "TargetImage", "SourceImage", "GrantedAccess", "TargetFilename", "NewProcessName", "ParentProcessName", "ThreatName", "Path", "Threat Name", "ScriptBlockText", "Data", "SubjectUserName"},
}

// detailFields are copied into Finding.Details for correlation.
var detailFields = map[string]string{
	"c-ip": "client_ip", "ClientIpAddress": "client_ip",
	"cs(User-Agent)": "user_agent", "UserAgent": "user_agent",
	"cs-uri-stem": "url", "UrlStem": "url",
	"cs-uri-query": "query", "UrlQuery": "query",
	"sc-status": "status", "HttpStatus": "status",
	"RequestId": "request_id", "AnchorMailbox": "anchor_mailbox",
	"TargetServer": "target_server", "BackEndCookie": "backend_cookie",
	"Image": "process", "NewProcessName": "process", "ParentImage": "parent_process", "ParentProcessName": "parent_process",
	"CommandLine": "command_line", "TargetFilename": "target_filename", "Computer": "computer",
	"s-computername": "computer", "ServerHostName": "computer", "ServerName": "computer",
	"cs-username": "user", "AuthenticatedUser": "user", "SubjectUserName": "user",
	"SourceImage": "source_process", "SourceProcessGUID": "source_guid", "SourceProcessGuid": "source_guid",
	"TargetImage": "target_process", "ProcessGuid": "process_guid", "ProcessName": "process",
}

func summaryKey(ls evidence.LogSource) string {
	switch {
	case ls.Product == "windows" && ls.Service == "iis", ls.Category == "webserver":
		return "iis"
	case ls.Product == "windows":
		return "windows"
	}
	return ls.Service
}

// ruleTags are a rule's CVE and ATT&CK ids, made once per rule and hunt
// and shared by its findings (up to 10 000 kept, and as many made and
// dropped, per rule): findings replace these slices, never change them.
type ruleTags struct{ cves, attack []string }

// tagsOf returns r's ids (see ruleTags).
func (h *hostHunt) tagsOf(r *rules.Rule) ruleTags {
	if t, ok := h.ruleTags.Load(r); ok {
		return t.(ruleTags)
	}
	t := ruleTags{slices.Clip(jsonfmt.NonNil(r.CVEs())), slices.Clip(jsonfmt.NonNil(r.Attack()))}
	h.ruleTags.Store(r, t)
	return t
}

// newFinding turns a rule match on a record into a finding. Values are
// copied: parsers may reuse the record's buffers. The details hold
// substrings of the evidence text where they can (one copy of each value,
// not two: a flood keeps tens of thousands of findings).
func (h *hostHunt) newFinding(r *rules.Rule, rec *evidence.Record, kind finding.Kind) finding.Finding {
	tags := h.tagsOf(r)
	f := finding.Finding{
		Rule:     r.ID,
		Title:    r.Title,
		Severity: r.Level,
		CVEs:     tags.cves,
		Attack:   tags.attack,
		Time:     rec.Time,
		Source:   rec.Source,
		Line:     rec.Line,
		Kind:     kind,
		Details:  map[string]string{},
	}
	if f.Severity == "" {
		f.Severity = finding.Medium
	}
	key := summaryKey(rec.Log)
	var b strings.Builder
	type span struct{ start, end int }
	at := map[string]span{} // where each summary field's value lies in the evidence
	for _, name := range summaryFields[key] {
		if _, dup := at[name]; dup {
			continue
		}
		if v, ok := rec.Fields.Get(name); ok && v != "" && v != "-" {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(name)
			b.WriteByte('=')
			at[name] = span{b.Len(), b.Len() + len(v)}
			b.WriteString(v)
		}
	}
	if b.Len() == 0 { // unknown layout: show everything
		n := 0
		rec.Fields.Range(func(name, value string) bool {
			if value != "" && value != "-" {
				if n++; n > 1 {
					b.WriteByte(' ')
				}
				b.WriteString(name + "=" + value)
			}
			return n < 24
		})
	}
	full := b.String()
	f.Evidence = safetext.Truncate(full, maxEvidence)
	for field, detail := range detailFields {
		v, ok := rec.Fields.Get(field)
		if !ok || v == "" || v == "-" {
			continue
		}
		if s, in := at[field]; in && len(v) <= 512 {
			v = full[s.start:s.end] // shares the evidence's bytes
		} else {
			v = strings.Clone(safetext.Truncate(v, 512))
		}
		f.Details[detail] = v
	}
	f.Outcome = outcomeOf(r, rec, f.Details["status"])
	return f
}

// outcomeOf decides attempted / succeeded / unknown for a log or event
// finding. HTTP records: 2xx (Exchange's 241 included) means the server
// did what was asked — succeeded, but only for rules that describe
// exploitation (a CVE tag) or web-shell use (T1505.003); a mere indicator
// (an IOC user agent answered 200) stays unknown. 3xx, 4xx and 5xx mean
// attempted. A rule tagged `exhunt.indicator` matches an indicator (a
// published attacker address or user agent), not the exploitation itself:
// its 2xx answers stay unknown. Exchange records without status (ECP server, OAB generator,
// cmdlet logs) record actions that ran: succeeded. Event-log records are
// facts whose weight the verdict judges by severity: unknown.
func outcomeOf(r *rules.Rule, rec *evidence.Record, status string) finding.Outcome {
	exploit := len(r.CVEs()) > 0
	for _, a := range r.Attack() {
		if strings.HasPrefix(a, "T1505") {
			exploit = true
		}
	}
	for _, t := range r.Tags {
		if strings.EqualFold(t, IndicatorTag) {
			exploit = false
		}
	}
	if status != "" {
		code, err := strconv.Atoi(strings.TrimSpace(status))
		switch {
		case err != nil:
			return finding.Unknown
		case code >= 200 && code < 300:
			if exploit {
				return finding.Succeeded
			}
			return finding.Unknown
		default:
			return finding.Attempted
		}
	}
	if rec.Log.Product == "exchange" && rec.Log.Service != "httpproxy" && exploit {
		return finding.Succeeded
	}
	if rec.Log.Product == "windows" && webShellUse(r) && byWebWorker(rec) {
		// w3wp starting a process, logging on with explicit credentials or
		// connecting out: the worker ran what it was told, execution is proven.
		return finding.Succeeded
	}
	return finding.Unknown
}

// webShellUse says whether a rule describes web-shell use (T1505.003).
func webShellUse(r *rules.Rule) bool {
	return slices.ContainsFunc(r.Attack(), func(a string) bool { return a == "T1505.003" })
}

// byWebWorker says whether an event's acting process is one of
// Exchange's or IIS's web workers: the parent of a started process, the
// process of a logon or of a network connection.
func byWebWorker(rec *evidence.Record) bool {
	for _, name := range []string{"ParentImage", "ParentProcessName", "ProcessName", "Image"} {
		if v, ok := rec.Fields.Get(name); ok && endsWithAny(strings.ToLower(v), webWorkers) {
			return true
		}
	}
	return false
}

// dayOf truncates t to its UTC day.
func dayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
