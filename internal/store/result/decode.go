// Package result decodes and validates the result documents exhunt
// exchanges between machines: hunt results (finding.HostResult) and scan
// results, as one JSON object, a JSON array or JSON lines. It is the one
// parser of untrusted result input, shared by exhunt import, the store and
// the dashboard's upload API; it does no I/O beyond reading the given
// reader and stores nothing.
package result

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/schema"
)

// ErrInvalid wraps every rejection of a malformed result document.
var ErrInvalid = errors.New("result: invalid")

// Kind says what produced a result.
type Kind string

const (
	Hunt Kind = "hunt" // exhunt hunt: a finding.HostResult
	Scan Kind = "scan" // exhunt scan: one scanned target
)

// ScanResult is the part of an `exhunt scan` JSON object the store
// indexes. The whole document is kept verbatim beside it.
type ScanResult struct {
	Target   string `json:"target"`
	IP       string `json:"ip"`
	Port     int    `json:"port"`
	Exchange bool   `json:"exchange"`
	// ExchangeState is the scan's three states (yes, no, unidentified;
	// "" on an error, and in v1 records written before it existed).
	ExchangeState string   `json:"exchange_state"`
	OWALookalike  bool     `json:"owa_lookalike"` // an OWA page copied from another host
	Build         string   `json:"build"`
	Product       string   `json:"product"`
	CU            string   `json:"cu"`
	Update        string   `json:"update"`
	CVEs          []string `json:"cves"`
	// SUDependentCVEs apply unless a security update is installed (a
	// CU-only build); KEVCVEs are those of both on CISA's KEV list, as the
	// scan's knowledge base knew them.
	SUDependentCVEs []string    `json:"su_dependent_cves"`
	KEVCVEs         []string    `json:"kev_cves"`
	Missing         []string    `json:"missing_updates"`
	Active          []ScanCheck `json:"active"`
	Webshells       []struct {
		Path       string `json:"path"`
		Status     string `json:"status"` // found or inconclusive
		HTTPStatus int    `json:"http_status"`
		Evidence   string `json:"evidence"`
	} `json:"webshells"`
	// Exposed is the scan's verdict: the build has CVEs, the knowledge
	// base judged it exposed, or an active probe confirmed a CVE.
	Exposed bool   `json:"exposed"`
	Error   string `json:"error"`
}

// ScanCheck is one active probe of a scan result.
type ScanCheck struct {
	Check    string `json:"check"`
	Result   string `json:"result"` // vulnerable, not-vulnerable, blocked, inconclusive
	Evidence string `json:"evidence"`
}

// Doc is one decoded result document: a hunt or a scan.
type Doc struct {
	Kind Kind
	Hunt *finding.HostResult // when Kind is Hunt
	Scan *ScanResult         // when Kind is Scan
	Raw  json.RawMessage     // canonical JSON of the document
}

// Limits keep a hostile document from exhausting memory or the database.
const (
	MaxFindings = 1_000_000
	maxField    = 1 << 20
)

