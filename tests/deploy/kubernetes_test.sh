#!/usr/bin/env bash
# deploy/kubernetes offline (CTest deploy_kubernetes): checks that what the test needs is
# there, naming what to install when it is not (a skipped test proves nothing), then runs
# kubernetes.test.mjs with Node's test runner.
#   tests/deploy/kubernetes_test.sh [REPO_ROOT]
# kubectl renders the base (`kubectl kustomize`): any kubectl from 1.20 (Debian 12's
# kubernetes-client, kustomize v2.0.3) to today's renders it alike. KUBECTL overrides the path.
set -euo pipefail
root=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
here="$root/tests/deploy"
kubectl=${KUBECTL:-kubectl}
command -v "$kubectl" >/dev/null 2>&1 || {
  echo "FAIL: kubectl not found: install Debian's kubernetes-client" \
    "(apt-get install kubernetes-client; scripts/setup.sh --test does)" >&2
  exit 1
}
command -v node >/dev/null 2>&1 || { echo "FAIL: node not found: install Node 20" >&2; exit 1; }
[ -f "$here/node_modules/kubernetes-models/package.json" ] &&
  [ -f "$here/node_modules/yaml/package.json" ] || {
  echo "FAIL: tests/deploy/node_modules is missing: run (cd tests/deploy && npm ci)" \
    "(scripts/setup.sh --test does)" >&2
  exit 1
}
export KUBECTL="$kubectl"
echo "deploy_kubernetes: $("$kubectl" version --client 2>/dev/null | head -1)"
exec node --test "$here/kubernetes.test.mjs"
