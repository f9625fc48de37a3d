#!/usr/bin/env bash
# Configures and builds kneecoach into build/: the targets given as arguments, or
# everything. Arguments starting with -D are CMake options for the configure step.
# The desktop client is required (KNEECOACH_REQUIRE_CLIENTS): without its Qt 6 packages the
# configure step fails and names them (scripts/setup.sh installs them), never a silent skip.
set -euo pipefail
cd "$(dirname "$0")/.."
options=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DKNEECOACH_REQUIRE_CLIENTS=ON
  -DKNEECOACH_REQUIRE_TEST_TOOLS=OFF)
targets=()
for arg in "$@"; do
  case $arg in
    -D*) options+=("$arg") ;;
    *) targets+=("$arg") ;;
  esac
done
cmake -S . -B build "${options[@]}" >/dev/null
if [ ${#targets[@]} -gt 0 ]; then
  cmake --build build -j "$(nproc)" --target "${targets[@]}"
else
  cmake --build build -j "$(nproc)"
fi
