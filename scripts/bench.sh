#!/usr/bin/env bash
# The benchmark (bench/README.md): builds the server and the bench tools, seeds two
# databases once (var/bench/: 100 patients with 1,000 sessions, and 100,000 patients with
# a year of history: 1,000,000 sessions and as many check-ins, idempotency records and
# audit entries), starts the real
# kneecoach-server on a copy of the large one and runs kneecoach-bench against it on
# loopback: health check baseline, GetTodaySession, ListExercises, ReportSession (durable),
# the morning-peak mix, and that mix open-loop at half its peak rate. Then GetTodaySession
# latency on the small and the large database. Prints the tables, the ratios and the
# server's peak memory.
#
#   scripts/bench.sh                 # the full run (~5 minutes, plus ~2 minutes to seed once)
#   scripts/bench.sh --quick         # 3 s per scenario, 2,000 patients
#   scripts/bench.sh --smoke         # 0.5 s per scenario, 50 patients (tests/durability)
#   scripts/bench.sh --seed          # only make the full run's databases
#   scripts/bench.sh --postgres      # one replica on SQLite, one and two on PostgreSQL
#                                    # (scripts/bench-postgres.sh; ~3 minutes)
#   BUILD_DIR=build-perf SERVER_FLAGS="--sync_max_pollers=64" scripts/bench.sh
#   BENCH_FLAGS="--streams=128" DURATION=30s scripts/bench.sh
# SERVER_BIN, BENCH_BIN, SEED_BIN name prebuilt binaries (then nothing is built); VAR_DIR
# is where the databases go (var/bench).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD_DIR:-build}
mode=${1:-full}
[ "$mode" = --postgres ] && exec scripts/bench-postgres.sh

if [ "$build" = build ] && [ -z "${SERVER_BIN:-}" ]; then
  scripts/setup.sh >/dev/null
  scripts/build.sh kneecoach-server kneecoach-bench kneecoach-seed >/dev/null
fi
server_bin=${SERVER_BIN:-$build/service/kneecoach-server}
bench_bin=${BENCH_BIN:-$build/bench/kneecoach-bench}
seed_bin=${SEED_BIN:-$build/bench/kneecoach-seed}
var=${VAR_DIR:-var/bench}

small_patients=100
per_patient=10
case $mode in
  --smoke) small_patients=20 large_patients=50 duration=0.5s warmup=0.1s
           BENCH_FLAGS="--streams=8 --connections=2 ${BENCH_FLAGS:-}" ;;
  --quick) large_patients=2000 duration=3s warmup=1s ;;
  *) large_patients=100000 duration=${DURATION:-15s} warmup=3s ;;
esac
mkdir -p "$var"

# Seeds $var/NAME-PATIENTS.db once (kept for later runs).
seed() {
  local name=$1 patients=$2 db=$var/$1-$2.db
  local stamp="$patients patients x $per_patient sessions, schema and seed $(git -C "$root" log -1 --format=%h -- service/store/migrations.cc bench/seed.cc 2>/dev/null)"
  if [ -f "$db" ] && [ "$(cat "$db.stamp" 2>/dev/null)" = "$stamp" ]; then return; fi
  rm -f "$db" "$db-wal" "$db-shm" "$db.stamp"
  echo "bench: seeding $db ($stamp)..." >&2
  "$seed_bin" --db="$db" --patients="$patients" --sessions_per_patient=$per_patient >&2
  echo "$stamp" >"$db.stamp"
}

server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

# Starts the server on a fresh copy of $var/NAME-PATIENTS.db; sets port, server_pid, token.
source scripts/bench-server.sh
start_server() {
  start_bench_server "$server_bin" "$var/$1-$2.db" "$var/run-$1.db" "$var/server-$1.log"
}

bench() {
  "$bench_bin" --target="127.0.0.1:$port" --server_pid="$server_pid" --token="$token" \
    --duration="$duration" --warmup="$warmup" ${BENCH_FLAGS:-} "$@"
}

seed small $small_patients
seed large $large_patients
[ "$mode" = --seed ] && exit 0

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), \
$(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r); load average before: \
$(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ); server flags: ${SERVER_FLAGS:-none}"

