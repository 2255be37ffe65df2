//! The bodies of the Extism exports, on bytes: decode the kernel's message, run
//! the plugin's code, encode the answer. Target-independent, so the host tests
//! and `testing` run exactly what the wasm exports run.

use prost::Message;

use crate::error::bad_message;
use crate::pb::{invoke_response::Output, InvokeRequest, InvokeResponse};
use crate::pb::{OnBootRequest, OnBootResponse, OnShutdownRequest, OnShutdownResponse};
use crate::{registry, Error};

/// `mc_on_boot`: OnBootRequest in, OnBootResponse out; an Err goes into
/// OnBootResponse.error.
pub fn on_boot(input: &[u8], on_boot: impl FnOnce(OnBootRequest) -> Result<(), Error>) -> Vec<u8> {
    let result = OnBootRequest::decode(input).map_err(|e| bad_message("OnBootRequest", e)).and_then(on_boot);
    OnBootResponse { error: result.err().map(Into::into) }.encode_to_vec()
}

/// `mc_invoke`: InvokeRequest in, InvokeResponse out.
pub fn invoke(input: &[u8]) -> Vec<u8> {
    let response = match InvokeRequest::decode(input) {
        Ok(request) => registry::dispatch(request),
        Err(e) => InvokeResponse { output: Some(Output::Error(bad_message("InvokeRequest", e).into())) },
    };
    response.encode_to_vec()
}

/// `mc_on_shutdown`: OnShutdownRequest in, OnShutdownResponse out. The response
/// has no error field, so a failure is logged through the logger tool.
pub fn on_shutdown(input: &[u8], on_shutdown: impl FnOnce() -> Result<(), Error>) -> Vec<u8> {
    let result =
        OnShutdownRequest::decode(input).map_err(|e| bad_message("OnShutdownRequest", e)).and_then(|_| on_shutdown());
    if let Err(e) = result {
        let fields = [("code", e.code.as_str().into()), ("message", e.message.as_str().into())];
        // Nowhere left to report a failed log line while shutting down.
        let _ = crate::logger::error("on_shutdown failed", fields);
    }
    OnShutdownResponse {}.encode_to_vec()
}

/// Exports a plugin: `microcore::plugin!(on_boot)` or
/// `microcore::plugin!(on_boot, on_shutdown)`.
///
/// `on_boot: fn(OnBootRequest) -> Result<(), Error>` adds the plugin's endpoints
/// and subscriptions; `on_shutdown: fn() -> Result<(), Error>` is optional.
/// For wasm32 it expands to the Extism exports `mc_on_boot`, `mc_invoke` and
/// (with `on_shutdown`) `mc_on_shutdown`. Natively it expands to
/// `pub fn serve() -> !`, which runs the plugin as a sidecar (a binary's `main`
/// calls it): the same source, hosted either way.
#[macro_export]
macro_rules! plugin {
    // The internal arm first, then the two-function form: macro_rules tries
    // arms in order.
    (@wasm $on_boot:expr) => {
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn mc_on_boot() -> i32 {
            $crate::__private::export(|input| $crate::__private::on_boot(input, $on_boot))
        }

        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn mc_invoke() -> i32 {
            $crate::__private::export($crate::__private::invoke)
        }
    };
    ($on_boot:expr, $on_shutdown:expr $(,)?) => {
        $crate::plugin!(@wasm $on_boot);

        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn mc_on_shutdown() -> i32 {
            $crate::__private::export(|input| $crate::__private::on_shutdown(input, $on_shutdown))
        }

        /// Runs this plugin as a sidecar started by the MicroCore kernel; never returns.
        #[cfg(not(target_arch = "wasm32"))]
        pub fn serve() -> ! {
            $crate::__private::serve($on_boot, ::core::option::Option::Some($on_shutdown))
        }
    };
    ($on_boot:expr $(,)?) => {
        $crate::plugin!(@wasm $on_boot);

        /// Runs this plugin as a sidecar started by the MicroCore kernel; never returns.
        #[cfg(not(target_arch = "wasm32"))]
        pub fn serve() -> ! {
            $crate::__private::serve::<_, fn() -> ::core::result::Result<(), $crate::Error>>(
                $on_boot,
                ::core::option::Option::None,
            )
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes;

    #[test]
    fn boot_error_goes_into_the_response() {
        let out =
            on_boot(&OnBootRequest::default().encode_to_vec(), |_| Err(Error::new(codes::CONFIG_MISSING, "no KEY")));
        let error = OnBootResponse::decode(out.as_slice()).unwrap().error.unwrap();
        assert_eq!((error.code.as_str(), error.message.as_str()), (codes::CONFIG_MISSING, "no KEY"));
        assert!(on_boot(&[], |_| Ok(())).is_empty(), "a successful boot encodes to no bytes");
    }

    #[test]
    fn undecodable_input_is_bad_message() {
        let out = invoke(&[0xff, 0xff, 0xff]);
        let Some(Output::Error(e)) = InvokeResponse::decode(out.as_slice()).unwrap().output else { panic!("no error") };
        assert_eq!(e.code, codes::GATEWAY_BAD_MESSAGE);
    }
}
