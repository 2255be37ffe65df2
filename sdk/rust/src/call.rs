//! One tool call: a request message in, the response message or an Error out.

use prost::Message;

use crate::error::bad_message;
use crate::pb::{tool_result::Outcome, ToolCall, ToolResult};
use crate::{codes, transport, Error};

/// Calls `tool.method` (names as in the proto service: "db", "Query").
pub fn call<Req: Message, Resp: Message + Default>(tool: &str, method: &str, request: &Req) -> Result<Resp, Error> {
    let call = ToolCall { tool: tool.to_string(), method: method.to_string(), request: request.encode_to_vec() };
    let out = transport::call(&call.encode_to_vec())?;
    let at = |e: Error| e.with_detail("tool", tool).with_detail("method", method);
    let result = ToolResult::decode(out.as_slice()).map_err(|e| at(bad_message("ToolResult", e)))?;
    match result.outcome {
        Some(Outcome::Response(bytes)) => {
            Resp::decode(bytes.as_slice()).map_err(|e| at(bad_message(&format!("{tool}.{method} response"), e)))
        }
        // The kernel's error reaches the plugin unchanged.
        Some(Outcome::Error(e)) => Err(e.into()),
        None => Err(at(Error::new(
            codes::GATEWAY_BAD_MESSAGE,
            format!(
                "the kernel answered {tool}.{method} with a ToolResult holding neither \
                 a response nor an error. The host function mc_call must set one of them."
            ),
        ))),
    }
}
