//! The logger tool. The kernel adds the plugin identity and the trace id.

use crate::call::call;
use crate::pb::{LogRequest, LogResponse};
use crate::{Error, Value};

pub use crate::pb::LogLevel;

const TOOL: &str = "logger";

/// Logger.Log: one line with structured fields, e.g. `[("hosting", "rust".into())]`.
pub fn log<'a>(
    level: LogLevel,
    message: &str,
    fields: impl IntoIterator<Item = (&'a str, Value)>,
) -> Result<(), Error> {
    let request = LogRequest {
        level: level as i32,
        message: message.to_string(),
        fields: fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    };
    call::<_, LogResponse>(TOOL, "Log", &request).map(drop)
}

pub fn debug<'a>(message: &str, fields: impl IntoIterator<Item = (&'a str, Value)>) -> Result<(), Error> {
    log(LogLevel::Debug, message, fields)
}

pub fn info<'a>(message: &str, fields: impl IntoIterator<Item = (&'a str, Value)>) -> Result<(), Error> {
    log(LogLevel::Info, message, fields)
}

pub fn warn<'a>(message: &str, fields: impl IntoIterator<Item = (&'a str, Value)>) -> Result<(), Error> {
    log(LogLevel::Warn, message, fields)
}

pub fn error<'a>(message: &str, fields: impl IntoIterator<Item = (&'a str, Value)>) -> Result<(), Error> {
    log(LogLevel::Error, message, fields)
}
