package finding

import "time"

// HostResult is what one hunt produces for one host. Its JSON form is the
// public contract of `exhunt hunt --format json` (issue #3): host, verdict,
// coverage, findings; the other fields are additions.
type HostResult struct {
	Host     string     `json:"host"`
	Verdict  Verdict    `json:"verdict"`
	Coverage []Coverage `json:"coverage"`
	Findings []Finding  `json:"findings"`

	Build        string     `json:"build,omitempty"` // from log headers, when seen
	Started      time.Time  `json:"started,omitzero"`
	Finished     time.Time  `json:"finished,omitzero"`
	Evidence     []FileHash `json:"evidence,omitempty"`
	Warnings     []string   `json:"warnings,omitempty"`
	Version      string     `json:"exhunt_version,omitempty"`
	RulesVersion string     `json:"rules_version,omitempty"`
	// FileScope is the set of files checked for web shells, dumps and
	// tools: "focused" (a server's tree: web-facing, root, temp and
	// ProgramData folders) or "all" (--all-files, or evidence that is not
	// a server's tree); empty when files were not checked. ScopeReason
	// says why.
	FileScope   string `json:"file_scope,omitempty"`
	ScopeReason string `json:"file_scope_reason,omitempty"`
}

// Coverage describes what one log source covers (issue #3): first and last
// timestamp, file count, and what is missing.
type Coverage struct {
	Source    string    `json:"source"` // e.g. iis, httpproxy/ecp, ecp-server, oabgenerator, evtx/security
	Files     int       `json:"files"`
	Records   int64     `json:"records"`
	Malformed int64     `json:"malformed"`
	First     time.Time `json:"first,omitzero"`
	Last      time.Time `json:"last,omitzero"`
	Gaps      []Gap     `json:"gaps,omitempty"`
	Warnings  []string  `json:"warnings,omitempty"`
}

// Gap is a stretch of days with no records in a source.
type Gap struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// FileHash records one evidence file read, for chain of custody.
type FileHash struct {
	Path   string    `json:"path"`
	Size   int64     `json:"size"`
	SHA256 string    `json:"sha256"`
	MTime  time.Time `json:"mtime,omitzero"`
}
