#!/usr/bin/env bash
# Fails (and names the files) when a tracked C++ file is not formatted as .clang-format says.
# Run by CTest as `format_check`; fix with: scripts/check-format.sh --fix
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "clang-format missing: apt-get install clang-format" >&2; exit 1; }
mapfile -t files < <(git ls-files '*.cc' '*.h' '*.cpp' 2>/dev/null || find service clients tests bench fuzz tools -name '*.cc' -o -name '*.h' -o -name '*.cpp')
if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
# One clang-format for every file (one process per file is slow on a loaded machine); each
# difference is reported as "FILE:LINE:COL: error: code should be clang-formatted".
if ! out=$(clang-format --dry-run --Werror "${files[@]}" 2>&1); then
  printf 'not formatted (scripts/check-format.sh --fix):\n' >&2
  printf '%s\n' "$out" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error:.*/  \1/p' | sort -u >&2
  exit 1
fi
echo "format_check: ${#files[@]} files formatted as .clang-format says"
