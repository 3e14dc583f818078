#!/usr/bin/env bash
# bench/collect.sh: `exhunt collect` vs doing it by hand with Info-ZIP.
#
# Generates SIZE (default 1G) of IIS + HttpProxy logs with bench/genlogs in a
# C:\-like tree, builds exhunt, then times on the same tree
#   (a) exhunt collect --root DIR -o A.zip          (plan, copy, SHA-256 per file,
#                                                   manifest, zip's .sha256)
#   (b) sha256sum of every file > list; zip -1 -r B.zip DIR; sha256sum B.zip
#       (the same work by hand: per-file hashes, fastest deflate, container hash)
# and checks the bundle with `exhunt collect --verify`. Prints seconds, MB/s,
# bundle sizes, max RSS of each, and exhunt/zip wall-clock ratio.
# The data is deleted on exit.
#
# Usage: bench/collect.sh            (from anywhere in the repository)
# Env:   SIZE=1G DATA=/tmp/exhunt-bench-collect
set -euo pipefail

cd "$(dirname "$0")/.."
SIZE=${SIZE:-1G}
DATA=${DATA:-/tmp/exhunt-bench-collect}
work=$(mktemp -d /tmp/collect-bench.XXXXXX)
trap 'rm -rf "$DATA" "$work"' EXIT

command -v zip >/dev/null || { apt-get update -qq && apt-get install -y -qq zip >/dev/null; }

rm -rf "$DATA"
go run ./bench/genlogs -dir "$DATA" -size "$SIZE" >/dev/null
CGO_ENABLED=0 go build -o "$work/exhunt" ./cmd/exhunt
bytes=$(du -sb "$DATA" | cut -f1)
files=$(find "$DATA" -type f | wc -l)
echo "input: $files files, $bytes bytes; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

run() { # name command...: prints seconds and max RSS (KiB)
	local name=$1; shift
	sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
	/usr/bin/time -f "%e %M" -o "$work/$name.time" "$@" >/dev/null 2>"$work/$name.err" || { cat "$work/$name.err" >&2; exit 1; }
	cat "$work/$name.time"
}

read -r a_s a_rss < <(run exhunt "$work/exhunt" collect -q --root "$DATA" -o "$work/a.zip")
read -r b_s b_rss < <(run zip bash -c "cd '$DATA' && find . -type f -exec sha256sum {} + > '$work/b.sums' && zip -q -1 -r '$work/b.zip' . && sha256sum '$work/b.zip' > '$work/b.zip.sha256'")
"$work/exhunt" collect --verify "$work/a.zip" | tail -1

mbps() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.0f", b / 1e6 / s }'; }
printf '%-22s %8s %8s %14s %10s\n' tool seconds MB/s bundle_bytes rss_MiB
printf '%-22s %8s %8s %14s %10s\n' "exhunt collect" "$a_s" "$(mbps "$a_s")" "$(stat -c %s "$work/a.zip")" "$((a_rss / 1024))"
printf '%-22s %8s %8s %14s %10s\n' "sha256sum + zip -1" "$b_s" "$(mbps "$b_s")" "$(stat -c %s "$work/b.zip")" "$((b_rss / 1024))"
awk -v a="$a_s" -v b="$b_s" 'BEGIN { printf "exhunt/zip wall-clock ratio: %.2f (below 1: exhunt is faster)\n", a / b }'
