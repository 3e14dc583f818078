// Package scan finds Microsoft Exchange servers over the network and judges
// their exposure without logging in: it expands targets (IPs, CIDRs, names,
// host:port, URLs; sharded and resumable), fingerprints each host with every
// anonymous signal (X-OWA-Version, OWA resource paths, the ECP export-tool
// manifest, X-FEServer, the NTLM challenge), reports every build-reading
// method and their conflicts, maps the build to CVEs through an Assessor
// (the exchange knowledge base), and optionally runs safe in-band probes
// (--active) and a baseline-checked web shell census (--webshells).
//
// Data flow: targets → Scanner.Run (bounded workers, global and per-IP rate
// limits, per-request and per-host time budgets) → Result per host → Writer
// (text, jsonl, csv). The package never prints: callers get results
// through a callback.
//
// It does not exploit: no request writes, executes, authenticates or
// triggers an out-of-band callback, and redirects are never followed, so a
// scan touches only the addresses it was given. It does not store results
// (the store does) and does not decide exit codes (cmd/exhunt does).
package scan
