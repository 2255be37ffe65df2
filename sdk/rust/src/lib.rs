//! MicroCore SDK for Rust plugins: one source runs as a wasm module (Extism) or
//! as a sidecar (gRPC), chosen by the manifest that loads it.
//!
//! A plugin calls [`plugin!`] with its `on_boot` function. Built for wasm32 (a
//! `cdylib`), that exports the Extism functions; built natively it defines
//! `pub fn serve() -> !`, which a binary's `main` calls to run as a sidecar. In
//! `on_boot` it adds endpoints with [`http::add_endpoint`]; each handler is a plain
//! `fn(HttpRequest) -> Result<HttpResponse, Error>` (or a closure). Subscriptions
//! ([`bus::subscribe`]) work the same way with `fn(Envelope) -> Result<Value, Error>`.
//! The SDK encodes every message, keeps the handler ids, and turns an `Err` into
//! the wire error.
//!
//! ```
//! use microcore::{db, http, Error, OnBootRequest};
//!
//! microcore::plugin!(on_boot);
//!
//! fn on_boot(_: OnBootRequest) -> Result<(), Error> {
//!     http::add_endpoint(http::Endpoint::new("GET", "/hello"), |_| {
//!         let one = db::query_one("SELECT 'hello' AS greeting", [])?;
//!         Ok(http::response(one.row.unwrap_or_default()))
//!     })
//! }
//! ```
//!
//! Tool wrappers are named as in the proto services (`Db.QueryOne` is
//! [`db::query_one`]). They return the method's response message, or `()` where
//! that message is empty; the bus wrappers return that message's one field.
//!
//! Handlers are synchronous. In a sidecar each call runs on tokio's blocking
//! pool, several at once, so handlers must be `Send + Sync` there ([`MaybeSend`]);
//! a tool call blocks that thread until the kernel answers.
//!
//! The wire protocol is docs/protocol.md, sections "Sidecars" and "Wasm modules (Extism)".

mod call;
mod error;
mod export;
mod read;
mod registry;
#[cfg(not(target_arch = "wasm32"))]
mod sidecar;
mod transport;
mod value;

pub mod bus;
pub mod config;
pub mod db;
pub mod http;
pub mod logger;
pub mod state;
// microcore add: tool modules

/// The generated contract: every message of proto/microcore/v1, by its proto name.
#[allow(clippy::all, missing_docs)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/microcore.v1.rs"));
}

/// A harness for host-target tests: a fake kernel and direct boot/invoke calls.
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

/// Calls a contract service the SDK does not wrap, e.g.
/// `call_tool::<_, StatusResponse>("system", "Status", &StatusRequest {})`: the
/// same path, identity and trace as the wrapped tools, and the kernel still
/// checks the call against `needs`.
pub use call::call as call_tool;
pub use error::{codes, Error};
pub use pb::{OnBootRequest, Value, ValueMap};
pub use read::from_value;
pub use registry::MaybeSend;

/// Used by the code [`plugin!`] expands to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::export::{invoke, on_boot, on_shutdown};
    #[cfg(not(target_arch = "wasm32"))]
    pub use crate::sidecar::serve;
    #[cfg(target_arch = "wasm32")]
    pub use crate::transport::export;
}