// ReadResults decodes result documents from r and calls fn for each, in
// order. r may hold one JSON object, a JSON array of objects, or JSON
// lines (one object per line, as `exhunt hunt --format jsonl` and `exhunt
// scan` write). Objects tagged with a "type" other than a result (progress,
// error, summary lines) are skipped. A malformed document stops decoding
// with an error wrapping [ErrInvalid] that names the document's position.
// The caller bounds r (io.LimitReader, http.MaxBytesReader).
func ReadResults(r io.Reader, fn func(Doc) error) error {
	br := bufio.NewReader(r)
	first, err := peekNonSpace(br)
	if err == io.EOF {
		return fmt.Errorf("%w: no JSON document in input", ErrInvalid)
	}
	if err != nil {
		return err
	}
	dec := json.NewDecoder(br)
	dec.UseNumber()
	array := first == '['
	if array {
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	n := 0
	for {
		if array && !dec.More() {
			if _, err := dec.Token(); err != nil {
				return fmt.Errorf("%w: after document %d: %w", ErrInvalid, n, err)
			}
			if _, err := dec.Token(); err != io.EOF {
				return fmt.Errorf("%w: data after the closing ]", ErrInvalid)
			}
			break
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF && !array {
			break
		} else if err != nil {
			return fmt.Errorf("%w: document %d: %w", ErrInvalid, n+1, err)
		}
		n++
		d, ok, err := Classify(raw)
		if err != nil {
			return fmt.Errorf("document %d: %w", n, err)
		}
		if !ok {
			continue
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	if n == 0 {
		return fmt.Errorf("%w: no JSON document in input", ErrInvalid)
	}
	return nil
}

func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b == ' ' || b == '\t' || b == '\r' || b == '\n' || b == 0xEF || b == 0xBB || b == 0xBF {
			continue // whitespace, or a UTF-8 BOM from Windows tools
		}
		return b, br.UnreadByte()
	}
}

// resultTypes are the "type" tags of JSONL lines that carry a result.
var resultTypes = []string{"", "result", "host", "hunt", "scan"}

// Classify decodes and validates one document. ok is false for a JSONL
// line that is not a result (progress, error, summary) and is skipped.
// A hunt result is checked against the hunt-result.v1 JSON Schema, a scan
// result against scan-result.v1 (see internal/schema), after the defaults
// in [huntDefaults] and [scanDefaults] are filled in; then the Go-level
// checks the schemas cannot express (non-blank host and target, size
// limits) apply. Violations name a JSON Pointer into the document.
func Classify(raw json.RawMessage) (d Doc, ok bool, err error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return Doc{}, false, fmt.Errorf("%w: not a JSON object: %v", ErrInvalid, err)
	}
	if keys == nil {
		return Doc{}, false, fmt.Errorf("%w: null is not a result", ErrInvalid)
	}
	var typ string
	if t, has := keys["type"]; has {
		if json.Unmarshal(t, &typ) != nil || !slices.Contains(resultTypes, typ) {
			return Doc{}, false, nil
		}
	}
	_, hasHost := keys["host"]
	_, hasTarget := keys["target"]
	switch {
	case hasHost && typ != "scan":
		h, err := decodeHunt(raw)
		if err != nil {
			return Doc{}, false, err
		}
		canon, err := json.Marshal(h)
		if err != nil {
			return Doc{}, false, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		return Doc{Kind: Hunt, Hunt: h, Raw: canon}, true, nil
	case hasTarget:
		s, canon, err := decodeScan(raw)
		if err != nil {
			return Doc{}, false, err
		}
		return Doc{Kind: Scan, Scan: s, Raw: canon}, true, nil
	}
	return Doc{}, false, fmt.Errorf("%w: neither a hunt result (host, verdict, findings) nor a scan result (target)", ErrInvalid)
}

var verdicts = []finding.Verdict{finding.Compromised, finding.ExploitationAttempted, finding.NoEvidence}

func decodeHunt(raw json.RawMessage) (*finding.HostResult, error) {
	v, err := decodeAny(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: hunt result: %v", ErrInvalid, err)
	}
	obj := v.(map[string]any) // Classify saw an object
	what := "hunt result"
	if h, ok := obj["host"].(string); ok && strings.TrimSpace(h) != "" && len(h) <= 255 {
		what += " for " + strings.TrimSpace(h)
	}
	// The verdict keeps the message it had before the schema existed;
	// scripts match on it.
	if vd, ok := obj["verdict"].(string); ok && vd != "" && !slices.Contains(verdicts, finding.Verdict(vd)) {
		return nil, fmt.Errorf("%w: %s: %s", ErrInvalid, what, unknownVerdict(vd))
	}
	if err := conform(schema.HuntV1, obj, huntDefaults, what); err != nil {
		return nil, err
	}
	var h finding.HostResult
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, what, err)
	}
	for i := range h.Findings {
		if h.Findings[i].Outcome == "" { // left out: the schema rejects ""
			h.Findings[i].Outcome = finding.Unknown
		}
	}
	if err := checkHunt(&h); err != nil {
		return nil, err
	}
	return &h, nil
}

func unknownVerdict(v string) string {
	return fmt.Sprintf("unknown verdict %q (want compromised, exploitation-attempted or no-evidence)", v)
}

