//! How bytes cross to the host. In wasm: the `mc_call` import and Extism's
//! input/output. On the host target: the kernel set for this thread, either the
//! sidecar's gRPC client (src/sidecar/) while it runs a call, or a fake kernel
//! set by `testing::set_kernel`, fed the same bytes, so host tests exercise the
//! real encoding.

// `export` is pub for the plugin! macro (through lib.rs __private).
#[cfg(target_arch = "wasm32")]
pub use wasm::*;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use host::*;

#[cfg(target_arch = "wasm32")]
mod wasm {
    use extism_pdk::{extism, Memory};

    use crate::Error;

    #[link(wasm_import_module = "extism:host/user")]
    extern "C" {
        /// Takes the offset of a serialized ToolCall and returns the offset of a
        /// serialized ToolResult (docs/protocol.md, "The host function").
        fn mc_call(input: u64) -> u64;
    }

    /// Sends a serialized ToolCall and returns the serialized ToolResult.
    ///
    /// Memory: the input block is allocated here and freed once the host has read
    /// it; the output block is allocated by the host and freed here after copying.
    pub(crate) fn call(input: &[u8]) -> Result<Vec<u8>, Error> {
        let block = to_memory(input);
        let out = unsafe { mc_call(block.offset()) };
        block.free();
        // An empty or missing block reads as an empty ToolResult, which call.rs
        // reports as an error naming the tool and method.
        Ok(Memory::find(out).map_or_else(Vec::new, |mem| {
            let bytes = mem.to_vec();
            mem.free();
            bytes
        }))
    }

    /// Runs one Extism export: input bytes in, output bytes out. Always returns
    /// 0: failures travel inside the output message. A panic aborts the module
    /// (a trap for the kernel), after logging its text at error level.
    pub fn export(run: impl FnOnce(&[u8]) -> Vec<u8>) -> i32 {
        set_panic_hook();
        let output = run(&extism_pdk::input_bytes());
        // An empty message (a successful OnBootResponse) is no output at all.
        if !output.is_empty() {
            to_memory(&output).set_output();
        }
        0
    }

    fn to_memory(bytes: &[u8]) -> Memory {
        // Memory::from_bytes only fails when encoding the value fails, and raw
        // bytes need no encoding.
        Memory::from_bytes(bytes).expect("copying bytes into Extism memory")
    }

    fn set_panic_hook() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // Extism JS reports a trap as just "unreachable" and drops any
            // error_set text, so the panic's text goes out as a log line.
            std::panic::set_hook(Box::new(|info| {
                let text = format!("the wasm module panicked: {info}");
                let block = to_memory(text.as_bytes());
                unsafe { extism::log_error(block.offset()) };
            }))
        });
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod host {
    use std::cell::RefCell;
    use std::rc::Rc;

    use prost::Message;

    use crate::error::bad_message;
    use crate::pb::{ToolCall, ToolResult};
    use crate::{codes, Error};

    pub(crate) type Kernel = Rc<dyn Fn(ToolCall) -> ToolResult>;

    thread_local! {
        static KERNEL: RefCell<Option<Kernel>> = const { RefCell::new(None) };
    }

    pub(crate) fn set_kernel(kernel: Option<Kernel>) {
        KERNEL.with(|k| *k.borrow_mut() = kernel);
    }

    /// Runs `f` with `kernel` answering this thread's tool calls, then puts the
    /// previous one back (also when `f` panics). The sidecar sets its gRPC
    /// client this way on the blocking-pool thread running a call.
    pub(crate) fn with_kernel<R>(kernel: Kernel, f: impl FnOnce() -> R) -> R {
        struct Restore(Option<Kernel>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let previous = self.0.take();
                KERNEL.with(|k| *k.borrow_mut() = previous);
            }
        }
        let _restore = Restore(KERNEL.with(|k| k.replace(Some(kernel))));
        f()
    }

    pub(crate) fn call(input: &[u8]) -> Result<Vec<u8>, Error> {
        let kernel = KERNEL.with(|k| k.borrow().clone()).ok_or_else(|| {
            Error::new(
                codes::TOOL_UNAVAILABLE,
                "no kernel to call: outside wasm, tool calls go to the fake kernel. \
                 Call microcore::testing::set_kernel first.",
            )
        })?;
        let call = ToolCall::decode(input).map_err(|e| bad_message("ToolCall", e))?;
        Ok(kernel(call).encode_to_vec())
    }
}
