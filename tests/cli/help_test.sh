#!/usr/bin/env bash
# `--help` on every binary of the project lists the flags its source defines, each with its
# default. Arguments: pairs BINARY SOURCE...; SOURCE is the file defining the binary's flags
# (ABSL_FLAG). The expected flags are read from the source, not listed here, so a flag added
# later is checked too. The CLI (`kneecoach`) prints its own help: there each flag must be
# listed, its defaults are in words.
#
#   tests/cli/help_test.sh BIN1 SRC1 [BIN2 SRC2 ...]        (ctest: help_lists_flags)
set -euo pipefail
if [[ $# -lt 2 || $(($# % 2)) -ne 0 ]]; then
  echo "usage: $0 BINARY SOURCE [BINARY SOURCE ...]" >&2
  exit 2
fi
failures=0
checked=0
while [[ $# -gt 0 ]]; do
  bin=$1 src=$2
  shift 2
  name=$(basename "$bin")
  mapfile -t flags < <(grep -ozP 'ABSL_FLAG\(\s*[\w:<>]+\s*,\s*\K\w+' "$src" | tr '\0' '\n')
  if [[ ${#flags[@]} -eq 0 ]]; then
    echo "FAIL $name: no ABSL_FLAG found in $src" >&2
    failures=$((failures + 1))
    continue
  fi
  rc=0
  out=$("$bin" --help 2>&1) || rc=$?
  # Abseil ends --help with exit code 1; anything else (a crash, a start) is a failure.
  if [[ $rc -ne 0 && $rc -ne 1 ]]; then
    echo "FAIL $name --help exited $rc" >&2
    failures=$((failures + 1))
    continue
  fi
  if grep -q "No flags matched" <<<"$out"; then
    echo "FAIL $name --help: \"No flags matched\"" >&2
    failures=$((failures + 1))
    continue
  fi
  # Abseil prints "--flag (help text); default: value;" with the help text possibly wrapped
  # over several lines: join the output, then look for each flag and a default after it.
  joined=$(tr '\n' ' ' <<<"$out")
  for flag in "${flags[@]}"; do
    if [[ $name == kneecoach ]]; then
      # The CLI writes its own help: global flags with dashes, defaults in words.
      if ! grep -qE -- "--(${flag}|${flag//_/-})[= ]" <<<"$joined"; then
        echo "FAIL $name --help does not list --$flag" >&2
        failures=$((failures + 1))
      fi
    elif ! grep -qP -- "--${flag} \(.*?\); default: " <<<"$joined"; then
      echo "FAIL $name --help does not list --$flag with its default" >&2
      failures=$((failures + 1))
    fi
    checked=$((checked + 1))
  done
  echo "ok $name --help: ${#flags[@]} flags with defaults"
done
echo "$checked flags checked, $failures failures"
[[ $failures -eq 0 ]]
