#!/usr/bin/env bash
# bench/hunt-logs.sh: text-log hunt throughput, `exhunt hunt` vs ripgrep.
#
# Generates SIZE (default 2G) of IIS + HttpProxy logs with bench/genlogs,
# builds exhunt, then times
#   (a) /tmp/exhunt hunt --format json DIR            (full parse + all rules)
#   (b) rg -i -F -c -f PATTERNS DIR                   (fixed strings only)
# where PATTERNS holds the IOC values (internal/rules/pack/iocs) and the
# literal strings of the log rules, i.e. what a responder would grep for.
# Prints MB/s of each, exhunt/rg, and max RSS; the target is exhunt >= 0.5x
# rg with RSS <= 256 MiB. The data is deleted on exit.
#
# Usage: bench/hunt-logs.sh        (from anywhere in the repository)
# Env:   SIZE=2G DATA=/tmp/exhunt-bench-logs SKIP_EXHUNT=1 (rg side only)
set -euo pipefail

cd "$(dirname "$0")/.."
SIZE=${SIZE:-2G}
DATA=${DATA:-/tmp/exhunt-bench-logs}
IOCS=internal/rules/pack/iocs
work=$(mktemp -d /tmp/hunt-logs.XXXXXX)
trap 'rm -rf "$DATA" "$work"' EXIT

if ! command -v rg >/dev/null; then
	echo "installing ripgrep (apt-get)" >&2
	apt-get install -y -qq ripgrep >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq ripgrep >/dev/null; }
fi

rm -rf "$DATA"
go run ./bench/genlogs -dir "$DATA" -size "$SIZE"
bytes=$(du -sb "$DATA" | cut -f1)
echo "data: $bytes bytes in $(find "$DATA" -type f | wc -l) files"

# Fixed strings: attacker addresses, user-agent patterns (also with IIS's
# '+' for spaces), web-shell query markers, and the rules' literals.
pat=$work/patterns.txt
{
	tail -n +2 "$IOCS/attacker-ips.csv" | cut -d, -f1
	grep -v '^"' "$IOCS/user-agents.csv" | tail -n +2 | awk -F, '$2 != "none" && $3 != "" {print $3}' | sort -u
	grep -v '^"' "$IOCS/user-agents.csv" | tail -n +2 | awk -F, '$2 != "none" && $3 ~ / / {gsub(/ /, "+", $3); print $3}'
	grep -v -e '^#' -e '^$' "$IOCS/webshell-query-markers.txt"
	cat <<'LIT'
ServerInfo~
Server~
/ecp/y.js
/owa/auth/x.js
themes/resources/
/ecp/default.flt
/ecp/main.css
DDIService.svc/SetObject
ResetOABVirtualDirectory
rpcproxy.dll
autodiscover.json
X-Rps-CAT
/mapi/nspi
mastermailbox
/powershell
aspnet_client
/ecp/auth/
VirtualDirectory
Download failed and temporary file
New-MailboxExportRequest
New-ManagementRoleAssignment
LIT
} >"$pat"
echo "rg patterns: $(wc -l <"$pat")"

mbps() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b / 1e6 / s }'; }
secs() { # elapsed "h:mm:ss" or "m:ss.cc" from time -v → seconds
	awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1"
}
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.1f MiB", $2 / 1024 }' "$1"; }
cpu() { awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$1"; } # CPU seconds; fair on a busy machine

# Warm the page cache once so both sides read from memory.
find "$DATA" -type f -print0 | xargs -0 cat >/dev/null

/usr/bin/time -v rg -i -F -c -f "$pat" "$DATA" >"$work/rg.out" 2>"$work/rg.time" || true
rg_s=$(secs "$work/rg.time")
rg_c=$(cpu "$work/rg.time")
echo "rg:     ${rg_s}s  $(mbps "$rg_s") MB/s wall, $(mbps "$rg_c") MB/s per CPU-second  max RSS $(rss "$work/rg.time")  matching lines: $(awk -F: '{s += $NF} END {print s}' "$work/rg.out")"

if [ -n "${SKIP_EXHUNT:-}" ]; then
	exit 0
fi
if ! go build -o /tmp/exhunt ./cmd/exhunt; then
	echo "exhunt: build failed, hunt side skipped" >&2
	exit 0
fi
status=0
/usr/bin/time -v /tmp/exhunt hunt --no-store --format json "$DATA" >"$work/hunt.json" 2>"$work/hunt.time" || status=$?
ex_s=$(secs "$work/hunt.time")
ex_c=$(cpu "$work/hunt.time")
echo "exhunt: ${ex_s}s  $(mbps "$ex_s") MB/s wall, $(mbps "$ex_c") MB/s per CPU-second  max RSS $(rss "$work/hunt.time")  exit $status  findings: $(grep -o '"rule"' "$work/hunt.json" | wc -l)"
awk -v a="$rg_s" -v b="$ex_s" -v c="$rg_c" -v d="$ex_c" 'BEGIN { printf "exhunt/rg throughput ratio: %.2f wall, %.2f CPU (target >= 0.5)\n", a / b, c / d }'
