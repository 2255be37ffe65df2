#!/usr/bin/env bash
# Builds a Rust crate for wasm32-unknown-unknown (release) and copies its .wasm.
#
#   scripts/build-rust-wasm.sh <crate-dir> <out-file.wasm>
#
# Routes, in order of preference (the one taken is printed):
#   rustup  a rustup toolchain with the wasm32-unknown-unknown target installed.
#   debian  Debian's rustc-web/cargo-web with rust-web-src: std is built from
#           source (-Zbuild-std), for machines where no wasm32 target can be
#           downloaded. /usr/bin/cargo is called explicitly because rustup's
#           cargo usually comes first on PATH.
# With neither, running as root with apt-get, it installs the Debian packages;
# otherwise it exits 1 naming them. protoc (protobuf-compiler) is needed either
# way: the microcore crate generates its types from proto/ at build time.
set -euo pipefail

DEBIAN_PACKAGES=(rustc-web cargo-web rust-web-src lld-22)
TARGET=wasm32-unknown-unknown

die() {
  echo "build-rust-wasm: $*" >&2
  exit 1
}

[[ $# -eq 2 ]] || die "usage: scripts/build-rust-wasm.sh <crate-dir> <out-file.wasm>"
crate_dir=$(cd "$1" 2>/dev/null && pwd) || die "crate directory '$1' does not exist."
[[ -f $crate_dir/Cargo.toml ]] || die "$crate_dir has no Cargo.toml; pass the folder of the crate to build."
out_file=$2
[[ $out_file == /* ]] || out_file="$PWD/$out_file"

can_apt() { [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; }

has_rustup_target() {
  command -v rustup >/dev/null && command -v cargo >/dev/null &&
    rustup target list --installed 2>/dev/null | grep -qx "$TARGET"
}

has_debian_route() {
  [[ -x /usr/bin/cargo && -x /usr/bin/rustc ]] || return 1
  local sysroot
  sysroot=$(/usr/bin/rustc --print sysroot 2>/dev/null) || return 1
  [[ -d $sysroot/lib/rustlib/src/rust/library/std ]] && command -v rust-lld >/dev/null
}

if ! command -v protoc >/dev/null && [[ -z ${PROTOC:-} ]]; then
  if can_apt; then
    echo "build-rust-wasm: protoc missing; installing protobuf-compiler"
    apt-get install -y protobuf-compiler
  else
    die "protoc is missing (needed to generate the microcore types from proto/). Install it: sudo apt-get install -y protobuf-compiler (or set PROTOC to a protoc binary)."
  fi
fi

if has_rustup_target; then
  route=rustup
elif has_debian_route; then
  route=debian
elif can_apt; then
  echo "build-rust-wasm: no wasm32 toolchain; installing ${DEBIAN_PACKAGES[*]}"
  apt-get install -y "${DEBIAN_PACKAGES[@]}" protobuf-compiler
  has_debian_route || die "installed ${DEBIAN_PACKAGES[*]} but /usr/bin/rustc still finds no std sources or rust-lld."
  route=debian
else
  die "no Rust toolchain for $TARGET. Either 'rustup target add $TARGET', or (Debian, as root) 'apt-get install -y ${DEBIAN_PACKAGES[*]}'."
fi

# The crate's own target/ (gitignored), whatever the caller's environment says.
export CARGO_TARGET_DIR="$crate_dir/target"
cd "$crate_dir"
echo "build-rust-wasm: building $crate_dir for $TARGET via the $route route"
start=$SECONDS
case $route in
  rustup)
    cargo build --release --target "$TARGET"
    ;;
  debian)
    RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 /usr/bin/cargo build --release --target "$TARGET" \
      -Zbuild-std=std,panic_abort
    ;;
esac

# The artifact is named after [lib] name, else the package name with - as _.
lib_name=$(sed -n '/^\[lib\]/,/^\[/s/^name *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
[[ -n $lib_name ]] || lib_name=$(sed -n '/^\[package\]/,/^\[/s/^name *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
wasm="$CARGO_TARGET_DIR/$TARGET/release/${lib_name//-/_}.wasm"
[[ -f $wasm ]] || die "cargo finished but $wasm is missing; is the crate a cdylib ([lib] crate-type = [\"cdylib\"])?"
mkdir -p "$(dirname "$out_file")"
# Through a temporary file: a kernel reading the module meanwhile (two test files at once) never sees half of one.
cp "$wasm" "$out_file.tmp" && mv "$out_file.tmp" "$out_file"
echo "build-rust-wasm: wrote $out_file ($(wc -c <"$out_file") bytes) in $((SECONDS - start))s via the $route route"
