#!/usr/bin/env bash
# The benchmark on PostgreSQL (scripts/bench.sh --postgres runs it): in one run on one
# machine, the same seeded database served by
#   - one replica on SQLite (the reference),
#   - one replica on PostgreSQL,
#   - two replicas on PostgreSQL behind client-side round robin (kneecoach-bench --target=A,B),
# for health, GetTodaySession and durable ReportSession: req/s, p50, p99, ratio to health.
# PostgreSQL 15 runs as a throwaway cluster (tests/pg/pg_cluster.sh) with its durable
# defaults (fsync on, synchronous_commit on). PATIENTS (10000) patients with 10 sessions each;
# DURATION (10s) per scenario after WARMUP (2s), ROUNDS (3) times, medians reported.
# SERVER_FLAGS pass on to every replica (e.g.
# --pg_connections=16); SETUPS picks some of "sqlite pg pg2" (all three by default).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
if [ "$build" = build ] && [ -z "${SERVER_BIN:-}" ]; then
  scripts/setup.sh --replicas >/dev/null
  scripts/build.sh kneecoach-server kneecoach-bench kneecoach-seed >/dev/null
fi
export SERVER_BIN=${SERVER_BIN:-$build/service/kneecoach-server}
export BENCH_BIN=${BENCH_BIN:-$build/bench/kneecoach-bench}
export SEED_BIN=${SEED_BIN:-$build/bench/kneecoach-seed}
export PATIENTS=${PATIENTS:-10000} DURATION=${DURATION:-10s} WARMUP=${WARMUP:-2s}
export DATA_DIR=${DATA_DIR:-data}
work=$(mktemp -d)
export WORK=$work
trap 'rm -rf "$work"' EXIT

run() {
  set -euo pipefail
  local dsn=$KNEECOACH_TEST_PG_DSN
  pids=()  # global: the EXIT trap runs after this function has returned
  trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
  echo "bench: seeding $PATIENTS patients into SQLite and into PostgreSQL..." >&2
  "$SEED_BIN" --db="$WORK/sqlite.db" --data_dir="$DATA_DIR" --patients="$PATIENTS" >&2
  "$SEED_BIN" --store="$dsn" --data_dir="$DATA_DIR" --patients="$PATIENTS" >&2
  token_of() {
    "$SERVER_BIN" --store="$1" --data_dir="$DATA_DIR" --bootstrap_admin="Bench Admin" \
      --bootstrap_clinic=bench 2>/dev/null | tail -n 1
  }
  local sqlite_token pg_token
  sqlite_token=$(token_of "sqlite:$WORK/sqlite.db")
  pg_token=$(token_of "$dsn")
  # start NAME STORE: a replica on 127.0.0.1, its port in port_NAME once it has prepared
  # today's plans.
  start() {
    local log=$WORK/$1.log
    "$SERVER_BIN" --store="$2" --data_dir="$DATA_DIR" --listen=127.0.0.1:0 ${SERVER_FLAGS:-} \
      >"$log" 2>&1 &
    pids+=($!)
    eval "pid_$1=$!"
    local p=""
    for _ in $(seq 600); do
      p=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")
      [ -n "$p" ] && grep -q "plans prepared" "$log" && break
      sleep 0.1
    done
    [ -n "$p" ] || { echo "bench: replica $1 did not start:" >&2; cat "$log" >&2; exit 1; }
    eval "port_$1=$p"
  }
  start sqlite "sqlite:$WORK/sqlite.db"
  start a "$dsn"
  start b "$dsn"
  local rounds=${ROUNDS:-3}
  echo "machine: $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg);" \
    "$(date -u +%Y-%m-%dT%H:%MZ); $PATIENTS patients, 10 sessions each; $DURATION per" \
    "scenario, $rounds rounds"
  # This machine's speed drifts by tens of percent within minutes, so each figure is the
  # median of ROUNDS short runs, interleaved across setups, with their range; "vs health"
  # is the median of each round's today (or report) over the health run just before it.
  # Every round's reads (health, today) are measured before any setup's reports: a report
  # makes every replica drop its program's plan (the change feed), so a today measured after
  # reports would mostly measure re-planning, not plans served from memory.
  local samples=$WORK/samples
  : >"$samples"
  declare -A health
  measure() {  # KEY TARGET TOKEN SCENARIOS
    local out
    out=$("$BENCH_BIN" --target="$2" --token="$3" --programs="$PATIENTS" \
      --duration="$DURATION" --warmup="$WARMUP" --scenarios="$4" ${BENCH_FLAGS:-} \
      2>/dev/null)
    if [[ $4 == health,* ]]; then
      health[$1]=$(echo "$out" | awk -F'|' '$2 ~ /^ health/ { print $3 + 0 }')
    fi
    echo "$out" | awk -F'|' -v key="$1" -v health="${health[$1]:-0}" '
      $2 ~ /^ (health|today|report) / {
        name = $2; gsub(/^ +| +$/, "", name); rps = $3 + 0
        printf "%s %s %.0f %.2f %.2f %.1f\n", key, name, rps, $4 + 0, $5 + 0,
               (health > 0 ? 100 * rps / health : 0)
      }' >>"$samples"
  }
  local setups=" ${SETUPS:-sqlite pg pg2} " scenarios round
  for scenarios in health,today report; do
    for round in $(seq "$rounds"); do
      if [[ $setups == *" sqlite "* ]]; then
        measure sqlite "127.0.0.1:$port_sqlite" "$sqlite_token" "$scenarios"
      fi
      if [[ $setups == *" pg "* ]]; then
        measure pg "127.0.0.1:$port_a" "$pg_token" "$scenarios"
      fi
      if [[ $setups == *" pg2 "* ]]; then
        measure pg2 "127.0.0.1:$port_a,127.0.0.1:$port_b" "$pg_token" "$scenarios"
      fi
    done
  done
  echo "| setup | scenario | req/s | p50 ms | p99 ms | vs health | req/s range |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  local key label scenario
  for key in sqlite pg pg2; do
    case $key in
      sqlite) label="1 replica, SQLite" ;;
      pg) label="1 replica, PostgreSQL" ;;
      pg2) label="2 replicas, PostgreSQL, round robin" ;;
    esac
    for scenario in health today report; do
      # Median of each column over the rounds (the middle one; the upper middle if even).
      awk -v key="$key" -v scenario="$scenario" '$1 == key && $2 == scenario' "$samples" |
        awk -v label="$label" -v scenario="$scenario" '
          function median(col,   i, j, t, v) {
            for (i = 1; i <= n; i++) v[i] = row[i, col]
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
            return v[int(n / 2) + 1]
          }
          { n++; for (c = 3; c <= 6; c++) row[n, c] = $c + 0
            if (n == 1 || $3 < lo) lo = $3 + 0
            if (n == 1 || $3 > hi) hi = $3 + 0 }
          END { if (n > 0) printf "| %s | %s | %.0f | %.2f | %.2f | %.0f%% | %.0f-%.0f |\n",
                  label, scenario, median(3), median(4), median(5), median(6), lo, hi }'
    done
  done
  for name in sqlite a b; do
    eval "pid=\$pid_$name"
    echo "replica $name peak memory: $(awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' /proc/$pid/status)"
  done
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}
export -f run
KNEECOACH_PG_DURABLE=1 tests/pg/pg_cluster.sh bash -c run
