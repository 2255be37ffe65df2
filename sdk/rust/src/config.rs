//! The config tool: the project's settings (.env and environment). The
//! manifest's own `config` arrives in OnBootRequest.config instead.

use crate::call::call;
use crate::pb::{ConfigGetRequest, ConfigRequireRequest};
use crate::Error;

pub use crate::pb::{ConfigGetResponse, ConfigRequireResponse};

const TOOL: &str = "config";

/// Config.Get: `found` false when the key is unset and `default_value` is None.
pub fn get(key: &str, default_value: Option<&str>) -> Result<ConfigGetResponse, Error> {
    call(TOOL, "Get", &ConfigGetRequest { key: key.into(), default_value: default_value.map(Into::into) })
}

/// Config.Require: every key set and non-empty, or MC_ERR_CONFIG_MISSING.
pub fn require(keys: &[&str]) -> Result<ConfigRequireResponse, Error> {
    call(TOOL, "Require", &ConfigRequireRequest { keys: keys.iter().map(|k| k.to_string()).collect() })
}
