#!/usr/bin/env bash
# End to end for the patient web app (clients/mobile): the real kneecoach-server, the real
# Connect gateway and headless Chromium (playwright-core), with the counts checked through
# the CLI. The work is in clients/mobile/test/e2e.mjs; this wrapper only finds node and the
# npm packages, and skips (exit 77, CTest SKIP_RETURN_CODE) when those are not installed
# (scripts/setup.sh --test installs them, so CI never skips).
#
#   tests/e2e/mobile_e2e.sh SERVER_BIN CLI_BIN        (ctest: e2e_mobile)
#   tests/e2e/mobile_e2e.sh --unit                    (ctest: mobile_gateway; the gateway's
#                                                      unit tests, node --test)
set -euo pipefail

if [[ $# -ne 2 && "${1:-}" != "--unit" ]]; then
  echo "usage: $0 SERVER_BIN CLI_BIN | --unit" >&2
  exit 2
fi
MOBILE="$(cd "$(dirname "$0")/../../clients/mobile" && pwd)"

if ! command -v node >/dev/null 2>&1 || [[ ! -d "$MOBILE/node_modules/playwright-core" ]]; then
  echo "SKIP: clients/mobile/node_modules is not installed (run scripts/setup.sh --test," \
    "or npm ci in clients/mobile)"
  exit 77
fi
if [[ "$1" == "--unit" ]]; then
  exec node --test "$MOBILE/test/gateway.test.mjs"
fi
exec node "$MOBILE/test/e2e.mjs" "$1" "$2"
