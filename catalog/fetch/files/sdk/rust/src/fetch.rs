//! The fetch tool: outbound HTTP to the hosts the plugin's manifest allows
//! (`"tools": { "fetch": { "allow": ["api.example.org"] } }` in sidecar.json or
//! plugin.json; docs/tools/fetch.md). A host not allowed, or a non-public
//! address the list does not name, is `MC_ERR_CAP_DENIED`; an HTTP error status
//! (404, 500) is a response, not an `Err`.
//!
//! ```no_run
//! let page = microcore::fetch::get("https://api.example.org/items")?;
//! assert_eq!(page.status, 200);
//! # Ok::<(), microcore::Error>(())
//! ```

use crate::call::call;
use crate::Error;

pub use crate::pb::{FetchRequestRequest, FetchRequestResponse};

const TOOL: &str = "fetch";

/// Fetch.Request with GET: the final response (redirects followed, each
/// checked against the allow list), with `url` the one that answered.
pub fn get(url: &str) -> Result<FetchRequestResponse, Error> {
    request(&FetchRequestRequest { method: "GET".into(), url: url.into(), ..Default::default() })
}

/// Fetch.Request as given: method, url, headers, body, and optionally
/// `timeout_ms`, `max_response_bytes` (0 takes the kernel's FETCH_TIMEOUT_MS and
/// FETCH_MAX_BYTES, which also cap them) and `manual_redirects`.
pub fn request(request: &FetchRequestRequest) -> Result<FetchRequestResponse, Error> {
    call(TOOL, "Request", request)
}
