//! A harness for host-target tests (`cargo test`, no wasm): a fake kernel that
//! answers tool calls, and boot/invoke that run exactly what the wasm exports
//! run, through the same encoding. State is per thread, as in a wasm instance.

use std::rc::Rc;

use prost::Message;

use crate::pb::{
    tool_result::Outcome, InvokeRequest, InvokeResponse, OnBootRequest, OnBootResponse, ToolCall, ToolResult,
};
use crate::{export, registry, transport, Error};

/// Answers every tool call made on this thread from now on.
pub fn set_kernel(kernel: impl Fn(ToolCall) -> ToolResult + 'static) {
    transport::set_kernel(Some(Rc::new(kernel)));
}

/// Forgets the fake kernel and every registered handler (ids restart at h1).
pub fn reset() {
    transport::set_kernel(None);
    registry::clear();
}

/// A successful ToolResult holding `response`.
pub fn respond(response: &impl Message) -> ToolResult {
    ToolResult { outcome: Some(Outcome::Response(response.encode_to_vec())) }
}

/// A failed ToolResult.
pub fn fail(error: Error) -> ToolResult {
    ToolResult { outcome: Some(Outcome::Error(error.into())) }
}

/// Runs `on_boot` as `mc_on_boot` would.
pub fn boot(on_boot: impl FnOnce(OnBootRequest) -> Result<(), Error>, request: OnBootRequest) -> OnBootResponse {
    let out = export::on_boot(&request.encode_to_vec(), on_boot);
    OnBootResponse::decode(out.as_slice()).expect("export::on_boot encodes an OnBootResponse")
}

/// Runs a registered handler as `mc_invoke` would.
pub fn invoke(request: InvokeRequest) -> InvokeResponse {
    let out = export::invoke(&request.encode_to_vec());
    InvokeResponse::decode(out.as_slice()).expect("export::invoke encodes an InvokeResponse")
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::pb::{invoke_request::Input, invoke_response::Output, AddEndpointRequest, AddEndpointResponse};
    use crate::pb::{HttpRequest, QueryOneRequest, QueryOneResponse};
    use crate::{codes, db, http, state, Value, ValueMap};

    fn count(_: HttpRequest) -> Result<http::HttpResponse, Error> {
        let one = db::query_one("SELECT COUNT(*) AS n FROM t WHERE k = ?", ["rust".into()])?;
        Ok(http::response(one.row.unwrap_or_default()))
    }

    #[test]
    fn boot_registers_and_invoke_calls_tools() {
        reset();
        let added = Rc::new(RefCell::new(Vec::new()));
        let seen = added.clone();
        set_kernel(move |call| match (call.tool.as_str(), call.method.as_str()) {
            ("http", "AddEndpoint") => {
                seen.borrow_mut().push(AddEndpointRequest::decode(call.request.as_slice()).unwrap());
                respond(&AddEndpointResponse {})
            }
            ("db", "QueryOne") => {
                let q = QueryOneRequest::decode(call.request.as_slice()).unwrap();
                assert_eq!(q.params, vec![Value::from("rust")]);
                let row: ValueMap = [("n", 9_007_199_254_740_993i64)].into_iter().collect();
                respond(&QueryOneResponse { found: true, row: Some(row) })
            }
            _ => fail(Error::new(codes::CAP_DENIED, format!("{}.{} denied", call.tool, call.method))),
        });
        let booted =
            boot(|_| http::add_endpoint(http::Endpoint::new("GET", "/count"), count), OnBootRequest::default());
        assert_eq!(booted.error, None);
        let added = added.borrow();
        assert_eq!(
            (added[0].method.as_str(), added[0].path.as_str(), added[0].handler_id.as_str()),
            ("GET", "/count", "h1")
        );

        let out = invoke(InvokeRequest { handler_id: "h1".into(), input: Some(Input::Http(HttpRequest::default())) });
        let Some(Output::Http(res)) = out.output else { panic!("no http output: {out:?}") };
        let n = res.body.as_ref().and_then(Value::as_map).and_then(|m| m.get("n")).and_then(Value::as_i64);
        assert_eq!(n, Some(9_007_199_254_740_993));
    }

    #[test]
    fn kernel_error_reaches_the_caller_unchanged() {
        reset();
        let denied = Error::new(codes::CAP_DENIED, "wasm/x may not call state.Get").with_detail("tool", "state");
        let sent = denied.clone();
        set_kernel(move |_| fail(sent.clone()));
        assert_eq!(state::get("anything"), Err(denied));
    }

    #[test]
    fn refused_endpoint_leaves_no_handler() {
        reset();
        set_kernel(|_| fail(Error::new(codes::HTTP_ROUTE, "taken")));
        let err = http::add_endpoint(http::Endpoint::new("GET", "/x"), count).unwrap_err();
        assert_eq!(err.code, codes::HTTP_ROUTE);
        let out = invoke(InvokeRequest { handler_id: "h1".into(), input: Some(Input::Http(HttpRequest::default())) });
        assert!(matches!(out.output, Some(Output::Error(e)) if e.code == codes::HANDLER_UNKNOWN));
    }

    #[test]
    fn no_kernel_and_empty_result_are_coded_errors() {
        reset();
        assert_eq!(db::query("SELECT 1", []).unwrap_err().code, codes::TOOL_UNAVAILABLE);
        set_kernel(|_| ToolResult { outcome: None });
        let err = db::execute("DELETE FROM t", []).unwrap_err();
        assert_eq!(err.code, codes::GATEWAY_BAD_MESSAGE);
        assert_eq!(err.details.get("method").map(String::as_str), Some("Execute"));
    }
}
