//! The fetch tool's cases: a request without headers or body goes through
//! `fetch::get`, any other through `fetch::request`, as a plugin author would.

use microcore::pb::FetchRequestRequest;
use microcore::{codes, fetch, Error};
use prost::Message;

/// Answers fetch.Request; None for any other method.
pub fn call(tool: &str, method: &str, raw: &[u8]) -> Option<Result<Vec<u8>, Error>> {
    if (tool, method) != ("fetch", "Request") {
        return None;
    }
    Some(request(raw))
}

fn request(raw: &[u8]) -> Result<Vec<u8>, Error> {
    let r = FetchRequestRequest::decode(raw).map_err(|e| Error::new(codes::INVALID_ARGUMENT, format!("conformance probe: bad request message: {e}")))?;
    let plain = (r.method.is_empty() || r.method == "GET")
        && r.headers.is_empty()
        && r.body.is_empty()
        && r.timeout_ms == 0
        && r.max_response_bytes == 0
        && !r.manual_redirects;
    let out = if plain { fetch::get(&r.url)? } else { fetch::request(&r)? };
    Ok(out.encode_to_vec())
}
