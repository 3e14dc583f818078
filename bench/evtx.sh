#!/usr/bin/env bash
# bench/evtx.sh: EVTX read throughput, internal/eventlog vs python-evtx.
#
# Copies the shared corpus .evtx samples into a temp tree under /tmp until
# it holds >= 1 GB (MIN_MB), then measures records/s for
#   (a) exhunt parse only            (bench/evtxbench)
#   (b) exhunt parse + rules         (bench/evtxbench -rules: built-in pack
#                                      + every SigmaHQ rule of the corpus)
#   (c) python-evtx parse only       (Debian python3-evtx under /usr/bin/python3,
#                                      records() + xml() per record, as its
#                                      evtx_dump.py does)
# and prints the ratios. All three are single-threaded. python-evtx is
# slow, so it reads the first PY_MB megabytes of the same tree (same
# sample mix); its records/s is a rate, not a total. The tree is deleted
# on exit.
#
# Usage: bench/evtx.sh             (from anywhere; runs from the repo root)
# Env:   CORPUS=/work/shared/corpus MIN_MB=1024 PY_MB=64
set -euo pipefail

cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-$(cd ../shared/corpus 2>/dev/null && pwd || echo /work/shared/corpus)}
MIN_MB=${MIN_MB:-1024}
PY_MB=${PY_MB:-64}
PY=/usr/bin/python3 # not the pyenv python3 first on PATH

if ! "$PY" -c 'import Evtx.Evtx' 2>/dev/null; then
	echo "installing python3-evtx (apt-get)" >&2
	apt-get install -y -qq python3-evtx >/dev/null
fi

work=$(mktemp -d /tmp/evtxbench.XXXXXX)
trap 'rm -rf "$work"' EXIT

mapfile -d '' samples < <(find "$CORPUS" -iname '*.evtx' -print0 | sort -z)
[ ${#samples[@]} -gt 0 ] || { echo "no .evtx under $CORPUS" >&2; exit 1; }
round=0 total=0
while [ "$total" -lt $((MIN_MB * 1024 * 1024)) ]; do
	dir="$work/tree/r$(printf %04d "$round")"
	mkdir -p "$dir"
	i=0
	for s in "${samples[@]}"; do
		cp "$s" "$dir/$i.evtx"
		total=$((total + $(stat -c %s "$s")))
		i=$((i + 1))
	done
	round=$((round + 1))
done
echo "tree: $round copies of ${#samples[@]} samples, $((total / 1024 / 1024)) MB" >&2

# python-evtx reads a prefix of the same rounds.
py_rounds=$(( (PY_MB * 1024 * 1024 + total / round - 1) / (total / round) ))
mkdir -p "$work/py"
for d in $(ls "$work/tree" | head -n "$py_rounds"); do ln -s "$work/tree/$d" "$work/py/$d"; done

go build -o "$work/evtxbench" ./bench/evtxbench
sigma=()
for d in "$CORPUS"/sigma/rules*; do [ -d "$d" ] && sigma+=(-sigma "$d"); done

find "$work/tree" -name '*.evtx' -exec cat {} + >/dev/null # warm the page cache for all three

# measure CMD...: runs CMD, appends its CPU seconds (user+sys, which other
# load on the machine inflates far less than wall time) to its output line.
measure() {
	local out cpu
	cpu=$({ TIMEFORMAT='%U %S'; time "$@" >"$work/out" 2>/dev/null; } 2>&1)
	out=$(cat "$work/out")
	awk -v o="$out" -v c="$cpu" 'BEGIN {
		split(c, t, " "); cpu = t[1] + t[2]
		match(o, /records=[0-9]+/); n = substr(o, RSTART + 8, RLENGTH - 8)
		printf "%s cpu_seconds=%.3f records_per_cpu_sec=%.0f\n", o, cpu, n / cpu
	}'
}
a=$(measure "$work/evtxbench" "$work/tree")
b=$(measure "$work/evtxbench" -rules "${sigma[@]}" "$work/tree")
cat >"$work/py.py" <<'PYEOF'
import os, sys, time
from Evtx.Evtx import Evtx
n = 0
t = time.time()
for root, _, files in os.walk(sys.argv[1], followlinks=True):
    for f in sorted(files):
        if f.lower().endswith(".evtx"):
            with Evtx(os.path.join(root, f)) as log:
                for rec in log.records():
                    rec.xml()
                    n += 1
dt = time.time() - t
print("mode=python-evtx records=%d seconds=%.3f records_per_sec=%.0f" % (n, dt, n / dt))
PYEOF
c=$(measure "$PY" "$work/py.py" "$work/py")

echo "(a) $a"
echo "(b) $b"
echo "(c) $c (first $py_rounds copies, ~${PY_MB} MB)"
rate() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"; }
for m in records_per_sec records_per_cpu_sec; do
	awk -v m="$m" -v a="$(rate $m "$a")" -v b="$(rate $m "$b")" -v c="$(rate $m "$c")" 'BEGIN {
		printf "%s: parse-only vs python-evtx %.1fx (target >= 20x); parse+rules vs parse-only %.2fx slower (target <= 2x)\n", m, a / c, a / b
	}'
done
