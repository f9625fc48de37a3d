#!/usr/bin/env bash
# Smoke run of the benchmark (a few seconds): scripts/bench.sh --smoke with the built
# binaries on tiny databases, checking that it prints the table with ratios, the server's
# memory and the database-size comparison, with no errors. The numbers are not judged here.
#   bench_smoke.sh SERVER_BIN SEED_BIN BENCH_BIN
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
SERVER_BIN=$1 SEED_BIN=$2 BENCH_BIN=$3 VAR_DIR=$dir \
  bash "$(dirname "$0")/../../scripts/bench.sh" --smoke 2>&1 | tee "$dir/out.txt"
for want in "| health " "| today " "| library " "| report " "| peak " "| peak-half@" \
            "vs health" "server memory: peak" "p50 large/small at 1 stream"; do
  grep -qF -- "$want" "$dir/out.txt" || { echo "bench_smoke: missing '$want'"; exit 1; }
done
if awk -F'|' '/^\| (health|today|library|report|peak)/ { if ($8 + 0 > 0) bad = 1 } END { exit !bad }' \
     "$dir/out.txt"; then
  echo "bench_smoke: a scenario had errors"
  exit 1
fi
echo "bench_smoke: ok"
