#!/usr/bin/env bash
# bench/hunt-logs.sh: text-log hunt cost by the shape of the evidence,
# `exhunt hunt` vs ripgrep, in one run.
#
# For each shape, bench/genlogs writes IIS + HttpProxy logs, the page cache
# is warmed, then, REPEAT times each, alternately:
#   (a) rg -i -F -c -f PATTERNS DIR                (fixed strings only)
#   (b) exhunt hunt --no-store --format json DIR   (full parse, every rule,
#       SHA-256 of every byte, coverage, joins, findings as JSON)
# PATTERNS holds the IOC values (internal/rules/pack/iocs) and the rules'
# literal strings: what a responder would grep for.
#
# Shapes (SIZE defaults to 400M; each also at twice the size, for
# linearity):
#   sparse  genlogs default: a busy server, a handful of attack lines
#   dense   -every 200: one attack line per 200 (a mass-scanned server)
#   small   -lines 60: the sparse traffic in files of 60 lines (hourly
#           HttpProxy files of a small server): ~26 000 files at 400M
#   deep    -lines 60 -depth D: SIZE/4 of small files spread along a chain
#           of DEPTH (120) nested folders, the server's own 5 to 8 below
#           each; its 2x is twice the files along the same chain, and
#           deep-2d the same files along a chain twice as deep (240, within
#           the walk's limit of 256 levels: each file's path, which the
#           kernel resolves on every open, is then twice as long)
#   chain   a 10 000-deep chain of folders with the same small IIS log every
#           100 levels: exhunt walks 256 levels and lists the rest as not
#           examined; rg walks what it can (paths pass PATH_MAX past ~2 000)
#
# Prints, per shape and run, wall and CPU seconds (user + sys), max RSS and
# findings; then per shape the best of REPEAT runs of each side, the ratio
# exhunt/rg in throughput (wall and CPU: >= 0.5 is the target), and the 2x
# over 1x time ratios (<= 2.2 is the target). RSS target: <= 256 MiB.
# The load average is printed before each shape: the machine is shared.
# The data is deleted as it goes.
#
# Usage: bench/hunt-logs.sh        (from anywhere in the repository)
# Env:   SIZE=400M REPEAT=3 SHAPES="sparse dense small deep chain"
#        DEPTH=120 DATA=/tmp/exhunt-bench-logs
set -euo pipefail

cd "$(dirname "$0")/.."
SIZE=${SIZE:-400M}
REPEAT=${REPEAT:-3}
SHAPES=${SHAPES:-sparse dense small deep chain}
DEPTH=${DEPTH:-120}
DATA=${DATA:-/tmp/exhunt-bench-logs}
IOCS=internal/rules/pack/iocs
work=$(mktemp -d /tmp/hunt-logs.XXXXXX)
trap 'rm -rf "$DATA" "$work"' EXIT

if ! command -v rg >/dev/null; then
	echo "installing ripgrep (apt-get)" >&2
	apt-get install -y -qq ripgrep >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq ripgrep >/dev/null; }
fi

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

go build -o "$work/exhunt" ./cmd/exhunt
go build -o "$work/genlogs" ./bench/genlogs
echo "exhunt $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo '+changes'), $(rg --version 2>/dev/null | sed -n 1p), $(nproc) CPUs, rg patterns: $(wc -l <"$pat")"

