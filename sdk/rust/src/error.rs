//! The SDK's error registry: the one error type, the code catalogue, and the
//! factories for the errors the SDK itself raises.

use std::collections::HashMap;
use std::fmt;

use crate::pb;

/// A MicroCore error: the `microcore.v1.Error` message as a Rust error.
/// Branch on `code` (one of [`codes`], or a newer one), never on `message`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Error {
    /// `MC_ERR_<AREA>_<PROBLEM>`.
    pub code: String,
    /// What is wrong, where, and what to do about it.
    pub message: String,
    /// Structured facts: the tool, the method, the value seen.
    pub details: HashMap<String, String>,
    /// What to do about it, when the plugin knows better than the code's
    /// catalogue entry (docs/errors.md); empty: the catalogue's. The kernel
    /// shows a client "<code>: <message>. <fix>", as for any hosting.
    pub fix: String,
}

impl Error {
    /// The one factory: an error with a code and a message, no details.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Error { code: code.into(), message: message.into(), details: HashMap::new(), fix: String::new() }
    }

    /// Sets the hint shown after the message, in place of the code's catalogue entry.
    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }

    /// Adds one detail.
    pub fn with_detail(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.details.insert(key.into(), value.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

impl From<pb::Error> for Error {
    fn from(e: pb::Error) -> Self {
        Error { code: e.code, message: e.message, details: e.details, fix: e.fix }
    }
}

impl From<Error> for pb::Error {
    fn from(e: Error) -> Self {
        pb::Error { code: e.code, message: e.message, details: e.details, fix: e.fix }
    }
}

/// The wire form of a catalogue entry: `ERROR_CODE_CAP_DENIED` is sent as
/// `MC_ERR_CAP_DENIED`.
#[cfg(test)]
fn wire_code(code: pb::ErrorCode) -> String {
    code.as_str_name().replacen("ERROR_CODE_", "MC_ERR_", 1)
}

/// The codes of enum ErrorCode in proto/microcore/v1/error.proto, as sent on the
/// wire. A test keeps this list and the enum equal.
pub mod codes {
    pub const PLUGIN_MISSING_TOOL: &str = "MC_ERR_PLUGIN_MISSING_TOOL";
    pub const PLUGIN_BOOT: &str = "MC_ERR_PLUGIN_BOOT";
    pub const LIFECYCLE_TIMEOUT: &str = "MC_ERR_LIFECYCLE_TIMEOUT";
    pub const MANIFEST_INVALID: &str = "MC_ERR_MANIFEST_INVALID";
    pub const TOOL_DUPLICATE: &str = "MC_ERR_TOOL_DUPLICATE";
    pub const TOOL_SETUP: &str = "MC_ERR_TOOL_SETUP";
    pub const CAP_DENIED: &str = "MC_ERR_CAP_DENIED";
    pub const GATEWAY_UNKNOWN_METHOD: &str = "MC_ERR_GATEWAY_UNKNOWN_METHOD";
    pub const GATEWAY_BAD_MESSAGE: &str = "MC_ERR_GATEWAY_BAD_MESSAGE";
    pub const GATEWAY_UNAUTHENTICATED: &str = "MC_ERR_GATEWAY_UNAUTHENTICATED";
    pub const SIDECAR_HANDSHAKE: &str = "MC_ERR_SIDECAR_HANDSHAKE";
    pub const SIDECAR_DOWN: &str = "MC_ERR_SIDECAR_DOWN";
    pub const WASM_LOAD: &str = "MC_ERR_WASM_LOAD";
    pub const WASM_TRAP: &str = "MC_ERR_WASM_TRAP";
    pub const WASM_TIMEOUT: &str = "MC_ERR_WASM_TIMEOUT";
    pub const HANDLER_FAILED: &str = "MC_ERR_HANDLER_FAILED";
    pub const HANDLER_UNKNOWN: &str = "MC_ERR_HANDLER_UNKNOWN";
    pub const DB_QUERY: &str = "MC_ERR_DB_QUERY";
    pub const DB_MIGRATION: &str = "MC_ERR_DB_MIGRATION";
    pub const HTTP_VALIDATION: &str = "MC_ERR_HTTP_VALIDATION";
    pub const HTTP_MALFORMED: &str = "MC_ERR_HTTP_MALFORMED";
    pub const HTTP_NOT_FOUND: &str = "MC_ERR_HTTP_NOT_FOUND";
    pub const HTTP_ROUTE: &str = "MC_ERR_HTTP_ROUTE";
    pub const CONFIG_MISSING: &str = "MC_ERR_CONFIG_MISSING";
    pub const INTERNAL: &str = "MC_ERR_INTERNAL";
    pub const VALUE_UNSUPPORTED: &str = "MC_ERR_VALUE_UNSUPPORTED";
    pub const INVALID_ARGUMENT: &str = "MC_ERR_INVALID_ARGUMENT";
    pub const NOT_FOUND: &str = "MC_ERR_NOT_FOUND";
    pub const CONFLICT: &str = "MC_ERR_CONFLICT";
    pub const BUS_TIMEOUT: &str = "MC_ERR_BUS_TIMEOUT";
    pub const TOOL_UNAVAILABLE: &str = "MC_ERR_TOOL_UNAVAILABLE";
    pub const BUS_NO_SUBSCRIBER: &str = "MC_ERR_BUS_NO_SUBSCRIBER";
    pub const WASM_REENTRANT: &str = "MC_ERR_WASM_REENTRANT";
    pub const BUS_PUBLISH: &str = "MC_ERR_BUS_PUBLISH";
    /// A payload or reply on a declared topic fails its owner's schema.
    pub const BUS_SCHEMA: &str = "MC_ERR_BUS_SCHEMA";
    pub const DB_UNIQUE: &str = "MC_ERR_DB_UNIQUE";
    pub const DB_CONSTRAINT: &str = "MC_ERR_DB_CONSTRAINT";
    pub const DB_BUSY: &str = "MC_ERR_DB_BUSY";
    pub const HTTP_UNAUTHORIZED: &str = "MC_ERR_HTTP_UNAUTHORIZED";
    pub const HTTP_STREAM_CLOSED: &str = "MC_ERR_HTTP_STREAM_CLOSED";
    pub const HTTP_TOO_LARGE: &str = "MC_ERR_HTTP_TOO_LARGE";
    pub const HTTP_UNSUPPORTED_MEDIA: &str = "MC_ERR_HTTP_UNSUPPORTED_MEDIA";
    pub const HTTP_TIMEOUT: &str = "MC_ERR_HTTP_TIMEOUT";
    pub const PLUGIN_IDENTITY: &str = "MC_ERR_PLUGIN_IDENTITY";
    pub const PLUGIN_BUILD: &str = "MC_ERR_PLUGIN_BUILD";
    pub const MESSAGE_TOO_LARGE: &str = "MC_ERR_MESSAGE_TOO_LARGE";

    #[cfg(test)]
    pub(crate) const ALL: &[&str] = &[
        PLUGIN_MISSING_TOOL,
        PLUGIN_BOOT,
        LIFECYCLE_TIMEOUT,
        MANIFEST_INVALID,
        TOOL_DUPLICATE,
        TOOL_SETUP,
        CAP_DENIED,
        GATEWAY_UNKNOWN_METHOD,
        GATEWAY_BAD_MESSAGE,
        GATEWAY_UNAUTHENTICATED,
        SIDECAR_HANDSHAKE,
        SIDECAR_DOWN,
        WASM_LOAD,
        WASM_TRAP,
        WASM_TIMEOUT,
        HANDLER_FAILED,
        HANDLER_UNKNOWN,
        DB_QUERY,
        DB_MIGRATION,
        HTTP_VALIDATION,
        HTTP_MALFORMED,
        HTTP_NOT_FOUND,
        HTTP_ROUTE,
        CONFIG_MISSING,
        INTERNAL,
        VALUE_UNSUPPORTED,
        INVALID_ARGUMENT,
        NOT_FOUND,
        CONFLICT,
        BUS_TIMEOUT,
        TOOL_UNAVAILABLE,
        BUS_NO_SUBSCRIBER,
        WASM_REENTRANT,
        BUS_PUBLISH,
        DB_UNIQUE,
        DB_CONSTRAINT,
        DB_BUSY,
        HTTP_UNAUTHORIZED,
        HTTP_STREAM_CLOSED,
        HTTP_TOO_LARGE,
        HTTP_UNSUPPORTED_MEDIA,
        HTTP_TIMEOUT,
        PLUGIN_IDENTITY,
        PLUGIN_BUILD,
        MESSAGE_TOO_LARGE,
        BUS_SCHEMA,
    ];
}

/// A message from the kernel could not be decoded.
pub(crate) fn bad_message(what: &str, cause: impl fmt::Display) -> Error {
    Error::new(
        codes::GATEWAY_BAD_MESSAGE,
        format!(
            "the wasm module could not decode the {what} it received ({cause}). \
             The kernel and the SDK disagree on the contract: rebuild the module \
             against the kernel's proto/microcore/v1."
        ),
    )
    .with_detail("message", what)
}

/// An InvokeRequest named a handler id this module never registered.
pub(crate) fn handler_unknown(id: &str, known: &[String]) -> Error {
    Error::new(
        codes::HANDLER_UNKNOWN,
        format!(
            "no handler '{id}' is registered in this wasm module (registered: {}). \
             Handlers are added during on_boot; invoke one of those ids.",
            if known.is_empty() { "none".to_string() } else { known.join(", ") }
        ),
    )
    .with_detail("handler_id", id)
}

/// An InvokeRequest carried an input the handler does not take.
pub(crate) fn wrong_input(id: &str, expected: &str, got: &str) -> Error {
    Error::new(
        codes::GATEWAY_BAD_MESSAGE,
        format!(
            "handler '{id}' takes {expected} but the InvokeRequest carried {got}. \
             Invoke an endpoint handler with InvokeRequest.http and a subscription \
             handler with InvokeRequest.event."
        ),
    )
    .with_detail("handler_id", id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_proto_catalogue() {
        // Numbers retired from the catalogue are reserved, so it has gaps.
        let from_proto: Vec<_> = (1..256).filter_map(|n| pb::ErrorCode::try_from(n).ok()).map(wire_code).collect();
        assert_eq!(from_proto, codes::ALL);
    }

    #[test]
    fn wire_error_round_trips_unchanged() {
        let wire = pb::Error {
            code: codes::DB_QUERY.into(),
            message: "near \"SELEC\": syntax error".into(),
            details: [("sql".to_string(), "SELEC 1".to_string())].into(),
            fix: "Fix the SQL.".into(),
        };
        let e = Error::from(wire.clone());
        assert_eq!(e.to_string(), "MC_ERR_DB_QUERY: near \"SELEC\": syntax error");
        assert_eq!(pb::Error::from(e), wire);
    }
}
