#!/usr/bin/env bash
# Fails when the committed generated code differs from what `buf generate`
# makes from proto/ now, or when buf lint finds a problem.
set -euo pipefail
cd "$(dirname "$0")/.."
npx buf lint
npx buf generate
changed=$(git status --porcelain -- proto/gen sdk/go/gen)
if [ -n "$changed" ]; then
  echo "generated code is stale: run 'npm run gen' and commit the result:" >&2
  echo "$changed" >&2
  exit 1
fi
