#!/usr/bin/env bash
# bench/upload.sh: reliability benchmark of exhunt serve's upload API on
# loopback (issue: "20 parallel uploaders × 500 results: nothing lost,
# nothing duplicated, p99 latency reported; kill -9 of exhunt serve in the
# middle of an upload loses nothing that was acknowledged").
#
#   bench/upload.sh                 # SQLite in a temporary folder
#   EXHUNT_BENCH_DB=postgres://postgres@127.0.0.1:5432/test?sslmode=disable bench/upload.sh
#
# Uses ports 127.0.0.1:18080-18081. Exit status 0 only if every check passes.
set -euo pipefail
cd "$(dirname "$0")/.."
UPLOADERS=${UPLOADERS:-20}
N=${N:-500}
work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi
  rm -rf "$work"
}
trap cleanup EXIT
export EXHUNT_TOKEN=bench-token-0123456789
go build -o "$work/exhunt" ./cmd/exhunt
go build -o "$work/uploadload" ./bench/uploadload

db=${EXHUNT_BENCH_DB:-$work/bench.db}
if [[ "$db" == postgres* ]]; then
  # A schema of its own, dropped at exit, so the benchmark leaves nothing behind.
  pgdsn=$db
  schema="exhunt_bench_$$"
  psql "$pgdsn" -qc "CREATE SCHEMA $schema" >/dev/null
  trap 'cleanup; psql "$pgdsn" -qc "DROP SCHEMA $schema CASCADE" >/dev/null || true' EXIT
  sep='?'; [[ "$db" == *\?* ]] && sep='&'
  db="${db}${sep}search_path=$schema"
fi

start() { # start ADDR: exhunt serve in the background, wait until healthy
  "$work/exhunt" -q serve --db "$db" --listen "$1" >/dev/null 2>>"$work/serve.log" &
  pid=$!
  for _ in $(seq 100); do curl -fs "http://$1/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "exhunt serve did not start"; cat "$work/serve.log"; exit 1
}
count() { curl -fs -H "Authorization: Bearer $EXHUNT_TOKEN" "http://$1/api/v1/runs?kind=hunt&host=$2" | grep -c '"id"' || true; }

fail=0
echo "== $UPLOADERS uploaders x $N results (db: ${db%%\?*})"
start 127.0.0.1:18080
"$work/uploadload" -url http://127.0.0.1:18080 -uploaders "$UPLOADERS" -n "$N" -run load
total=0
for u in $(seq -f %02g 0 $((UPLOADERS-1))); do total=$((total + $(count 127.0.0.1:18080 "load-$u"))); done
echo "stored runs: $total (want $((UPLOADERS*N)))"; [ "$total" -eq $((UPLOADERS*N)) ] || fail=1

echo "== the same $((UPLOADERS*N)) results again: nothing duplicated"
"$work/uploadload" -url http://127.0.0.1:18080 -uploaders "$UPLOADERS" -n "$N" -run load | sed 's/^/again: /'
total=0
for u in $(seq -f %02g 0 $((UPLOADERS-1))); do total=$((total + $(count 127.0.0.1:18080 "load-$u"))); done
echo "stored runs: $total (want $((UPLOADERS*N)))"; [ "$total" -eq $((UPLOADERS*N)) ] || fail=1

echo "== kill -9 during uploads: nothing acknowledged is lost"
"$work/uploadload" -url http://127.0.0.1:18080 -uploaders "$UPLOADERS" -n "$N" -run crash -ack "$work/acks" >"$work/crash.out" 2>/dev/null &
loader=$!
sleep 1.5
kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=""
wait "$loader" || true
cat "$work/crash.out"
start 127.0.0.1:18081
"$work/uploadload" -url http://127.0.0.1:18081 -verify "$work/acks" || fail=1

[ "$fail" -eq 0 ] && echo "PASS" || { echo "FAIL"; exit 1; }
