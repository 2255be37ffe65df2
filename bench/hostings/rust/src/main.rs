//! The native build of this crate: the Rust sidecar hosting of the bench
//! endpoint (`serve` comes from `microcore::plugin!` in lib.rs). Built for
//! wasm32 this binary is empty; the module is the cdylib.

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    bench_item::serve();
}
