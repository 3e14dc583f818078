#!/usr/bin/env bash
# bench/files.sh: YARA file-scan throughput, internal/yara vs the yara CLI.
#
# Builds a tree of >= 20,000 files and >= 1 GB under /tmp by copying the
# shared corpus web shells and benign ASP.NET/Exchange/jQuery files, then
# scans it with (a) bench/yarabench (internal/yara, GOMAXPROCS workers) and
# (b) Debian's "yara -r -p 2" (installed with apt-get when missing), both
# with the signature-base web-shell and Hafnium rule files that the yara
# CLI compiles without external variables. Prints files/s, MB/s and the
# ratio. The tree is deleted on exit.
#
# Usage: bench/files.sh            (from the repository root)
# Env:   CORPUS=/work/shared/corpus COPIES=290 MIN_MB=1024 MIN_FILES=20000
set -euo pipefail

cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-$(cd ../shared/corpus 2>/dev/null && pwd || echo /work/shared/corpus)}
MIN_MB=${MIN_MB:-1024}
MIN_FILES=${MIN_FILES:-20000}
WORKERS=${WORKERS:-$(nproc)}

if ! command -v yara >/dev/null; then
	echo "installing yara (apt-get)" >&2
	apt-get update -qq && apt-get install -y -qq yara >/dev/null
fi

work=$(mktemp -d /tmp/yarabench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Rule set: signature-base files named like webshell/hafnium/exchange/
# chopper that the yara CLI compiles as they are.
rules=()
for f in "$CORPUS"/signature-base/yara/*.yar; do
	case "$(basename "$f")" in
	*webshell* | *hafnium* | *exchange* | *chopper*)
		if yarac -w "$f" "$work/probe.yarc" 2>/dev/null; then
			rules+=("$f")
		else
			echo "skip (yarac fails without externals): $(basename "$f")" >&2
		fi
		;;
	esac
done
rm -f "$work/probe.yarc"
echo "rules: ${rules[*]##*/}" >&2

# Source files: web shells and benign pages of the corpus.
mapfile -d '' src < <(find "$CORPUS"/tennc-webshell "$CORPUS"/benign-mono-xsp \
	"$CORPUS"/benign-css-exchange "$CORPUS"/benign-jquery-dist -type f -print0)
