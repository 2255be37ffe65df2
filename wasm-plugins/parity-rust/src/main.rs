//! The native build of this crate: the sidecar sidecars/parity-rustsc runs
//! (`serve` comes from `microcore::plugin!` in lib.rs). Built for wasm32 this
//! binary is empty; the module is the cdylib.

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    parity_rust::serve();
}
