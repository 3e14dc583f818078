// Package exhunt is the root of the exhunt module: one binary, cmd/exhunt,
// that finds exposed and compromised Microsoft Exchange servers.
//
// Data flows one way:
//
//	evidence (folders, zips, files: read-only, hashed)
//	   │  iislog, exlog, eventlog parse logs into evidence.Record
//	   ▼
//	records ──► rules (Sigma engine + built-in pack) ──► finding.Finding
//	   │                                   ▲
//	files ──► yara (pure-Go engine) ───────┘
//	   ▼
//	hunt (correlation, outcome, verdict, timeline, coverage)
//	   ▼
//	store (SQLite / PostgreSQL) ──► report (HTML, SARIF, STIX, CSV) / web (dashboard)
//
//	exchange (build → update → CVE knowledge) feeds build, scan, hunt and report.
//	scan (network) uses exchange and produces its own host results.
//
// Parsers never import rules, finding, store or web; rules never import
// store, report or web; report and web read finding only.
package exhunt
