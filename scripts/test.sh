#!/usr/bin/env bash
# Every test: installs what is missing (build and test tools), builds everything, and runs
# the whole suite with CTest (unit, integration through a real server, end-to-end with the
# real server process and CLI, buf lint). The output ends with CTest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
scripts/build.sh
cd build
ctest --output-on-failure --timeout 600 -j "$(nproc)"
