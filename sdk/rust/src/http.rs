//! The http tool: endpoints served by the kernel, handled in this module.

use crate::call::call;
use crate::pb::{
    AddAuthValidatorRequest, AddAuthValidatorResponse, AddEndpointRequest, AddEndpointResponse, AddStreamRequest,
    AddStreamResponse, SendEventRequest, SendEventResponse,
};
use crate::registry::{self, Handler, Shared};
use crate::MaybeSend;
use crate::{Error, Value};

pub use crate::pb::{HttpRequest, HttpResponse};

const TOOL: &str = "http";

/// An endpoint to add: AddEndpointRequest without the handler id, which the SDK
/// assigns. `Endpoint { summary: "...".into(), ..Endpoint::new("GET", "/x") }`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Endpoint {
    /// GET, POST, PUT, PATCH or DELETE.
    pub method: String,
    /// With `:name` for a path parameter: /users/:id.
    pub path: String,
    /// JSON Schema (JSON text) the body must satisfy; empty: any body.
    pub body_schema_json: String,
    /// JSON Schema (JSON text) of the response body, for OpenAPI.
    pub response_schema_json: String,
    /// The status of a successful response; 0 means 200.
    pub success_status: i32,
    /// One line for OpenAPI.
    pub summary: String,
    /// OpenAPI tags; empty: the plugin's domain.
    pub tags: Vec<String>,
    /// The auth validator (Http.AddAuthValidator) to run first; empty: none.
    pub auth: String,
    /// The request's deadline in ms (504 MC_ERR_HTTP_TIMEOUT past it); 0: HTTP_HANDLER_TIMEOUT_MS.
    pub timeout_ms: i64,
    /// JSON Schemas (object schemas, one property a parameter) of the path
    /// parameters and of the query string. Values are judged as their type reads
    /// them ("7" is an integer); a request failing them is answered 422 naming the
    /// parameter before the handler runs, and the handler gets the text sent, a
    /// `default` filling one left out.
    pub params_schema_json: String,
    pub query_schema_json: String,
}

impl Endpoint {
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        Endpoint { method: method.into(), path: path.into(), ..Endpoint::default() }
    }
}

/// Http.AddEndpoint: serves `endpoint` with `handler`. Call it in on_boot. The
/// handler's Err reaches the HTTP client as the MicroCore error, unchanged.
pub fn add_endpoint(
    endpoint: Endpoint,
    handler: impl Fn(HttpRequest) -> Result<HttpResponse, Error> + MaybeSend + 'static,
) -> Result<(), Error> {
    let id = registry::add(Handler::Http(Shared::new(handler)));
    let request = AddEndpointRequest {
        method: endpoint.method,
        path: endpoint.path,
        handler_id: id.clone(),
        body_schema_json: endpoint.body_schema_json,
        response_schema_json: endpoint.response_schema_json,
        success_status: endpoint.success_status,
        summary: endpoint.summary,
        tags: endpoint.tags,
        auth: endpoint.auth,
        timeout_ms: endpoint.timeout_ms,
        params_schema_json: endpoint.params_schema_json,
        query_schema_json: endpoint.query_schema_json,
    };
    call::<_, AddEndpointResponse>(TOOL, "AddEndpoint", &request).map(drop).inspect_err(|_| registry::remove(&id))
}

/// Http.AddStream: a server-sent events endpoint (GET). When a client connects,
/// `handler` runs with the request (its `stream_id` set) and may send events with
/// [`send_event`]; the stream stays open after it returns.
pub fn add_stream(
    path: &str,
    handler: impl Fn(HttpRequest) -> Result<(), Error> + MaybeSend + 'static,
) -> Result<(), Error> {
    let id = registry::add(Handler::Http(Shared::new(move |req| handler(req).map(|()| response(Value::null())))));
    let request = AddStreamRequest { path: path.into(), handler_id: id.clone(), ..AddStreamRequest::default() };
    call::<_, AddStreamResponse>(TOOL, "AddStream", &request).map(drop).inspect_err(|_| registry::remove(&id))
}

