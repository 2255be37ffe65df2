//! The http tool: endpoints served by the kernel, handled in this module.

use std::rc::Rc;

use crate::call::call;
use crate::pb::{AddEndpointRequest, AddEndpointResponse};
use crate::registry::{self, Handler};
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
    handler: impl Fn(HttpRequest) -> Result<HttpResponse, Error> + 'static,
) -> Result<(), Error> {
    let id = registry::add(Handler::Http(Rc::new(handler)));
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
    };
    call::<_, AddEndpointResponse>(TOOL, "AddEndpoint", &request).map(drop).inspect_err(|_| registry::remove(&id))
}

/// A response with the endpoint's success status and this body.
pub fn response(body: impl Into<Value>) -> HttpResponse {
    HttpResponse { status: 0, body: Some(body.into()), headers: Default::default() }
}
