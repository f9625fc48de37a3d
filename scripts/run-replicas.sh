#!/usr/bin/env bash
# Tries kneecoach's distributed set-up on one machine: a throwaway PostgreSQL 15 cluster,
# two kneecoach-server replicas on it (127.0.0.1:50061 and 127.0.0.1:50062) seeded as the
# quick start is (the demo clinic's tokens in var/demo-credentials), and the web app's gateway
# on http://127.0.0.1:8080 sending each call to the replicas in turn. Ctrl-C stops all of it
# and removes the cluster (nothing is kept: it is for trying, not for keeping data).
#
#   scripts/run-replicas.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --replicas
scripts/build.sh kneecoach-server kneecoach
(cd clients/mobile && npm run build >/dev/null)
mkdir -p var

# Runs inside tests/pg/pg_cluster.sh, which started the cluster and exported its DSN.
up() {
  local dsn=$KNEECOACH_TEST_PG_DSN
  pids=()  # global: the EXIT trap runs after this function has returned
  trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
  trap 'exit 0' INT TERM
  build/service/kneecoach-server --store="$dsn" --listen=127.0.0.1:50061 --seed_demo \
    --demo_credentials=var/demo-credentials &
  pids+=($!)
  # The first replica migrated the schema and seeded the demo clinic; then the second.
  for _ in $(seq 300); do [ -s var/demo-credentials ] && break; sleep 0.1; done
  build/service/kneecoach-server --store="$dsn" --listen=127.0.0.1:50062 &
  pids+=($!)
  node clients/mobile/gateway/server.mjs --port=8080 \
    --backend=127.0.0.1:50061,127.0.0.1:50062 &
  pids+=($!)
  sleep 1
  cat <<TXT

kneecoach runs as two replicas on one PostgreSQL database:
  replica A  127.0.0.1:50061      replica B  127.0.0.1:50062
  web app    http://127.0.0.1:8080 (the gateway sends each call to A and B in turn)
In another terminal, write through one replica and read through the other:
  export KNEECOACH_TOKEN=\$(awk '/^physio /{print \$2}' var/demo-credentials)
  program=\$(awk '/^program /{print \$2}' var/demo-credentials)
  build/clients/cli/kneecoach --server=127.0.0.1:50061 today \$program
  build/clients/cli/kneecoach --server=127.0.0.1:50062 today \$program
Ctrl-C stops both replicas and the gateway and removes the database cluster.
TXT
  wait -n "${pids[@]}"
}
export -f up
exec tests/pg/pg_cluster.sh bash -c up
