#!/usr/bin/env bash
# Builds a Go main package as an Extism wasm module with the standard compiler.
#
#   scripts/build-go-wasm.sh <go-package-dir> <out-file.wasm>
#
# Runs, in the package's folder:
#   GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o <out-file.wasm> .
# c-shared makes a WASI reactor: Extism calls _initialize, then the exports
# mc_on_boot / mc_invoke / mc_on_shutdown that sdk/go declares with
# //go:wasmexport (without c-shared the runtime is not initialized when an
# export is called). The plugin.json of such a module needs "wasi": true.
# Go 1.24 or newer is required (//go:wasmexport came in 1.24).
set -euo pipefail

die() {
  echo "build-go-wasm: $*" >&2
  exit 1
}

[[ $# -eq 2 ]] || die "usage: scripts/build-go-wasm.sh <go-package-dir> <out-file.wasm>"
pkg_dir=$(cd "$1" 2>/dev/null && pwd) || die "package directory '$1' does not exist."
[[ -f $pkg_dir/go.mod ]] || die "$pkg_dir has no go.mod; pass the folder of the Go main package to build."
out_file=$2
[[ $out_file == /* ]] || out_file="$PWD/$out_file"

command -v go >/dev/null || die "go is not on PATH. Install Go 1.24 or newer (https://go.dev/dl) and retry."
version=$(go env GOVERSION) # e.g. go1.26.8, go1.24rc1, devel go1.25-abcdef
if [[ $version =~ go([0-9]+)\.([0-9]+) ]]; then
  major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
  if ((major < 1 || (major == 1 && minor < 24))); then
    die "$version is too old: Go wasm modules need Go 1.24 or newer (//go:wasmexport). Install a newer Go from https://go.dev/dl and retry."
  fi
else
  echo "build-go-wasm: cannot read a version from '$version'; trying the build anyway" >&2
fi

mkdir -p "$(dirname "$out_file")"
cd "$pkg_dir"
echo "build-go-wasm: in $pkg_dir ($version): GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o $out_file ."
start=$SECONDS
GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o "$out_file" .
echo "build-go-wasm: wrote $out_file ($(wc -c <"$out_file") bytes) in $((SECONDS - start))s"
