// Package scan finds Microsoft Exchange servers over the network and judges
// their exposure without logging in: it expands targets (IPs, CIDRs, names,
// host:port, URLs with their path; sharded and resumable), asks each host
// every anonymous door a real Exchange has (the logon page, /owa, ActiveSync,
// EWS and autodiscover with an NTLM hello, /ecp/, the export-tool manifest,
// RPC, MAPI: Doors), judges it yes, no or unidentified with the signals
// behind the judgement (an OWA page counts only when it is the host's own and
// a second signal agrees; a copied one is an OWA look-alike), reports every
// build-reading method and their conflicts, maps the build to CVEs through an
// Assessor (the exchange knowledge base), and optionally runs safe in-band
// probes (--active) and a baseline-checked web shell census (--webshells) on
// hosts judged Exchange, each answer judged by one set of rules (Verdicts).
//
// Data flow: targets → Scanner.Run (bounded workers, global and per-IP rate
// limits, per-request and per-host time budgets, a per-target request cap;
// completion or input order) → Result per host → Writer (text, jsonl, csv).
// The package never prints: callers get results through a callback.
//
// It does not exploit: no request writes, executes, authenticates or
// triggers an out-of-band callback, and redirects are never followed, so a
// scan touches only the addresses it was given. It does not store results
// (the store does) and does not decide exit codes (cmd/exhunt does).
package scan
