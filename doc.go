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
//	files ──► filecheck over yara ─────────┘
//	   ▼
//	hunt (correlation, outcome, verdict, timeline, coverage)
//	   ▼
//	store (SQLite / PostgreSQL) ──► report (HTML, SARIF, STIX, CSV) / web (dashboard)
//
//	exchange (build → update → CVE knowledge) feeds build, scan, hunt and report.
//	scan (network) uses exchange and produces its own host results.
//
// The imports follow the flow. Each package sits in one layer, and may
// import packages of its own layer and of the layers listed before it,
// never of a later one (layering_test.go holds the same table and checks
// every import of the Linux and the Windows build):
//
//	layer                         packages
//	1 leaf utilities, knowledge   safetext, jsonfmt, datadir, schema, fetch, exchange, kbfeed
//	2 evidence                    evidence (trees, Record, FileInfo)
//	3 records                     logline, iislog, exlog, eventlog, peversion, mailhdr, collect
//	4 findings                    finding
//	5 rules                       rules, yara, ruleset, filecheck
//	6 hunt and scan               hunt, scan, emulator
//	7 store                       store, store/result
//	8 report and jobs             report, queue
//	9 web                         web
//	10 commands                   cmd/exhunt, bench/*, examples/*
//
// So parsers never import rules, finding, store or web; rules and file
// checks never import hunt, store, report or web. finding is the shape
// rules write and everything after them reads, so it comes before rules.
// report reads finding, the saved result (store/result) and exchange (for
// the remediation plan), not the store itself; web reads the store and
// renders pages with report. Tests may reach later layers to check what
// they feed (schema's drift test runs scan).
package exhunt
