#!/usr/bin/env bash
# Every test: installs what is missing (build and test tools), builds everything, and runs
# the whole suite with CTest (unit, integration through a real server, end-to-end with the
# real server process and CLI, buf lint). The output ends with CTest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
# A missing Qt 6 or clang package fails the configure step, naming the packages.
scripts/build.sh -DKNEECOACH_REQUIRE_TEST_TOOLS=ON
# The clients' end-to-end tests must run, not skip: the web app's test skips without its
# npm packages.
[ -d clients/mobile/node_modules ] ||
  { echo "test: clients/mobile/node_modules is missing (npm ci failed?)" >&2; exit 1; }
[ -d tests/deploy/node_modules ] ||
  { echo "test: tests/deploy/node_modules is missing (npm ci failed?)" >&2; exit 1; }
cd build
ctest --output-on-failure --timeout 600 -j "$(nproc)"
