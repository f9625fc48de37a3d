#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL 15 cluster, then stops and removes the cluster
# whatever the command's outcome.
#
#   tests/pg/pg_cluster.sh COMMAND [ARG...]
#
# The cluster lives in a fresh temporary directory, listens on a unix socket there only (no
# TCP), trusts local connections, and is owned by the `postgres` user when run as root (CI
# runs as root; initdb refuses to). The command gets:
#   KNEECOACH_TEST_PG_DSN  postgresql:// URI of database `kneecoach` (user `kneecoach`, a
#                          superuser: tests create databases of their own);
#   PGHOST, PGPORT, PGUSER, PGDATABASE  the same for psql and libpq defaults.
# Missing PostgreSQL binaries are a failure (exit 1) naming the package, never a skip.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi

pg_bin=${KNEECOACH_PG_BIN:-/usr/lib/postgresql/15/bin}
for tool in initdb pg_ctl postgres; do
  if [[ ! -x "$pg_bin/$tool" ]]; then
    echo "pg_cluster: $pg_bin/$tool not found: install the Debian package postgresql-15" \
      "(scripts/setup.sh installs it)" >&2
    exit 1
  fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/kneecoach-pg.XXXXXX")
chmod 755 "$dir"
as_owner=()
if [[ $(id -u) -eq 0 ]]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "pg_cluster: running as root needs the postgres user (Debian package postgresql-15)" >&2
    rmdir "$dir"
    exit 1
  fi
  chown postgres: "$dir"
  as_owner=(runuser -u postgres --)
fi
port=5432
data="$dir/data"
log="$dir/server.log"

cleanup() {
  local status=$?
  if [[ -f "$data/postmaster.pid" ]]; then
    "${as_owner[@]}" "$pg_bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [[ $status -ne 0 && -f "$log" ]]; then
    echo "pg_cluster: last lines of the PostgreSQL log:" >&2
    tail -n 20 "$log" >&2 || true
  fi
  rm -rf "$dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${as_owner[@]}" "$pg_bin/initdb" -D "$data" -U kneecoach --auth=trust --encoding=UTF8 \
  --locale=C.UTF-8 --no-instructions >"$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2
  exit 1
}
# fsync off: the cluster is thrown away; the tests check behaviour, not the disk. The store
# itself runs with synchronous_commit on, as in production. KNEECOACH_PG_DURABLE=1 (the
# benchmark) keeps PostgreSQL's durable defaults and gives it production-like memory.
settings="-c fsync=off -c full_page_writes=off -c shared_buffers=32MB"
if [[ "${KNEECOACH_PG_DURABLE:-0}" == 1 ]]; then
  settings="-c shared_buffers=1GB -c effective_cache_size=4GB -c max_wal_size=4GB"
fi
# KNEECOACH_PG_SETTINGS adds server settings (e.g. "-c shared_preload_libraries=pg_stat_statements").
settings="$settings ${KNEECOACH_PG_SETTINGS:-}"
"${as_owner[@]}" "$pg_bin/pg_ctl" -D "$data" -l "$log" -w -t 60 \
  -o "-k $dir -p $port -c listen_addresses='' -c max_connections=300 $settings" \
  start >/dev/null

"${as_owner[@]}" "$pg_bin/psql" -h "$dir" -p "$port" -U kneecoach -d postgres -v ON_ERROR_STOP=1 \
  -qc "CREATE DATABASE kneecoach" >/dev/null

export PGHOST="$dir" PGPORT="$port" PGUSER=kneecoach PGDATABASE=kneecoach
export KNEECOACH_TEST_PG_DSN="postgresql:///kneecoach?host=$dir&port=$port&user=kneecoach"
export KNEECOACH_PG_BIN="$pg_bin"
"$@"
