#!/usr/bin/env bash
# Builds a Rust crate's binary natively (release) and copies it where a
# sidecar.json's `command` names it.
#
#   scripts/build-rust-sidecar.sh <crate-dir> <bin-name> <out-file>
#
# The sidecar transport of sdk/rust (tonic, tokio, rustls with ring) needs only
# cargo, a C compiler (ring) and protoc, as the wasm build does. A crate whose
# release profile is tuned for a small wasm module (lto, one codegen unit,
# opt-level "s") would take minutes more natively for no gain here, so the
# release profile is overridden: the same for every crate built here.
#
# Every sidecar crate builds into one target directory, target/rust-sidecars at
# the root of the repository this script is in (followed through symlinks, so a
# test project that links scripts/ shares it; CARGO_TARGET_DIR, when set, wins).
# With one profile and the same locked versions, tonic, tokio and rustls compile
# once for all of them instead of once per crate; cargo's lock on the directory
# makes two builds at once wait for each other.
set -euo pipefail

die() {
  echo "build-rust-sidecar: $*" >&2
  exit 1
}

[[ $# -eq 3 ]] || die "usage: scripts/build-rust-sidecar.sh <crate-dir> <bin-name> <out-file>"
crate_dir=$(cd "$1" 2>/dev/null && pwd) || die "crate directory '$1' does not exist."
[[ -f $crate_dir/Cargo.toml ]] || die "$crate_dir has no Cargo.toml; pass the folder of the crate to build."
bin=$2
out_file=$3
[[ $out_file == /* ]] || out_file="$PWD/$out_file"
command -v cargo >/dev/null || die "cargo is not installed: install Rust with rustup (https://rustup.rs)."

repo=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$repo/target/rust-sidecars}
(
  cd "$crate_dir"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=3 \
    CARGO_PROFILE_RELEASE_STRIP=symbols CARGO_TARGET_DIR="$target_dir" \
    cargo build --release --bin "$bin"
)
built=$target_dir/release/$bin
[[ -x $built ]] || die "cargo finished but $built is missing; does the crate have a [[bin]] named '$bin'?"
mkdir -p "$(dirname "$out_file")"
cp "$built" "$out_file.tmp" && mv "$out_file.tmp" "$out_file"
echo "build-rust-sidecar: $out_file"
