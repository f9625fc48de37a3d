#!/usr/bin/env bash
# buf lint (STANDARD rules, proto/buf.yaml) with buf from npm (tools/buf, installed by
# scripts/setup.sh). Fails if buf is missing: a lint that silently does not run is no lint.
set -euo pipefail
root="$1"
buf="$root/tools/buf/node_modules/.bin/buf"
if [ ! -x "$buf" ]; then
  echo "buf not installed: run scripts/setup.sh (npm ci in tools/buf)" >&2
  exit 1
fi
cd "$root/proto"
"$buf" lint
echo "buf lint: $("$buf" ls-files | wc -l) files clean"
