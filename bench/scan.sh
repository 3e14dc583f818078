#!/usr/bin/env bash
# bench/scan.sh: exhunt scan against the peers a user would otherwise reach
# for (nmap -sV with http-title/http-headers/http-ntlm-info, WhatWeb), on one
# emulated fleet on loopback, at the same concurrency.
#
#   bash bench/scan.sh                 # 1000 hosts, concurrency 64
#   HOSTS=2000 CONC=128 bash bench/scan.sh
#   EXHUNT=/path/to/exhunt bash bench/scan.sh   # use a prebuilt binary
#   SKIP_PEERS=1 bash bench/scan.sh              # exhunt only (nmap+WhatWeb take ~25 min for 1000 hosts)
#
# The fleet (exhunt emulate) binds only 127.0.0.0/8: host i listens on
# 127.1.0.1 + i, port $PORT. Mix: 10% vulnerable (ProxyLogon/ProxyShell),
# hosts/250 web-shelled, 5% non-Exchange (plain IIS, IIS+NTLM, catch-all),
# 2% slow (300 ms per response), 5% "CU known only" (no manifest, no header),
# the rest patched builds that send X-OWA-Version.
# nmap and WhatWeb come from Debian (apt-get install nmap whatweb); a peer
# that is missing is skipped and said so. exhunt runs with --no-store: the
# result database is not part of what is compared.
set -euo pipefail

HOSTS=${HOSTS:-1000}
CONC=${CONC:-64}
PORT=${PORT:-8443}
FIRST_IP=${FIRST_IP:-127.1.0.1}
SEED=${SEED:-1}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/exhunt-bench-scan.XXXXXX")
emu_pid=""
cleanup() {
	if [[ -n "$emu_pid" ]]; then kill "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

if [[ -z "${EXHUNT:-}" ]]; then
	EXHUNT="$work/exhunt"
	(cd "$here/.." && CGO_ENABLED=0 go build -o "$EXHUNT" ./cmd/exhunt)
fi
ulimit -n 65536 2>/dev/null || true

now() { date +%s.%N; }

loadavg() { echo "== load average: $(cut -d" " -f1-3 /proc/loadavg) on $(nproc) cores ($1)"; }
loadavg start
echo "== fleet: $HOSTS hosts from $FIRST_IP port $PORT (seed $SEED), work dir $work"
"$EXHUNT" emulate -n "$HOSTS" --first-ip "$FIRST_IP" --port "$PORT" --seed "$SEED" \
	--targets "$work/targets.txt" --truth "$work/truth.jsonl" 2>"$work/emulate.log" &
emu_pid=$!
for _ in $(seq 1 600); do
	[[ -s "$work/targets.txt" ]] && break
	kill -0 "$emu_pid" 2>/dev/null || { cat "$work/emulate.log"; exit 1; }
	sleep 0.1
done
# Test guard: every target must be loopback.
if grep -qv '^127\.' "$work/targets.txt"; then echo "non-loopback target in fleet" >&2; exit 1; fi
cut -d: -f1 "$work/targets.txt" >"$work/ips.txt"
sed 's|^|https://|; s|$|/|' "$work/targets.txt" >"$work/urls.txt"

declare -A secs
echo "== exhunt scan (passive fingerprint over every door + exposure), concurrency $CONC"
t0=$(now)
"$EXHUNT" scan -i "$work/targets.txt" --no-store --format jsonl --concurrency "$CONC" --host-rate 0 --timeout 3s \
	>"$work/exhunt.jsonl" 2>"$work/exhunt.err" || true
secs[exhunt]=$(echo "$(now) - $t0" | bc)
tail -1 "$work/exhunt.err"

echo "== exhunt scan --active --webshells (for information)"
t0=$(now)
"$EXHUNT" scan -i "$work/targets.txt" --no-store --format jsonl --concurrency "$CONC" --host-rate 0 --timeout 3s --active --webshells \
	>"$work/exhunt-full.jsonl" 2>"$work/exhunt-full.err" || true
secs[exhunt_full]=$(echo "$(now) - $t0" | bc)
tail -1 "$work/exhunt-full.err"

if [[ -z "${SKIP_PEERS:-}" ]] && command -v nmap >/dev/null; then
	echo "== nmap $(nmap --version | head -1 | awk '{print $3}') -sV --script http-title,http-headers,http-ntlm-info, hostgroup $CONC"
	t0=$(now)
	nmap -sV -Pn -n -T4 -p "$PORT" --min-hostgroup "$CONC" --max-hostgroup "$CONC" --min-parallelism "$CONC" \
		--script http-title,http-headers,http-ntlm-info --script-args http-ntlm-info.root=/EWS/ \
		-iL "$work/ips.txt" -oX "$work/nmap.xml" >/dev/null 2>"$work/nmap.err" || true
	secs[nmap]=$(echo "$(now) - $t0" | bc)
else
	echo "== nmap skipped (SKIP_PEERS set, or not installed: apt-get install nmap)"
fi

if [[ -z "${SKIP_PEERS:-}" ]] && command -v whatweb >/dev/null; then
	echo "== WhatWeb $(whatweb --version 2>/dev/null | awk '{print $3}'), $CONC threads"
	t0=$(now)
	whatweb --no-errors -a 1 --max-threads "$CONC" --open-timeout 3 --read-timeout 3 \
		--log-json="$work/whatweb.json" -i "$work/urls.txt" >/dev/null 2>"$work/whatweb.err" || true
	secs[whatweb]=$(echo "$(now) - $t0" | bc)
else
	echo "== whatweb skipped (SKIP_PEERS set, or not installed: apt-get install whatweb)"
fi

loadavg end
kill "$emu_pid" 2>/dev/null || true
wait "$emu_pid" 2>/dev/null || true
emu_pid=""

args=(--hosts "$HOSTS" --truth "$work/truth.jsonl" --exhunt "$work/exhunt.jsonl" --exhunt-secs "${secs[exhunt]}"
	--exhunt-full "$work/exhunt-full.jsonl" --exhunt-full-secs "${secs[exhunt_full]}")
[[ -n "${secs[nmap]:-}" ]] && args+=(--nmap "$work/nmap.xml" --nmap-secs "${secs[nmap]}")
[[ -n "${secs[whatweb]:-}" ]] && args+=(--whatweb "$work/whatweb.json" --whatweb-secs "${secs[whatweb]}")
python3 "$here/scan_compare.py" "${args[@]}"
echo "(raw outputs kept in $work)"
