#!/usr/bin/env bash
# bench/hunt-flood.sh: peak memory of `exhunt hunt` on a flood of attack
# lines, at two sizes. bench/genlogs -every 5 writes IIS + HttpProxy logs
# in which one line in five is an attack (ProxyLogon SSRF, web-shell
# commands, ProxyShell: ~325 000 matches at 400 MB), so every rule hits its
# findings cap (10 000 kept per rule, the rest counted under capped). The
# RSS target is <= 256 MiB whatever the size: the findings kept are
# bounded, so twice the data must not need more memory.
#
# Prints, per size and format (json, text), max RSS (MiB), wall seconds
# and the findings kept; the machine is shared, so RSS is the measure,
# not time.
#
# Usage: bench/hunt-flood.sh     Env: SIZE=400M DATA=/tmp/exhunt-bench-flood
#        EXHUNT=path/to/exhunt (another build to compare; default: this tree's)
# Needs jq.
set -euo pipefail

cd "$(dirname "$0")/.."
SIZE=${SIZE:-400M}
DATA=${DATA:-/tmp/exhunt-bench-flood}
work=$(mktemp -d /tmp/hunt-flood.XXXXXX)
trap 'rm -rf "$DATA" "$work"' EXIT
exhunt=${EXHUNT:-$work/exhunt}
if [ -z "${EXHUNT:-}" ]; then
	go build -o "$work/exhunt" ./cmd/exhunt
	echo "exhunt $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo '+changes'), $(nproc) CPUs"
else
	echo "exhunt $EXHUNT, $(nproc) CPUs"
fi
go build -o "$work/genlogs" ./bench/genlogs
n=${SIZE%[KMG]}
u=${SIZE#"$n"}
printf '%-8s %-6s %10s %8s %9s\n' size format "max RSS" wall findings
printf '%-8s %-6s %10s %8s %9s\n' "" "" MiB s kept
for f in 1 2; do
	size=$((n * f))$u
	rm -rf "$DATA"
	"$work/genlogs" -dir "$DATA" -size "$size" -every 5 >/dev/null
	for format in json text; do
		/usr/bin/time -v "$exhunt" hunt --no-store --format "$format" "$DATA" >"$work/out" 2>"$work/time" || true
		rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$work/time")
		wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$work/time")
		kept=-
		[ "$format" = json ] && kept=$(jq '.findings | length' "$work/out")
		printf '%-8s %-6s %10s %8s %9s\n' "$size" "$format" "$rss" "$wall" "$kept"
	done
done
