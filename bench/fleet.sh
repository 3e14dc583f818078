#!/usr/bin/env bash
# bench/fleet.sh: distributed scanning through the PostgreSQL job queue
# (issue 17). An emulated fleet on loopback is enqueued with
# `exhunt scan --queue` and worked by 1, 2 and 3 `exhunt worker` processes
# (--exit-when-idle); it prints hosts/s for each, the CPU time of the
# workers and the emulator and how busy the machine was, and then the rescue delay: a worker
# is killed with SIGKILL while it runs a job, and the time until another
# worker has redone that job is measured.
#
#   bash bench/fleet.sh                    # 1000 hosts, chunks of 50 (16 hosts at once), 4 chunk jobs per worker
#   HOSTS=2000 CHUNK=100 CONC=32 bash bench/fleet.sh
#   EXHUNT_BENCH_PG=postgres://u@host/db?sslmode=disable bash bench/fleet.sh
#
# Every queue lives in a schema of its own in the test database, dropped
# at exit. The fleet binds only 127.0.0.0/8 (host i at 127.4.0.1 + i).
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${HOSTS:-1000}
CHUNK=${CHUNK:-50}
CONC=${CONC:-16}           # hosts at once within one chunk job
JOBS=${JOBS:-4}            # chunk jobs at once per worker (exhunt worker --concurrency)
PORT=${PORT:-9443}
FIRST_IP=${FIRST_IP:-127.4.0.1}
RESCUE_TIMEOUT=${RESCUE_TIMEOUT:-10s}
PG=${EXHUNT_BENCH_PG:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
work=$(mktemp -d "${TMPDIR:-/tmp}/exhunt-bench-fleet.XXXXXX")
pids=()
schemas=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	for s in "${schemas[@]}"; do psql "$PG" -qc "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1 || true; done
	rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
cpu() { # cpu PID: user+system seconds of a live process
	awk '{printf "%.2f", ($14+$15)/100}' "/proc/$1/stat" 2>/dev/null || echo 0
}
busy() { # busy TOTAL: the machine's busy and total jiffies so far, all processes (other users too)
	awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat
}
export PGOPTIONS='--client-min-messages=warning'
new_queue() { # new_queue NAME: a fresh schema QSCHEMA, and the URL QURL that selects it
	QSCHEMA="exhunt_fleetbench_$$_$1"
	psql "$PG" -qc "DROP SCHEMA IF EXISTS $QSCHEMA CASCADE; CREATE SCHEMA $QSCHEMA" >/dev/null
	schemas+=("$QSCHEMA")
	local sep='?'
	[[ "$PG" == *\?* ]] && sep='&'
	QURL="${PG}${sep}search_path=$QSCHEMA"
}

EXHUNT="$work/exhunt"
CGO_ENABLED=0 go build -o "$EXHUNT" ./cmd/exhunt
ulimit -n 65536 2>/dev/null || true

echo "== $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "== fleet: $HOSTS emulated HTTPS hosts from $FIRST_IP port $PORT; chunks of $CHUNK targets, $CONC hosts at once per chunk, $JOBS chunks at once per worker"
"$EXHUNT" emulate -n "$HOSTS" --first-ip "$FIRST_IP" --port "$PORT" --targets "$work/targets.txt" 2>"$work/emulate.log" &
emu=$!
pids+=("$emu")
for _ in $(seq 1 600); do
	[[ -s "$work/targets.txt" ]] && break
	kill -0 "$emu" 2>/dev/null || { cat "$work/emulate.log"; exit 1; }
	sleep 0.1
done
if grep -qv '^127\.' "$work/targets.txt"; then echo "non-loopback target in fleet" >&2; exit 1; fi

run() { # run WORKERS: enqueue the fleet in a fresh queue, time WORKERS workers to the end
	local n=$1 url
	new_queue "w$n"
	url=$QURL
	"$EXHUNT" -q scan --queue "$url" -i "$work/targets.txt" --chunk-size "$CHUNK" --concurrency "$CONC" --host-rate 0 --timeout 3s >/dev/null
	local emu0 b0 a0 t0 wp=() wcpu=0
	emu0=$(cpu "$emu"); read -r b0 a0 < <(busy); t0=$(now)
	for i in $(seq 1 "$n"); do
		/usr/bin/time -f "%U %S" -o "$work/time.$n.$i" "$EXHUNT" -q worker --queue "$url" --concurrency "$JOBS" --exit-when-idle --id "w$i" 2>"$work/worker.$n.$i.log" &
		wp+=($!)
	done
	for p in "${wp[@]}"; do wait "$p"; done
	local wall secs stored last b1 a1
	wall=$(echo "$(now) - $t0" | bc)
	read -r b1 a1 < <(busy)
	# Until the last job was completed (--exit-when-idle then takes up to
	# ~2 s more to notice that nothing is left).
	last=$(psql "$PG" -Atc "SELECT extract(epoch FROM max(finalized_at)) FROM $QSCHEMA.river_job")
	secs=$(echo "$last - $t0" | bc)
	for i in $(seq 1 "$n"); do wcpu=$(echo "$wcpu + $(awk '{print $1+$2}' "$work/time.$n.$i")" | bc); done
	stored=$(psql "$PG" -Atc "SELECT COUNT(*) FROM $QSCHEMA.scan_targets WHERE scan_id <> ''")
	printf "%d worker(s): %5d hosts stored in %6.1f s = %6.1f hosts/s (processes exited after %.1f s); CPU s: workers %.1f, emulator %.1f; machine %.0f%% busy\n" \
		"$n" "$stored" "$secs" "$(echo "$stored / $secs" | bc -l)" "$wall" "$wcpu" "$(echo "$(cpu "$emu") - $emu0" | bc)" "$(echo "100 * ($b1 - $b0) / ($a1 - $a0)" | bc -l)"
	psql "$PG" -Atc "SELECT format('   chunk jobs: %s, each %s s on average, %s s at most (a job lasts as long as its slowest host)',
		COUNT(*), round(AVG(extract(epoch FROM finalized_at - attempted_at))::numeric, 1),
		round(MAX(extract(epoch FROM finalized_at - attempted_at))::numeric, 1)) FROM $QSCHEMA.river_job"
	if [[ "$stored" != "$HOSTS" ]]; then echo "FAIL: $stored of $HOSTS hosts stored" >&2; exit 1; fi
}
echo "== throughput"
for k in 1 3; do # one process with as many hosts in flight as 1 and 3 workers
	t0=$(now)
	"$EXHUNT" -q scan -i "$work/targets.txt" --no-store --format jsonl --concurrency $((k * CONC * JOBS)) --host-rate 0 --timeout 3s >"$work/local.jsonl" || true
	secs=$(echo "$(now) - $t0" | bc)
	printf "one exhunt scan without --queue, concurrency %d (%d worker(s)' hosts in flight): %d hosts in %.1f s = %.1f hosts/s\n" \
		$((k * CONC * JOBS)) "$k" "$(wc -l <"$work/local.jsonl")" "$secs" "$(echo "$(wc -l <"$work/local.jsonl") / $secs" | bc -l)"
