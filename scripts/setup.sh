#!/usr/bin/env bash
# Sets up everything MicroCore needs on a fresh machine, then builds the
# sidecars and wasm modules: Node 24, the npm packages, the Go code generators,
# the Rust-to-wasm toolchain and what Rust sidecars need, and the dashboard's
# bundle. Safe to run again: it only does what is missing.
#
#   scripts/setup.sh                 the example app, then the test fixtures (test/fixtures/parity)
#                                    and what the tests need (nats-server, PostgreSQL, Chromium)
#   scripts/setup.sh --no-fixtures   the example app only (scripts/start.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures=1
case "${1:-}" in
  "") ;;
  --no-fixtures) fixtures=0 ;;
  *) echo "usage: scripts/setup.sh [--no-fixtures]" >&2; exit 2 ;;
esac
source scripts/node-env.sh

need() { # need <command> <what it is for> <how to get it>
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "MicroCore needs '$1' ($2) and it is not on PATH. $3" >&2
  exit 1
}

echo "→ node $(node --version), npm $(npm --version)"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

need go "the Go SDK and sidecars" "Install Go 1.24 or newer (https://go.dev/dl) and retry."
mkdir -p .tools/bin
# Pinned: the generated Go files record these versions in their headers.
[ -x .tools/bin/protoc-gen-go ] || GOBIN="$PWD/.tools/bin" go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
[ -x .tools/bin/protoc-gen-go-grpc ] || GOBIN="$PWD/.tools/bin" go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1

need cargo "the Rust SDK, wasm modules and Rust sidecars" "Install Rust with rustup (https://rustup.rs) and retry."
# Rust to wasm32: a rustup wasm32 target when there is one; otherwise Debian's
# rustc-web toolchain with -Zbuild-std (scripts/build-rust-wasm.sh picks), and
# protoc for prost. Install the Debian pieces when we can (root with apt).
debian_pkgs=()
rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$' || {
  [ -x /usr/bin/cargo ] && [ -d "$(/usr/bin/rustc --print sysroot 2>/dev/null)/lib/rustlib/src/rust/library/std" ] && command -v rust-lld >/dev/null 2>&1 ||
    debian_pkgs+=(rustc-web cargo-web rust-web-src lld-22)
}
command -v protoc >/dev/null 2>&1 || debian_pkgs+=(protobuf-compiler)
# Rust sidecars (sdk/rust's gRPC transport) link ring, whose build compiles C.
command -v cc >/dev/null 2>&1 || debian_pkgs+=(gcc)
# The cluster drivers' tests start their own nats-server (JetStream) and
# PostgreSQL on loopback (test/services.ts); the example app uses them only when
# configured (BUS_DRIVER=nats, DATABASE_URL=postgres://…).
if [ "$fixtures" = 1 ]; then
  # (Not needed when MC_TEST_NATS_URL / MC_TEST_DATABASE_URL name servers to use.)
  [ -n "${MC_TEST_NATS_URL:-}" ] || command -v nats-server >/dev/null 2>&1 || debian_pkgs+=(nats-server)
  [ -n "${MC_TEST_DATABASE_URL:-}" ] || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || debian_pkgs+=(postgresql)
  # The dashboard's browser test drives Debian's headless Chromium (test/dashboard.test.ts).
  [ -n "${MC_TEST_CHROMIUM:-}" ] || [ -x /usr/bin/chromium ] || debian_pkgs+=(chromium)
fi
if [ ${#debian_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "→ apt-get install ${debian_pkgs[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${debian_pkgs[@]}" >/dev/null
  else
    echo "MicroCore needs these Debian packages to build wasm modules and Rust sidecars, and for the NATS, PostgreSQL and browser tests: ${debian_pkgs[*]}." >&2
    echo "Install them (sudo apt-get install ${debian_pkgs[*]}), or add the rustup target (rustup target add wasm32-unknown-unknown) and protoc, then retry." >&2
    exit 1
  fi
fi

# The dashboard (served at /dashboard when DASHBOARD=on): bundled from
# dashboard/src whenever its sources or the npm packages are newer than the bundle.
if [ ! -f dashboard/dist/index.html ] || [ -n "$(find dashboard/src dashboard/build.ts package-lock.json -newer dashboard/dist/index.html -print -quit)" ]; then
  node --disable-warning=ExperimentalWarning dashboard/build.ts
fi

echo "→ building sidecars and wasm modules"
node --disable-warning=ExperimentalWarning cli/main.ts build
if [ "$fixtures" = 1 ]; then
  # The parity plugins the tests use are a MicroCore project of their own: the
  # same `microcore build`, run in it.
  echo "→ building the test fixtures (test/fixtures/parity)"
  (cd test/fixtures/parity && node --disable-warning=ExperimentalWarning ../../../cli/main.ts build)
fi
