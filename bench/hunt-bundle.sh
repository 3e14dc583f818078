#!/usr/bin/env bash
# bench/hunt-bundle.sh: what reading a bundle's manifest costs a hunt.
#
# Generates SIZE (default 300M) of IIS + HttpProxy logs with bench/genlogs
# and FILES (default 20000) small pages under inetpub\wwwroot (files the
# hunt checks one by one: the per-entry cost), collects them into a bundle, and makes a copy of the bundle without
# manifest.json and collection.log (the same zip of a copied tree, which
# exhunt hunts with the zip's times and paths). Hunts each RUNS times
# (default 3), alternating, and prints the best wall-clock time of each and
# the bundle/plain ratio: the cost of the manifest (its read, the second
# listing of the zip that finds it, the times, the path rewriting and the
# hash checks). The data is deleted on exit.
#
# Usage: bench/hunt-bundle.sh         (from anywhere in the repository)
# Env:   SIZE=300M FILES=20000 RUNS=3 DATA=/tmp/exhunt-bench-bundle
set -euo pipefail

cd "$(dirname "$0")/.."
SIZE=${SIZE:-300M}
FILES=${FILES:-20000}
RUNS=${RUNS:-3}
DATA=${DATA:-/tmp/exhunt-bench-bundle}
work=$(mktemp -d /tmp/hunt-bundle-bench.XXXXXX)
trap 'rm -rf "$DATA" "$work"' EXIT

command -v zip >/dev/null || { apt-get update -qq && apt-get install -y -qq zip >/dev/null; }

rm -rf "$DATA"
go run ./bench/genlogs -dir "$DATA" -size "$SIZE" >/dev/null
mkdir -p "$DATA/inetpub/wwwroot/app"
for i in $(seq "$FILES"); do printf '<%%@ Page Language="C#" %%><html>page %d</html>\n' "$i" >"$DATA/inetpub/wwwroot/app/p$i.aspx"; done
CGO_ENABLED=0 go build -o "$work/exhunt" ./cmd/exhunt
"$work/exhunt" collect -q --root "$DATA" --host BENCH -o "$work/bundle.zip" 2>/dev/null
cp "$work/bundle.zip" "$work/plain.zip"
zip -q -d "$work/plain.zip" manifest.json collection.log
entries=$(unzip -Z1 "$work/bundle.zip" | wc -l)
echo "bundle: $entries entries, $(stat -c %s "$work/bundle.zip") bytes; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

best() { grep -E "^[0-9.]+$" | sort -n | head -1; }
for i in $(seq "$RUNS"); do
	for kind in bundle plain; do
		/usr/bin/time -f "%e" -a -o "$work/$kind.times" "$work/exhunt" hunt -q --no-store --no-progress --format json "$work/$kind.zip" >"$work/$kind.json" 2>/dev/null || true
	done
done
b=$(best <"$work/bundle.times")
p=$(best <"$work/plain.times")
printf '%-28s %8s\n' "hunt" "best s"
printf '%-28s %8s\n' "bundle (manifest read)" "$b"
printf '%-28s %8s\n' "same zip, no manifest" "$p"
awk -v b="$b" -v p="$p" 'BEGIN { printf "bundle/plain wall-clock ratio: %.2f\n", b / p }'
