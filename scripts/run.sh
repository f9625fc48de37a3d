#!/usr/bin/env bash
# The quick start: installs what is missing, builds, and runs kneecoach-server on
# 127.0.0.1:50051 with its embedded SQLite database (var/kneecoach.db), seeded with the
# exercise library, the default protocol and a demo patient and program. Ctrl-C stops it.
# Extra arguments go to kneecoach-server (e.g. --listen=127.0.0.1:6000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The desktop client is required: without its Qt packages the configure step names them.
scripts/build.sh kneecoach-server kneecoach kneecoach-desktop
cat <<'TXT'

kneecoach is starting. In another terminal, sign in as the demo physiotherapist
(tokens for admin, physio and patient are in var/demo-credentials) and try:
  export KNEECOACH_TOKEN=$(awk '/^physio /{print $2}' var/demo-credentials)
  build/clients/cli/kneecoach exercises list --category=isometric
  build/clients/cli/kneecoach patients list
  build/clients/cli/kneecoach today $(awk '/^program /{print $2}' var/demo-credentials)
  build/clients/cli/kneecoach --help
  build/clients/desktop/kneecoach-desktop        # the physiotherapist's window

TXT
exec build/service/kneecoach-server --seed_demo --db=var/kneecoach.db "$@"
