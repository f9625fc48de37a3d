#!/usr/bin/env bash
# Smoke run of the benchmark (a few seconds): scripts/bench.sh --smoke with the built
# binaries on tiny databases, checking that it prints the table with ratios, the server's
# memory, pages per commit, WAL restarts, the writer's holds and the database-size
# comparison, with no errors; then scripts/bench-ab.sh on the same database; then
# kneecoach-layout-probe on a small scratch database, checking that each layout writes more
# pages per report than the one before. Rates are not judged here.
#   bench_smoke.sh SERVER_BIN SEED_BIN BENCH_BIN LAYOUT_PROBE_BIN
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
SERVER_BIN=$1 SEED_BIN=$2 BENCH_BIN=$3 VAR_DIR=$dir \
  bash "$(dirname "$0")/../../scripts/bench.sh" --smoke 2>&1 | tee "$dir/out.txt"
for want in "| health " "| today " "| library " "| report " "| peak " "| peak-half@" \
            "vs health" "server memory: peak" "writer pages per commit:" "WAL restarts:" "writer held:" \
            "p50 large/small at 1 stream"; do
  grep -qF -- "$want" "$dir/out.txt" || { echo "bench_smoke: missing '$want'"; exit 1; }
done
if awk -F'|' '/^\| (health|today|library|report|peak)/ { if ($8 + 0 > 0) bad = 1 } END { exit !bad }' \
     "$dir/out.txt"; then
  echo "bench_smoke: a scenario had errors"
  exit 1
fi

# The A/B script on the smoke database, the same build on both sides: a row per run.
DB="$dir/large-50.db" PATIENTS=50 DURATION=0.3s WARMUP=0.1s BENCH_BIN=$3 \
  BENCH_FLAGS="--streams=4 --connections=1" \
  bash "$(dirname "$0")/../../scripts/bench-ab.sh" "$1" "$1" 1 report | tee "$dir/ab.txt"
awk -F'|' '/^\| [AB]1 / { if ($3 + 0 > 0 && $9 + 0 > 0) good++ } END { exit good != 2 }' \
  "$dir/ab.txt" || { echo "bench_smoke: bench-ab.sh did not print two runs with rates"; exit 1; }

"$4" --db="$dir/layout.db" --programs=2000 --reports=512 --batch=64 | tee "$dir/layout.txt"
[ ! -e "$dir/layout.db" ] || { echo "bench_smoke: the layout probe left its database"; exit 1; }
# Pages written per report, one row per layout: about 1, then one more for each B-tree
# written at a random place (less than one with few programs: a batch shares some pages).
awk -F'|' '/^\| append/ { pages[++n] = $5 + 0 }
  END { exit !(n == 3 && pages[1] >= 0.9 && pages[1] < 1.5 &&
               pages[2] > pages[1] + 0.5 && pages[3] > pages[2] + 0.3) }' "$dir/layout.txt" ||
  { echo "bench_smoke: layout probe pages per report out of order"; exit 1; }
echo "bench_smoke: ok"