start_server large $large_patients
bench --programs=$large_patients --label="large db ($large_patients patients, \
$((large_patients * per_patient)) sessions)"
stop_server
# Group commit: how many durable commits shared each fdatasync of the WAL.
sed -n 's/^kneecoach-server: \([0-9]*\) commits, \([0-9]*\) shared WAL syncs/\1 \2/p' \
    "$var/server-large.log" |
  awk '{ printf "group commit: %d commits, %d WAL fdatasyncs (%.1f commits per sync)\n",
         $1, $2, ($2 > 0 ? $1 / $2 : 0) }'
# Pages per durable commit, the cost that bounds ReportSession (docs/performance.md).
commits=$(sed -n 's/^kneecoach-server: \([0-9]*\) commits.*/\1/p' "$var/server-large.log")
sed -n 's/^kneecoach-server: writer pages: \([0-9]*\) cached, \([0-9]*\) read, \([0-9]*\) written.*/\1 \2 \3/p' \
    "$var/server-large.log" |
  awk -v c="${commits:-0}" '{ if (c > 0) printf "writer pages per commit: %.1f written to the WAL, %.1f read from the file, %.1f found in the cache\n", $3 / c, $2 / c, $1 / c }'
# Checkpoints keep the WAL bounded; each restart holds the writer (sqlite_store.cc).
sed -n 's/^kneecoach-server: WAL restarts: /WAL restarts: /p' "$var/server-large.log"
# Writes are serialized behind one writer connection: how long each hold of it lasted.
sed -n 's/^kneecoach-server: writer held \([0-9.]*\) ms in all, \([0-9]*\) times/\1 \2/p' \
    "$var/server-large.log" |
  awk '{ if ($2 > 0) printf "writer held: %.1f s in all, %d times, %.0f us per hold\n", $1 / 1000, $2, $1 * 1000 / $2 }'

echo
echo "GetTodaySession against database size (both servers up, runs alternated 3 times to"
echo "even out other load on the machine; p50/p99 in ms, median of the runs):"
echo "| database                     | streams |   req/s |  p50 |  p99 |"
echo "|------------------------------|---------|---------|------|------|"
# Both servers run at once and the runs alternate small, large, small, ...: a burst of
# load from elsewhere then hits both sizes alike instead of one.
declare -A port_of pid_of token_of patients_of p50
for name in small large; do
  patients=$small_patients
  [ $name = large ] && patients=$large_patients
  start_server $name $patients
  port_of[$name]=$port pid_of[$name]=$server_pid token_of[$name]=$token patients_of[$name]=$patients
  server_pid=""
done
trap 'kill ${pid_of[small]} ${pid_of[large]} 2>/dev/null || true' EXIT
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for streams in 1 16; do
  declare -A runs=()
  for round in 1 2 3; do
    for name in small large; do
      row=$("$bench_bin" --target="127.0.0.1:${port_of[$name]}" --token="${token_of[$name]}" \
              --duration="$duration" --warmup="$warmup" ${BENCH_FLAGS:-} \
              --programs=${patients_of[$name]} --scenarios=today --streams=$streams \
              --connections=$(( streams < 4 ? streams : 4 )) --threads=$(( streams < 2 ? 1 : 2 )) \
            | grep -E "^\| today")
      runs[$name]+="$(echo "$row" | awk -F'|' '{print $3, $4, $5}')"$'\n'
    done
  done
  for name in small large; do
    rps=$(echo -n "${runs[$name]}" | awk '{print $1}' | median)
    p50v=$(echo -n "${runs[$name]}" | awk '{print $2}' | median)
    p99v=$(echo -n "${runs[$name]}" | awk '{print $3}' | median)
    p50[$name-$streams]=$p50v
    printf "| %-28s | %7s | %7s | %4s | %4s |\n" \
      "$name ($((patients_of[$name] * per_patient)) sessions)" "$streams" "$rps" "$p50v" "$p99v"
  done
done
kill "${pid_of[small]}" "${pid_of[large]}" 2>/dev/null || true
wait "${pid_of[small]}" "${pid_of[large]}" 2>/dev/null || true
for streams in 1 16; do
  awk -v a="${p50[small-$streams]}" -v b="${p50[large-$streams]}" -v s=$streams \
    'BEGIN { printf "p50 large/small at %d stream(s): %.2fx\n", s, (a > 0 ? b / a : 0) }'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
