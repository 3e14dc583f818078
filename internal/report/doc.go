// Package report turns stored hunt and scan results into what people and
// other tools read: one self-contained HTML file per host or fleet (verdict
// and exposure banner, a remediation plan ordered by urgency, a timeline
// chart drawn as inline SVG on the server, findings with file:line
// evidence, log coverage with gaps) and machine exports: SARIF 2.1.0, a
// STIX 2.1 bundle, CSV, and JSON lines with Elastic Common Schema names.
//
// Every string that came from evidence (URLs, user agents, file names,
// command lines) reaches HTML only through html/template, which escapes it
// for its context; the HTML needs no script and fetches nothing.
//
// The package does not read the database or the network: callers pass
// [Host] values (a finding.HostResult and, when one exists, the newest
// network scan of the host) and an exchange knowledge base for the
// remediation plan.
package report