// ValidateHunt checks a hunt result built in Go (exhunt hunt storing its
// own result) the way [Classify] checks one read from JSON: what the store
// relies on (a host name, a known verdict, an empty one judged from the
// findings, known severities, bounded sizes), then its JSON form against
// the hunt-result.v1 schema.
func ValidateHunt(h *finding.HostResult) error {
	if err := checkHunt(h); err != nil {
		return err
	}
	raw, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("%w: hunt result for %s: %v", ErrInvalid, h.Host, err)
	}
	v, err := decodeAny(raw)
	if err != nil {
		return fmt.Errorf("%w: hunt result for %s: %v", ErrInvalid, h.Host, err)
	}
	return conform(schema.HuntV1, v.(map[string]any), defaults{}, "hunt result for "+h.Host)
}

// checkHunt makes the Go-level checks of a hunt result that the schema
// cannot express, or that the store needs in a particular form.
func checkHunt(h *finding.HostResult) error {
	h.Host = strings.TrimSpace(h.Host)
	switch {
	case h.Host == "":
		return fmt.Errorf("%w: hunt result: host is empty", ErrInvalid)
	case len(h.Host) > 255:
		return fmt.Errorf("%w: hunt result: host name longer than 255 bytes", ErrInvalid)
	case len(h.Findings) > MaxFindings:
		return fmt.Errorf("%w: hunt result: more than %d findings", ErrInvalid, MaxFindings)
	}
	if h.Verdict == "" {
		h.Verdict = finding.Judge(h.Findings)
	}
	if !slices.Contains(verdicts, h.Verdict) {
		return fmt.Errorf("%w: hunt result for %s: %s", ErrInvalid, h.Host, unknownVerdict(string(h.Verdict)))
	}
	for i := range h.Findings {
		f := &h.Findings[i]
		if f.Rule == "" {
			return fmt.Errorf("%w: hunt result for %s: finding %d has no rule", ErrInvalid, h.Host, i+1)
		}
		if f.Severity.Rank() < 0 {
			return fmt.Errorf("%w: hunt result for %s: finding %d (%s): unknown severity %q", ErrInvalid, h.Host, i+1, f.Rule, f.Severity)
		}
		if len(f.Evidence) > maxField {
			return fmt.Errorf("%w: hunt result for %s: finding %d (%s): evidence longer than %d bytes", ErrInvalid, h.Host, i+1, f.Rule, maxField)
		}
	}
	return nil
}

func decodeScan(raw json.RawMessage) (*ScanResult, json.RawMessage, error) {
	// Canonical form: decoding into any and encoding again sorts keys and
	// drops whitespace, so the same scan always gets the same id. It is
	// taken before defaults are filled in, so it is the document as sent.
	v, err := decodeAny(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: scan result: %v", ErrInvalid, err)
	}
	canon, err := json.Marshal(v)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: scan result: %v", ErrInvalid, err)
	}
	obj := v.(map[string]any) // Classify saw an object
	what := "scan result"
	if t, ok := obj["target"].(string); ok && strings.TrimSpace(t) != "" && len(t) <= 255 {
		what += " for " + strings.TrimSpace(t)
	}
	if err := conform(schema.ScanV1, obj, scanDefaults, what); err != nil {
		return nil, nil, err
	}
	var s ScanResult
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, nil, fmt.Errorf("%w: scan result: %v", ErrInvalid, err)
	}
	s.Target = strings.TrimSpace(s.Target)
	if s.Target == "" {
		return nil, nil, fmt.Errorf("%w: scan result: target is empty", ErrInvalid)
	}
	if len(s.Target) > 255 {
		return nil, nil, fmt.Errorf("%w: scan result: target longer than 255 bytes", ErrInvalid)
	}
	return &s, canon, nil
}

func decodeAny(raw json.RawMessage) (any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// HostOf reduces a scan target (URL, host:port or name) to its host name.
func HostOf(target string) string {
	t := strings.TrimSpace(target)
	if strings.Contains(t, "://") {
		if u, err := url.Parse(t); err == nil && u.Hostname() != "" {
			return strings.ToLower(u.Hostname())
		}
	}
	if h, _, err := net.SplitHostPort(t); err == nil {
		return strings.ToLower(h)
	}
	return strings.ToLower(strings.Trim(t, "[]/"))
}