src_bytes=$(cat "${src[@]}" | wc -c)
copies=${COPIES:-$(((MIN_MB * 1048576 + src_bytes - 1) / src_bytes))}
if ((copies * ${#src[@]} < MIN_FILES)); then
	copies=$(((MIN_FILES + ${#src[@]} - 1) / ${#src[@]}))
fi
echo "building tree: ${#src[@]} files x $copies copies" >&2
stage="$work/stage"
mkdir -p "$stage"
i=0
for f in "${src[@]}"; do
	cp "$f" "$stage/$i-$(basename "$f")"
	i=$((i + 1))
done
tree="$work/tree"
mkdir -p "$tree"
for ((c = 0; c < copies; c++)); do
	cp -r "$stage" "$tree/site$c"
done
rm -rf "$stage"
nfiles=$(find "$tree" -type f | wc -l)
nbytes=$(du -sb "$tree" | cut -f1)
echo "tree: $nfiles files, $((nbytes / 1048576)) MB" >&2

go build -o "$work/yarabench" ./bench/yarabench

# Warm the page cache so both tools read from memory.
find "$tree" -type f -exec cat {} + >/dev/null

# GNU time: wall seconds, user+sys CPU seconds of each tool.
/usr/bin/time -f "%e %U %S" -o "$work/go.time" \
	"$work/yarabench" -p "$WORKERS" -m "${rules[@]}" "$tree" >"$work/go.out" 2>"$work/go.err"
/usr/bin/time -f "%e %U %S" -o "$work/yara.time" \
	yara -w -r -p "$WORKERS" "${rules[@]}" "$tree" >"$work/yara.out" 2>"$work/yara.err" || true

read -r gw gu gs <"$work/go.time"
read -r yw yu ys <"$work/yara.time"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v f="$nfiles" -v b="$nbytes" -v gw="$gw" -v gc="$(echo "$gu + $gs" | bc)" \
	-v yw="$yw" -v yc="$(echo "$yu + $ys" | bc)" \
	-v gm="$(wc -l <"$work/go.out")" -v ym="$(wc -l <"$work/yara.out")" 'BEGIN {
	mb = b / 1048576
	printf "%-16s %8s %8s %9s %8s %10s %9s\n", "engine", "wall_s", "cpu_s", "files/s", "MB/s", "MB/cpu-s", "matches"
	printf "%-16s %8.2f %8.2f %9.0f %8.1f %10.1f %9d\n", "internal/yara", gw, gc, f / gw, mb / gw, mb / gc, gm
	printf "%-16s %8.2f %8.2f %9.0f %8.1f %10.1f %9d\n", "yara -r -p", yw, yc, f / yw, mb / yw, mb / yc, ym
	printf "wall-clock ratio (yara time / internal/yara time): %.2fx\n", yw / gw
	printf "CPU ratio (yara cpu / internal/yara cpu): %.2fx\n", yc / gc
}'
cat "$work/go.err" >&2
grep -v "^$" "$work/yara.err" | head -5 >&2 || true
if ! diff <(sort "$work/go.out") <(sort "$work/yara.out") >/dev/null; then
	echo "WARNING: match lists differ (rule path), first lines:" >&2
	diff <(sort "$work/go.out") <(sort "$work/yara.out") | head -10 >&2
else
	echo "match lists identical (rule path)" >&2
fi

# (c) the same tree and rules through the whole file hunt: exhunt hunt
# --all-files (walk, read, SHA-256/SHA-1/MD5, IOC lists, built-in pack and
# the rules above as a --yara folder). HUNT=0 skips it.
if [[ ${HUNT:-1} == 1 ]]; then
	mkdir -p "$work/rules"
	cp "${rules[@]}" "$work/rules/"
	go build -o "$work/exhunt" ./cmd/exhunt
	# Run yara again right after the hunt: on a shared machine the load
	# moves, and a ratio is fairer between neighbouring runs.
	/usr/bin/time -f "%e %U %S" -o "$work/hunt.time" \
		"$work/exhunt" hunt --all-files --no-store --no-progress --no-community-rules --format json \
		--yara "$work/rules" "$tree" >"$work/hunt.json" 2>"$work/hunt.err" || true
	/usr/bin/time -f "%e %U %S" -o "$work/yara2.time" \
		yara -w -r -p "$WORKERS" "${rules[@]}" "$tree" >/dev/null 2>&1 || true
	read -r hw hu hs < <(tail -n 1 "$work/hunt.time") # GNU time notes a non-zero exit first
	read -r y2w y2u y2s < <(tail -n 1 "$work/yara2.time")
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	awk -v f="$nfiles" -v b="$nbytes" -v h="$hw" -v hc="$(echo "$hu + $hs" | bc)" -v yw="$yw" -v yc="$(echo "$yu + $ys" | bc)" \
		-v y2w="$y2w" -v y2c="$(echo "$y2u + $y2s" | bc)" \
		-v n="$(grep -c '"rule": "yara:' "$work/hunt.json" || true)" 'BEGIN {
		printf "%-14s %8s %8s %10s %10s %10s\n", "run", "wall_s", "cpu_s", "files/s", "MB/s", "findings"
		printf "%-14s %8.2f %8.2f %10.0f %10.1f %10d\n", "exhunt hunt", h, hc, f / h, b / 1048576 / h, n
		printf "%-14s %8.2f %8.2f\n", "yara (again)", y2w, y2c
		printf "wall-clock ratio (yara time / exhunt hunt --all-files time): %.2fx, %.2fx against the run after it (target >= 1)\n", yw / h, y2w / h
		printf "CPU ratio (yara cpu / exhunt hunt cpu): %.2fx, %.2fx\n", yc / hc, y2c / hc
	}'
	head -3 "$work/hunt.err" >&2
fi
