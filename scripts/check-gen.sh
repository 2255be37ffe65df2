#!/usr/bin/env bash
# Fails when the generated code on disk differs from what `npm run gen` (buf
# generate, the service registry) makes from proto/ now, or when buf lint finds
# a problem. On a clean checkout what is on disk is what is committed; after
# `microcore add` it is what add generated.
set -euo pipefail
cd "$(dirname "$0")/.."
snapshot() { find proto/gen sdk/go/gen -type f | sort | xargs sha256sum; }
before=$(snapshot)
npx buf lint
npx buf generate
node --disable-warning=ExperimentalWarning scripts/gen-services.ts
after=$(snapshot)
if [ "$before" != "$after" ]; then
  echo "generated code is stale: run 'npm run gen' and commit the result:" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