secs() { # elapsed "h:mm:ss" or "m:ss.cc" from time -v → seconds
	awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1"
}
cpu() { awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
min() { sort -g | head -1; }

# gen SHAPE FACTOR: write the shape's data at SIZE x FACTOR into $DATA.
gen() {
	local shape=$1 f=$2 size
	size=$(awk -v s="$SIZE" -v f="$f" 'BEGIN { u = substr(s, length(s)); n = substr(s, 1, length(s) - 1); if (u !~ /[KMG]/) { u = ""; n = s } printf "%d%s", n * f, u }')
	rm -rf "$DATA"
	case $shape in
	sparse) "$work/genlogs" -dir "$DATA" -size "$size" ;;
	dense) "$work/genlogs" -dir "$DATA" -size "$size" -every 200 ;;
	small) "$work/genlogs" -dir "$DATA" -size "$size" -lines 60 ;;
	deep)
		size=$(awk -v s="$size" 'BEGIN { u = substr(s, length(s)); n = substr(s, 1, length(s) - 1); printf "%d%s", n / 4, u }')
		"$work/genlogs" -dir "$DATA" -size "$size" -lines 60 -depth "$DEPTH"
		;;
	deep-2d)
		size=$(awk -v s="$SIZE" 'BEGIN { u = substr(s, length(s)); n = substr(s, 1, length(s) - 1); printf "%d%s", n / 4, u }')
		"$work/genlogs" -dir "$DATA" -size "$size" -lines 60 -depth $((DEPTH * 2))
		;;
	chain)
		# One small IIS log with an attack line, every 100 levels of a
		# 10 000 x f deep chain (built with chdir: its paths pass PATH_MAX).
		"$work/genlogs" -dir "$work/one" -size 64K -lines 60 -every 50 >/dev/null
		local log
		log=$(find "$work/one" -name 'u_ex210301.log')
		/usr/bin/python3 - "$DATA" $((10000 * f)) "$log" <<'PY'
import os, sys
root, depth, log = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "rb").read()
os.makedirs(root)
os.chdir(root)
for i in range(depth):
    if i % 100 == 0:
        with open("u_ex210301.log", "wb") as f:
            f.write(log)
    os.mkdir("d")
    os.chdir("d")
print(f"chain of {depth} folders, a log every 100 levels")
PY
		rm -rf "$work/one"
		;;
	esac | grep -v '^attacks' || true
}

