// Package store keeps every hunt and scan result exhunt produced, so that
// findings outlive the terminal they were printed on: one embedded SQLite
// file by default, or a PostgreSQL database shared by a fleet.
//
// A run is stored as its full JSON document plus the key columns the
// dashboard and reports query (host, run time, versions, verdict, build,
// exposure), one row per finding, the evidence file hashes, and the
// indicators (client IPs, user agents, file hashes and names) that
// correlate hosts. A run's id is the SHA-256 of its canonical JSON, so
// ingesting the same result twice stores it once.
//
// The package does not detect, judge or render anything: it reads
// [finding.HostResult] values and scan documents and gives them back. It
// does not import the scan package either: scan results are decoded into
// [ScanResult], which keeps only the columns the store needs and tolerates
// any other field.
//
// Schema changes are goose migrations embedded in the binary and applied
// by [Open]; the same SQL serves SQLite and PostgreSQL.
package store
