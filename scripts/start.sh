#!/usr/bin/env bash
# Sets up (if needed) and runs the kernel with the example domains, the Go
# sidecar and the Rust wasm module. HTTP on $HTTP_PORT (default 5000). The test
# fixtures (test/fixtures/parity) are neither built nor booted.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-fixtures
source scripts/node-env.sh
exec node --disable-warning=ExperimentalWarning cli/main.ts start