declare -A best_rg_w best_rg_c best_ex_w best_ex_c bytes_of
summary=$work/summary.txt
: >"$summary"
variants() { # the runs of a shape: NAME GEN-SHAPE FACTOR
	echo "$1 $1 1"
	echo "$1-2x $1 2"
	[ "$1" = deep ] && echo "deep-2d deep-2d 1"
	true
}
names=()
for shape in $SHAPES; do
	while read -r name gshape f; do
		names+=("$name")
		echo
		echo "== $name (load average $(load))"
		gen "$gshape" "$f"
		b=$(find "$DATA" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
		n=$(find "$DATA" -type f | wc -l)
		bytes_of[$name]=$b
		echo "data: $b bytes in $n files, $(find "$DATA" -type d | wc -l) folders"
		find "$DATA" -type f -print0 2>/dev/null | xargs -0 -r cat >/dev/null 2>&1 || true
		rgw=() rgc=() exw=() exc=()
		for i in $(seq "$REPEAT"); do
			/usr/bin/time -v rg -i -F -c -f "$pat" "$DATA" >"$work/rg.out" 2>"$work/rg.time" || true
			rgw+=("$(secs "$work/rg.time")") rgc+=("$(cpu "$work/rg.time")")
			status=0
			/usr/bin/time -v "$work/exhunt" hunt --no-store --format json "$DATA" >"$work/hunt.json" 2>"$work/hunt.time" || status=$?
			exw+=("$(secs "$work/hunt.time")") exc+=("$(cpu "$work/hunt.time")")
			rgerr=$(grep -c '^rg:' "$work/rg.time" || true)
			read -r nf nx < <(/usr/bin/python3 -c 'import json,sys
d = json.load(open(sys.argv[1])); d = d if isinstance(d, list) else [d]
print(sum(len(r.get("findings") or []) for r in d), sum(len(r.get("not_examined") or []) for r in d))' "$work/hunt.json" 2>/dev/null || echo "? ?")
			printf '  run %d: rg %6.2fs wall %6.2fs CPU %4s MiB, %s matching lines, %s errors | exhunt %6.2fs wall %6.2fs CPU %4s MiB, exit %s, %s findings, %s not examined\n' \
				"$i" "${rgw[-1]}" "${rgc[-1]}" "$(rss "$work/rg.time")" "$(awk -F: '{s += $NF} END {print s + 0}' "$work/rg.out")" "$rgerr" \
				"${exw[-1]}" "${exc[-1]}" "$(rss "$work/hunt.time")" "$status" "$nf" "$nx"
			echo "$name rss $(rss "$work/hunt.time")" >>"$summary"
		done
		best_rg_w[$name]=$(printf '%s\n' "${rgw[@]}" | min)
		best_rg_c[$name]=$(printf '%s\n' "${rgc[@]}" | min)
		best_ex_w[$name]=$(printf '%s\n' "${exw[@]}" | min)
		best_ex_c[$name]=$(printf '%s\n' "${exc[@]}" | min)
	done < <(variants "$shape")
	rm -rf "$DATA"
done

echo
echo "== summary: best of $REPEAT runs each (load average now $(load))"
printf '%-10s %14s %9s %9s %9s %9s %8s %8s %10s\n' shape bytes rg_wall rg_cpu ex_wall ex_cpu "x/rg" "x/rg" "max RSS"
printf '%-10s %14s %9s %9s %9s %9s %8s %8s %10s\n' "" "" s s s s wall CPU MiB
for name in "${names[@]}"; do
	{
		maxrss=$(awk -v n="$name" '$1 == n {print $3}' "$summary" | sort -g | tail -1)
		awk -v n="$name" -v b="${bytes_of[$name]}" -v rw="${best_rg_w[$name]}" -v rc="${best_rg_c[$name]}" -v ew="${best_ex_w[$name]}" -v ec="${best_ex_c[$name]}" -v m="$maxrss" \
			'BEGIN { printf "%-10s %14d %9.2f %9.2f %9.2f %9.2f %8.2f %8.2f %10s\n", n, b, rw, rc, ew, ec, (ew > 0 ? rw / ew : 0), (ec > 0 ? rc / ec : 0), m }'
	}
done
echo
echo "linearity: time at 2x the data over time at 1x (target <= 2.2; bytes ratio in brackets)"
for shape in $SHAPES; do
	awk -v n="$shape" -v b1="${bytes_of[$shape]}" -v b2="${bytes_of[$shape-2x]}" \
		-v ew1="${best_ex_w[$shape]}" -v ew2="${best_ex_w[$shape-2x]}" -v ec1="${best_ex_c[$shape]}" -v ec2="${best_ex_c[$shape-2x]}" \
		-v rw1="${best_rg_w[$shape]}" -v rw2="${best_rg_w[$shape-2x]}" \
		'BEGIN { printf "%-10s exhunt %.2f wall, %.2f CPU; rg %.2f wall  [%.2fx the bytes]\n", n, ew2 / ew1, ec2 / ec1, rw2 / rw1, b2 / b1 }'
done
if [[ " $SHAPES " == *" deep "* ]]; then
	awk -v ew1="${best_ex_w[deep]}" -v ew2="${best_ex_w[deep-2d]}" -v ec1="${best_ex_c[deep]}" -v ec2="${best_ex_c[deep-2d]}" -v rw1="${best_rg_w[deep]}" -v rw2="${best_rg_w[deep-2d]}" -v rc1="${best_rg_c[deep]}" -v rc2="${best_rg_c[deep-2d]}" \
		'BEGIN { printf "deep-2d    (the same files, twice as deep) exhunt %.2f wall, %.2f CPU; rg %.2f wall, %.2f CPU\n", ew2 / ew1, ec2 / ec1, rw2 / rw1, rc2 / rc1 }'
fi
echo "targets: exhunt/rg >= 0.5 on every shape, max RSS <= 256 MiB, 2x data <= 2.2x time"