done
for n in 1 2 3; do run "$n"; done

echo "== rescue delay: a worker killed with SIGKILL mid-job, --job-timeout $RESCUE_TIMEOUT"
new_queue rescue
url=$QURL
schema=$QSCHEMA
"$EXHUNT" -q scan --queue "$url" -i "$work/targets.txt" --chunk-size "$CHUNK" --concurrency 4 --host-rate 0 --timeout 3s >/dev/null
"$EXHUNT" -q worker --queue "$url" --concurrency 1 --job-timeout "$RESCUE_TIMEOUT" --id victim 2>"$work/victim.log" &
victim=$!
pids+=("$victim")
job=""
for _ in $(seq 1 600); do
	job=$(psql "$PG" -Atc "SELECT id FROM $schema.river_job WHERE state = 'running' AND attempted_by[array_upper(attempted_by, 1)] = 'victim' LIMIT 1")
	[[ -n "$job" ]] && break
	sleep 0.05
done
[[ -n "$job" ]] || { echo "the victim never ran a job" >&2; exit 1; }
kill -STOP "$victim"
sleep 0.2
started=$(psql "$PG" -Atc "SELECT extract(epoch FROM attempted_at) FROM $schema.river_job WHERE id = $job AND state = 'running'")
[[ -n "$started" ]] || { echo "the victim finished job $job before the kill; run again" >&2; exit 1; }
kill -KILL "$victim"
killed=$(now)
"$EXHUNT" -q worker --queue "$url" --concurrency "$JOBS" --job-timeout "$RESCUE_TIMEOUT" --exit-when-idle --id survivor 2>"$work/survivor.log"
read -r state attempt redone < <(psql "$PG" -AF' ' -tc "SELECT state, attempt, extract(epoch FROM finalized_at) FROM $schema.river_job WHERE id = $job")
stored=$(psql "$PG" -Atc "SELECT COUNT(*) FROM $schema.scan_targets WHERE scan_id <> ''")
runs=$(psql "$PG" -Atc "SELECT COUNT(*) FROM $schema.runs")
printf "job %s: attempt 1 started by the victim, killed %.1f s later; state %s after attempt %s, done %.1f s after the kill (%.1f s after attempt 1 started)\n" \
	"$job" "$(echo "$killed - $started" | bc)" "$state" "$attempt" "$(echo "$redone - $killed" | bc)" "$(echo "$redone - $started" | bc)"
echo "rescue bound: job timeout + a tenth (at least 2 s) before a job counts as stuck, then River's rescuer looks every 30 s, then the retry backoff (~1 s) and the scheduler (every 5 s)"
echo "after the rescue: $stored of $HOSTS targets recorded, $runs scan results stored"
[[ "$state" == completed && "$stored" == "$HOSTS" && "$runs" == "$HOSTS" ]] || { echo "FAIL" >&2; exit 1; }
echo "== done, load average $(cut -d' ' -f1-3 /proc/loadavg)"
