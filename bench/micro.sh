#!/usr/bin/env bash
# Micro-benchmarks behind numbers in the README's dependency table: our
# JSON indenter against encoding/json, the prefilter DFA against
# cloudflare/ahocorasick, our EVTX reader against Velocidex evtx (on the
# corpus's .evtx samples, when ../shared/corpus is present), and the build
# lookup of exhunt build (internal/exchange). Run from the
# repository root; the output is kept in bench/RESULTS-micro.md.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(go version)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
go test -run '^$' -bench 'Indent' -benchmem -count 3 ./internal/jsonfmt/
go test -run '^$' -bench 'CandidateNoHit|AhoCorasickBaseline' -benchmem -count 3 ./internal/rules/
go test -run '^$' -bench 'Read|Velocidex' -benchmem -count 3 ./internal/eventlog/
go test -run '^$' -bench 'Assess' -benchmem -count 3 ./internal/exchange/
