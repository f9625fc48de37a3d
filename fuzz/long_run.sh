#!/usr/bin/env bash
# A long fuzzing run, outside CI: fuzz/long_run.sh [SECONDS] (default 3600).
# Keeps its corpus between runs in build-fuzz/long-corpus/ (seeded from fuzz/corpus/), so
# that each run goes on where the last stopped, and prints the figures of the run: time,
# inputs executed and per second, coverage (edges, features), corpus size and peak memory.
# A crash, hang, leak or out-of-memory is copied into fuzz/regressions/ (commit it with the
# fix) and fails the run. FUZZER names a built binary, else fuzz/run.sh's build is used.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
seconds=${1:-3600}
. "$here/fuzzer.sh"
corpus=${LONG_CORPUS:-$root/build-fuzz/long-corpus}
mkdir -p "$corpus"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
before=$(find "$corpus" -type f | wc -l)
status=0
"$FUZZER" -seed="${SEED:-0}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=8192 -print_final_stats=1 -artifact_prefix="$work/" "$corpus" "$here/corpus" \
  "$here/regressions" >"$work/log" 2>&1 || status=$?
stat() { sed -n "s/^stat::$1: *//p" "$work/log" | tail -n 1; }
last=$(grep -E '^#[0-9]+' "$work/log" | tail -n 1 || true)
echo "fuzz: long run of ${seconds}s, exit status $status"
echo "  inputs executed:   $(stat number_of_executed_units)"
echo "  per second:        $(stat average_exec_per_sec)"
echo "  coverage:          $(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last") edges," \
  "$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last") features"
echo "  corpus:            $before -> $(find "$corpus" -type f | wc -l) inputs in $corpus"
echo "  peak memory:       $(stat peak_rss_mb) MB"
echo "  new units added:   $(stat new_units_added)"
if [ $status -ne 0 ]; then
  tail -n 40 "$work/log"
  keep_artifacts "$work"
fi
exit $status
