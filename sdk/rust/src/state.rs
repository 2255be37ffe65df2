//! The state tool: key/value, namespaced by the kernel per plugin.

use crate::call::call;
use crate::pb::{StateDeleteRequest, StateGetRequest, StateSetRequest, StateSetResponse};
use crate::{Error, Value};

pub use crate::pb::{StateDeleteResponse, StateGetResponse};

const TOOL: &str = "state";

/// State.Get: `found` false when the key is absent or expired.
pub fn get(key: &str) -> Result<StateGetResponse, Error> {
    call(TOOL, "Get", &StateGetRequest { key: key.into() })
}

/// State.Set: stores a value; `ttl_ms` 0 keeps it until deleted.
pub fn set(key: &str, value: impl Into<Value>, ttl_ms: i64) -> Result<(), Error> {
    let request = StateSetRequest { key: key.into(), value: Some(value.into()), ttl_ms };
    call::<_, StateSetResponse>(TOOL, "Set", &request).map(drop)
}

/// State.Delete: `deleted` true when the key existed.
pub fn delete(key: &str) -> Result<StateDeleteResponse, Error> {
    call(TOOL, "Delete", &StateDeleteRequest { key: key.into() })
}