/// Http.SendEvent: one event down an open stream (`MC_ERR_HTTP_STREAM_CLOSED`
/// once its client has gone). `event` and `id` may be empty.
pub fn send_event(stream_id: &str, event: &str, data: impl Into<Value>, id: &str) -> Result<(), Error> {
    let request =
        SendEventRequest { stream_id: stream_id.into(), event: event.into(), data: Some(data.into()), id: id.into() };
    call::<_, SendEventResponse>(TOOL, "SendEvent", &request).map(drop)
}

/// Http.AddAuthValidator: endpoints naming `name` in their `auth` field run
/// `validator` first. What it returns becomes the request's `auth`; a null
/// value or an Err refuses the request.
pub fn add_auth_validator(
    name: &str,
    validator: impl Fn(HttpRequest) -> Result<Value, Error> + MaybeSend + 'static,
) -> Result<(), Error> {
    let id = registry::add(Handler::Http(Shared::new(move |req| validator(req).map(response))));
    let request = AddAuthValidatorRequest { name: name.into(), handler_id: id.clone() };
    call::<_, AddAuthValidatorResponse>(TOOL, "AddAuthValidator", &request)
        .map(drop)
        .inspect_err(|_| registry::remove(&id))
}

/// A response with the endpoint's success status and this body.
pub fn response(body: impl Into<Value>) -> HttpResponse {
    HttpResponse { status: 0, body: Some(body.into()), headers: Default::default() }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use prost::Message;

    use super::*;
    use crate::pb::{invoke_request::Input, invoke_response::Output, InvokeRequest, ToolCall};
    use crate::testing::{invoke, reset, respond, set_kernel};

    /// A fake kernel that accepts every http call and records it.
    fn recording_kernel() -> Rc<RefCell<Vec<ToolCall>>> {
        let calls = Rc::new(RefCell::new(Vec::new()));
        let seen = calls.clone();
        set_kernel(move |call| {
            seen.borrow_mut().push(call.clone());
            match call.method.as_str() {
                "AddStream" => respond(&AddStreamResponse {}),
                "SendEvent" => respond(&SendEventResponse {}),
                _ => respond(&AddAuthValidatorResponse {}),
            }
        });
        calls
    }

    fn request(handler_id: &str, stream_id: &str) -> InvokeRequest {
        let req = HttpRequest { stream_id: stream_id.into(), ..HttpRequest::default() };
        InvokeRequest { handler_id: handler_id.into(), input: Some(Input::Http(req)) }
    }

    #[test]
    fn a_stream_handler_sends_events_on_its_stream() {
        reset();
        let calls = recording_kernel();
        add_stream("/ticks", |req| send_event(&req.stream_id, "tick", 7i64, "1")).unwrap();
        let added = AddStreamRequest::decode(calls.borrow()[0].request.as_slice()).unwrap();
        assert_eq!((calls.borrow()[0].method.as_str(), added.path.as_str()), ("AddStream", "/ticks"));
        let out = invoke(request(&added.handler_id, "s-1")).output;
        assert!(matches!(out, Some(Output::Http(_))), "{out:?}");
        let sent = SendEventRequest::decode(calls.borrow()[1].request.as_slice()).unwrap();
        assert_eq!((sent.stream_id.as_str(), sent.event.as_str(), sent.id.as_str()), ("s-1", "tick", "1"));
        assert_eq!(sent.data.and_then(|v| v.as_i64()), Some(7));
    }

    #[test]
    fn a_validator_answers_with_its_claims_as_the_body() {
        reset();
        let calls = recording_kernel();
        add_auth_validator("bearer", |_| Ok(Value::from("ada"))).unwrap();
        let added = AddAuthValidatorRequest::decode(calls.borrow()[0].request.as_slice()).unwrap();
        assert_eq!(added.name, "bearer");
        match invoke(request(&added.handler_id, "")).output {
            Some(Output::Http(res)) => assert_eq!(res.body.as_ref().and_then(|v| v.as_str()), Some("ada")),
            other => panic!("unexpected {other:?}"),
        }
    }
}
