#!/usr/bin/env bash
# Every test: installs what is missing (build and test tools), builds everything, and runs
# the whole suite with CTest (unit, integration through a real server, end-to-end with the
# real server process and CLI, buf lint). The output ends with CTest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
scripts/build.sh
# The clients' end-to-end tests must run, not skip: the desktop client is built only when
# Qt 6 was found, and the web app's test skips without its npm packages.
[ -x build/clients/desktop/kneecoach-desktop ] ||
  { echo "test: the desktop client was not built (Qt 6 missing?)" >&2; exit 1; }
[ -d clients/mobile/node_modules ] ||
  { echo "test: clients/mobile/node_modules is missing (npm ci failed?)" >&2; exit 1; }
cd build
ctest --output-on-failure --timeout 600 -j "$(nproc)"
