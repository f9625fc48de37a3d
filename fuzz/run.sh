#!/usr/bin/env bash
# The libFuzzer target (fuzz/request_fuzzer.cc) with ASan, built with clang++ in build-fuzz/
# unless FUZZER names a built binary (the main build makes one: build/fuzz-clang/).
#   fuzz/run.sh [SECONDS]   fuzz from fuzz/corpus/ for SECONDS (default 60), seed 1; a crash,
#                           timeout or leak fails the run and its input is copied into
#                           fuzz/regressions/: commit it there with the fix.
#   fuzz/run.sh --replay    run every input of fuzz/regressions/ and fuzz/corpus/ once
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
. "$here/fuzzer.sh"

inputs() { find "$here/regressions" "$here/corpus" -type f ! -name '*.md' | sort; }

if [ "${1:-}" = --replay ]; then
  mapfile -t files < <(inputs)
  echo "fuzz: replaying ${#files[@]} inputs"
  status=0
  log=$("$FUZZER" -timeout=10 "${files[@]}" 2>&1) || status=$?
  echo "$log" | grep -vE '^(Running|Executed)' | tail -n 40
  [ $status -eq 0 ] && echo "fuzz: every input ran clean"
  exit $status
fi

seconds=${1:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
status=0
"$FUZZER" -seed=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$here/corpus" \
  >"$work/log" 2>&1 || status=$?
tail -n 40 "$work/log"
if [ $status -ne 0 ]; then
  keep_artifacts "$work"
  exit $status
fi
echo "fuzz: ${seconds}s without a crash"
