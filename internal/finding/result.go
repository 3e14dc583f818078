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

	// VerdictReason says in one sentence why the verdict is what it is,
	// and whether the evidence was incomplete.
	VerdictReason string `json:"verdict_reason,omitempty"`
	// Build is the Exchange build the most reliable, most precise signal
	// in the evidence names (see BuildSources); never a placeholder.
	Build string `json:"build,omitempty"`
	// BuildSources lists every build signal found, with where it came
	// from and how far it can be trusted, placeholders included.
	BuildSources []BuildSource `json:"build_sources,omitempty"`
	// NotExamined lists every input that could not be examined, or only
	// in part, and why (unknown format, unreadable, skipped by a guard,
	// over --max-file-size). Always present: an empty list means
	// everything given was examined.
	NotExamined []Unexamined `json:"not_examined"`
	// FilesExamined counts the files read by a log parser or the file
	// checks (in part or whole).
	FilesExamined int `json:"files_examined"`

	// Capped describes each rule that matched more often than the
	// findings kept for it (10 000 per rule): how many matches were
	// dropped, and every match counted per client IP and per URL (file
	// path for file findings), so a flood of scanner noise cannot hide
	// the one request that worked. Succeeded matches are kept first.
	Capped []CappedRule `json:"capped,omitempty"`

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

// BuildSource is one place the evidence names an Exchange build.
type BuildSource struct {
	Build string `json:"build"` // as written there (15.01.2176.002, 15.1.2176, ...)
	// Source says what kind of signal it is: "log header #Version",
	// "log columns MajorVersion..RevisionVersion", "ECP S:BLD",
	// "file version of ExSetup.exe", "URL path", "event data".
	Source string `json:"source"`
	File   string `json:"file"`
	Line   int64  `json:"line,omitempty"`
	// Reliability: high (the running code says its own build: file
	// versions, version columns, ECP S:BLD), medium (log headers, event
	// data), low (URL paths: the CU only, and any client can ask for any
	// path), ignored (a placeholder such as the 15.0.0.0 every ECP log
	// header carries, or not an Exchange 2013+ build).
	Reliability string `json:"reliability"`
	Note        string `json:"note,omitempty"`
}

// Unexamined is one input that was not examined, or only in part.
type Unexamined struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// CappedRule summarises the matches of one rule over the findings cap.
type CappedRule struct {
	Rule    string `json:"rule"`
	Title   string `json:"title"`
	Matched int    `json:"matched"` // every match of the rule
	Kept    int    `json:"kept"`    // findings reported for it
	Dropped int    `json:"dropped"` // matched - kept
	// Outcomes counts every match (kept or dropped) by outcome.
	Outcomes OutcomeCounts `json:"outcomes"`
	// ClientIPs counts the matches per client IP, those with a succeeded
	// match first, then by count; ClientIPsDistinct is how many distinct
	// addresses matched (the list may be shorter: see Note), -1 when
	// there were too many to count.
	ClientIPs         []ValueCount `json:"client_ips"`
	ClientIPsDistinct int          `json:"client_ips_distinct"`
	// URLs counts the matches per URL path (log findings) or file path
	// (file findings), in the same order and with the same bounds.
	URLs         []ValueCount `json:"urls"`
	URLsDistinct int          `json:"urls_distinct"`
	Note         string       `json:"note,omitempty"`
}

// OutcomeCounts counts matches by outcome.
type OutcomeCounts struct {
	Succeeded int `json:"succeeded"`
	Attempted int `json:"attempted"`
	Unknown   int `json:"unknown"`
}

// ValueCount is how often one client IP or URL matched a capped rule.
type ValueCount struct {
	Value   string `json:"value"`
	Matched int    `json:"matched"`
	Kept    int    `json:"kept"` // among the findings reported
	OutcomeCounts
	First time.Time `json:"first,omitzero"`
	Last  time.Time `json:"last,omitzero"`
}
