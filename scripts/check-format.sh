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
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  printf 'not formatted (scripts/check-format.sh --fix):\n' >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "format_check: ${#files[@]} files formatted as .clang-format says"
