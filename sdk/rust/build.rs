//! Generates the prost types from proto/microcore/v1, the single source of the
//! contract, so nothing generated is copied into this crate; natively also the
//! Plugin service's tonic server. Needs `protoc`
//! (Debian: protobuf-compiler) or the PROTOC variable.

use std::path::{Path, PathBuf};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let dir = root.join("microcore/v1");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read the contract at {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "proto"))
        .collect();
    files.sort();
    println!("cargo:rerun-if-changed={}", dir.display());
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    // Natively the sidecar transport also needs the Plugin service's server
    // (tonic); wasm modules get the messages alone. Tool calls go out as raw
    // bytes (src/sidecar/kernel_client.rs), so no client is generated.
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32");
    let generated = if wasm {
        prost_build::Config::new().compile_protos(&files, &[&root])
    } else {
        tonic_prost_build::configure()
            .build_client(false)
            .build_server(true)
            .compile_protos(&files, std::slice::from_ref(&root))
    };
    if let Err(e) = generated {
        panic!(
            "generating the microcore protobuf types from {} failed: {e}\n\
             Install protoc (apt-get install -y protobuf-compiler) or point PROTOC at one.",
            dir.display()
        );
    }
}
