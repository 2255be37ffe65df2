#!/usr/bin/env bash
# Sets up (if needed) and runs every test: generated code is current and buf
# lint passes, the TypeScript type-checks, vitest (kernel, tools, domains, and
# the cross-hosting tests against the real sidecar and wasm module), go test for
# the Go SDK, sidecars and conformance probe, cargo test for the Rust SDK, Rust
# sidecars, wasm plugin crates and conformance probe.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/node-env.sh

echo "→ generated code is current (buf generate) and buf lint passes"
bash scripts/check-gen.sh
echo "→ tsc --noEmit (and the dashboard's own, for the browser: dashboard/tsconfig.json)"
npx tsc --noEmit
npx tsc --noEmit -p dashboard
echo "→ vitest"
npx vitest run --reporter=default --reporter=json --outputFile=.tools/vitest-report.json
echo "→ go test (sdk/go, sidecars, the parity fixture)"
(cd sdk/go && go vet ./... && go test ./...)
for d in sidecars/*/ test/fixtures/parity/sidecars/*/ test/conformance/probes/go/; do
  if [ -f "$d/go.mod" ]; then (cd "$d" && go vet ./... && go test ./...); fi
done
echo "→ cargo test (sdk/rust, Rust sidecars, wasm plugin crates on the host)"
(cd sdk/rust && cargo test --quiet)
# Sidecar crates share sdk/rust's target directory: the same dependencies in the
# same profile, so tonic and tokio compile once for both.
for d in sidecars/*/; do
  if [ -f "$d/Cargo.toml" ]; then (export CARGO_TARGET_DIR="$PWD/sdk/rust/target" && cd "$d" && cargo test --quiet); fi
done
for d in wasm-plugins/*/ test/fixtures/parity/wasm-plugins/*/ test/conformance/probes/rust/; do
  if [ -f "$d/Cargo.toml" ]; then (cd "$d" && cargo test --quiet); fi
done
# The closing line CI reads: the vitest totals (go test and cargo test print their own above).
node -e 'const r = require("./.tools/vitest-report.json"); console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`)'
