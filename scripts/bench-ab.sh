#!/usr/bin/env bash
# Compares two server builds on one scenario, alternating them so that load from elsewhere
# on a shared machine falls on both alike (docs/performance.md measures changes this way):
#
#   scripts/bench-ab.sh OLD_SERVER NEW_SERVER [ROUNDS] [SCENARIO]
#   scripts/bench-ab.sh /tmp/old/build/service/kneecoach-server build/service/kneecoach-server 3 report
#
# Each run starts the server on a fresh copy of the bench database (DB, default the large
# one that `scripts/bench.sh --seed` makes; PATIENTS its patients), waits for today's
# plans, and runs kneecoach-bench on SCENARIO (default report) for DURATION (10s) after
# WARMUP (2s). One line per run: requests/s, p50 and p99 in ms, how busy the whole machine
# was and the CPU time stolen from it by the host (ticks of 10 ms), the server's CPU per
# request, and the writer connection's pages per commit and time per hold (what bounds
# writes). BENCH_BIN (build/bench/kneecoach-bench) and BENCH_FLAGS, SERVER_FLAGS pass on.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '2,14p' "$0"; exit 2; }
servers=("$1" "$2")
rounds=${3:-3}
scenario=${4:-report}
db=${DB:-var/bench/large-100000.db}
patients=${PATIENTS:-100000}
bench_bin=${BENCH_BIN:-build/bench/kneecoach-bench}
[ -f "$db" ] || { echo "bench-ab: no $db (scripts/bench.sh --seed makes it)"; exit 1; }
work=$(mktemp -d)
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

# The cpu line of /proc/stat: busy and idle ticks, and steal.
cpu_ticks() {
  awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6, $9 }' /proc/stat
}

source scripts/bench-server.sh

run_once() {
  local label=$1 log=$work/server.log
  start_bench_server "$2" "$db" "$work/run.db" "$log" 2>/dev/null
  local cpu0 server0 row cpu1 server1
  read -r -a cpu0 <<<"$(cpu_ticks)"
  server0=$(awk '{ print $14 + $15 }' "/proc/$server_pid/stat")
  row=$("$bench_bin" --target="127.0.0.1:$port" --server_pid="$server_pid" --token="$token" \
          --programs="$patients" --duration="${DURATION:-10s}" --warmup="${WARMUP:-2s}" \
          --scenarios="$scenario" ${BENCH_FLAGS:-} 2>/dev/null | grep -E "^\| $scenario ")
  read -r -a cpu1 <<<"$(cpu_ticks)"
  server1=$(awk '{ print $14 + $15 }' "/proc/$server_pid/stat")
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  local rps p50 p99
  read -r rps p50 p99 <<<"$(echo "$row" | awk -F'|' '{ print $3 + 0, $4 + 0, $5 + 0 }')"
  local busy=$((cpu1[0] - cpu0[0])) idle=$((cpu1[1] - cpu0[1])) steal=$((cpu1[2] - cpu0[2]))
  local seconds=${DURATION:-10s}
  awk -v label="$label" -v rps="$rps" -v p50="$p50" -v p99="$p99" -v busy="$busy" \
      -v idle="$idle" -v steal="$steal" -v server=$((server1 - server0)) \
      -v hz="$(getconf CLK_TCK)" -v seconds="${seconds%s}" -v warmup="${WARMUP:-2s}" '
    /^kneecoach-server: [0-9]+ commits/ { commits = $2 }
    /^kneecoach-server: writer pages:/ { written = $8; read_ = $6 }
    /^kneecoach-server: writer held/ { held = $4; holds = $8 }
    END {
      total = busy + idle
      requests = rps * (seconds + warmup)
      printf "| %-4s | %8.0f | %6.2f | %7.2f | %4.0f%% | %5d | %9.0f | %9.1f | %9.1f | %7.0f |\n",
        label, rps, p50, p99, (total > 0 ? 100 * busy / total : 0), steal,
        (requests > 0 ? server * 1e6 / hz / requests : 0),
        (commits > 0 ? written / commits : 0), (commits > 0 ? read_ / commits : 0),
        (holds > 0 ? held * 1000 / holds : 0)
    }' "$log"
}

echo "bench-ab: $scenario, ${DURATION:-10s} after ${WARMUP:-2s} of warm-up, $rounds rounds on $db"
echo "  A = ${servers[0]}"
echo "  B = ${servers[1]}"
echo "| run  |    req/s | p50 ms |  p99 ms |  busy | steal | server µs | pages w/c | pages r/c | µs/hold |"
echo "|------|----------|--------|---------|-------|-------|-----------|-----------|-----------|---------|"
for round in $(seq "$rounds"); do
  run_once "A$round" "${servers[0]}"
  run_once "B$round" "${servers[1]}"
done
