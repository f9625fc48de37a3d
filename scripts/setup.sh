#!/usr/bin/env bash
# Installs what kneecoach needs on Debian 12, skipping whatever is already there.
#   scripts/setup.sh          build and run dependencies
#   scripts/setup.sh --test   also the test tools (buf from npm, Python gRPC for the example,
#                             Chromium and clients/mobile's npm packages for the web app)
#   scripts/setup.sh --replicas  what scripts/run-replicas.sh needs besides the build:
#                             PostgreSQL 15, Node 20 and the web app's npm packages
# apt runs as root, or through sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config tzdata
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libsqlitecpp-dev libsqlite3-dev libgtest-dev libgmock-dev libssl-dev zlib1g-dev
  libpq-dev)
# libpq-dev: the server links libpq for its PostgreSQL store (--store=postgresql://...), so the
# plain build needs it; the PostgreSQL server itself is only needed by the tests (below).
# --- desktop client (clients/desktop, kneecoach-desktop) and its end-to-end test ----------
# Qt 6 Widgets, Charts and Test. apt runs with --no-install-recommends, so every package is
# named: Qt6Charts' CMake config needs Qt6OpenGL, which is in libqt6opengl6-dev (only a
# "Recommends" of qt6-base-dev). scripts/build.sh fails the configure step without them.
packages+=(qt6-base-dev qt6-charts-dev libqt6opengl6-dev)
# --- end desktop client ----------------------------------------------------------------------
with_tests=0
with_web=0
if [ "${1:-}" = "--replicas" ]; then
  with_web=1
  packages+=(postgresql-15)
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
fi
if [ "${1:-}" = "--test" ]; then
  with_web=1
  with_tests=1
  packages+=(python3 python3-grpcio python3-grpc-tools)
  # Commands the tests run that a minimal Debian may lack: openssl makes the TLS test's
  # certificate (tests/integration/access_test.cc), free (procps) is in the bench smoke run.
  packages+=(openssl procps)
  # The libFuzzer target (fuzz/): clang with its sanitizer and fuzzer runtimes.
  packages+=(clang libclang-rt-14-dev)
  # format_check (scripts/check-format.sh): the tree is formatted by Debian's clang-format 14.
  packages+=(clang-format)
  # Node 20 (clients/mobile's engines): Debian 12's own nodejs is 18, so it is installed
  # from Debian only where there is no node at all, and checked below.
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
  # deploy/'s offline tests: systemd-analyze (systemd) checks the units; kubectl renders the
  # Kubernetes base. Debian 12 packages kubectl as kubernetes-client (1.20, which renders the
  # base alike); a kubectl already installed from elsewhere is kept.
  packages+=(systemd)
  command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)
  # --- patient web app (clients/mobile): its end-to-end test drives Debian's Chromium ------
  # and dates one program back with the sqlite3 shell (the server has no clock to set).
  packages+=(chromium sqlite3)
  # --- end patient web app -------------------------------------------------------------------
  # PostgreSQL 15 for PostgresStore's tests: tests/pg/pg_cluster.sh starts throwaway clusters
  # with its initdb and pg_ctl (as the postgres user the package creates, when run as root).
  packages+=(postgresql-15)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ $with_web -eq 1 ]; then
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$node_major" -ge 20 ] || { echo "setup: node $(node --version) is too old: the web" \
    "app and its gateway need Node 20 or later (e.g. the nodesource node_20.x packages)" >&2
    exit 1; }
fi
if [ $with_tests -eq 1 ] && [ ! -x tools/buf/node_modules/.bin/buf ]; then
  echo "setup: installing buf (npm, pinned in tools/buf/package-lock.json)"
  (cd tools/buf && npm ci --no-audit --no-fund --loglevel=error)
fi
# --- patient web app (clients/mobile): gateway, app build and e2e test packages -----------
# Pinned in clients/mobile/package-lock.json; installed again when the lock file is newer
# than the installed tree (npm writes node_modules/.package-lock.json).
if [ $with_web -eq 1 ] && { [ ! -f clients/mobile/node_modules/.package-lock.json ] ||
  [ clients/mobile/package-lock.json -nt clients/mobile/node_modules/.package-lock.json ]; }; then
  echo "setup: installing the web app's npm packages (pinned in clients/mobile/package-lock.json)"
  (cd clients/mobile && npm ci --no-audit --no-fund --loglevel=error)
fi
# --- end patient web app -------------------------------------------------------------------
# deploy_kubernetes' schema package (kubernetes-models), pinned in tests/deploy/package-lock.json.
if [ $with_tests -eq 1 ] && { [ ! -f tests/deploy/node_modules/.package-lock.json ] ||
  [ tests/deploy/package-lock.json -nt tests/deploy/node_modules/.package-lock.json ]; }; then
  echo "setup: installing deploy tests' npm packages (pinned in tests/deploy/package-lock.json)"
  (cd tests/deploy && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup: ok"
