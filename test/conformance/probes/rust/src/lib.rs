//! The conformance probe in Rust: runs one case through the SDK's public
//! wrappers, the way a plugin author calls them. One source, two hostings: the
//! wasm module ("rust") and, built natively (src/main.rs), the sidecar
//! ("rustsc"); the manifest's config names it. The same endpoint and answers
//! as the TS and Go probes (../ts, ../go): POST /conformance/<hosting>/run with
//! { tool, method, request: base64 of the proto request }, answering
//! { response: base64 } or { error }. Calls that only work in on_boot (routes)
//! come as config CONF_BOOT_<hosting>, one "tool method base64" per line; their
//! outcomes answer { tool: "_boot", method: "<index>" }.

mod base64;
mod methods;
// microcore add: probe modules

use std::sync::{Mutex, OnceLock};

use microcore::http::{self, Endpoint, HttpRequest, HttpResponse};
use microcore::{codes, config, Error, OnBootRequest, Value, ValueMap};

// A sidecar runs handlers on many threads: what on_boot learns is shared, not thread-local.
static HOSTING: OnceLock<String> = OnceLock::new();
static BOOT: Mutex<Vec<ValueMap>> = Mutex::new(Vec::new());

fn hosting() -> &'static str {
    HOSTING.get().map_or("rust", String::as_str)
}

microcore::plugin!(on_boot);

fn on_boot(req: OnBootRequest) -> Result<(), Error> {
    let _ = HOSTING.set(req.config.get("hosting").cloned().unwrap_or_else(|| "rust".into()));
    let hosting = hosting();
    // A wasm instance booted again (after a trap) answers its boot calls afresh.
    BOOT.lock().unwrap_or_else(|e| e.into_inner()).clear();
    http::add_endpoint(Endpoint::new("POST", format!("/conformance/{hosting}/run")), run)?;
    let calls = config::get(&format!("CONF_BOOT_{hosting}"), None)?;
    for line in calls.value.lines().filter(|l| !l.is_empty()) {
        let mut parts = line.split(' ');
        let (tool, method, request) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let answer = outcome(tool, method, request);
        BOOT.lock().unwrap_or_else(|e| e.into_inner()).push(answer);
    }
    Ok(())
}

fn run(req: HttpRequest) -> Result<HttpResponse, Error> {
    let body = req.body.as_ref().and_then(Value::as_map).cloned().unwrap_or_default();
    let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let (tool, method) = (text("tool"), text("method"));
    if tool == "_boot" {
        let boot = BOOT.lock().unwrap_or_else(|e| e.into_inner());
        let answer = method.parse::<usize>().ok().and_then(|i| boot.get(i).cloned());
        return answer.map(http::response).ok_or_else(|| {
            Error::new(codes::INVALID_ARGUMENT, format!("conformance probe ({}): no boot call {method:?} (made {})", hosting(), boot.len()))
        });
    }
    let pad = body.get("padSql").and_then(Value::as_i64).unwrap_or(0);
    Ok(http::response(outcome_padded(&tool, &method, &text("request"), pad as usize)))
}

/// One call's { response } or { error }, as every probe answers it.
fn outcome(tool: &str, method: &str, request: &str) -> ValueMap {
    outcome_padded(tool, method, request, 0)
}

/// `pad` spaces are appended to a db.Execute request's sql: a request past the
/// message limit could not itself cross into the probe.
fn outcome_padded(tool: &str, method: &str, request: &str, pad: usize) -> ValueMap {
    let result = base64::decode(request)
        .ok_or_else(|| Error::new(codes::INVALID_ARGUMENT, "conformance probe: request is not base64"))
        .and_then(|raw| if pad > 0 { methods::pad_sql(&raw, pad) } else { Ok(raw) })
        .and_then(|raw| methods::call(tool, method, &raw));
    match result {
        Ok(bytes) => ValueMap::from_iter([("response", Value::from(base64::encode(&bytes)))]),
        Err(e) => {
            let details = ValueMap::from_iter(e.details.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))));
            let error = ValueMap::from_iter([
                ("code", Value::from(e.code.as_str())),
                ("message", Value::from(e.message.as_str())),
                ("details", Value::from(details)),
            ]);
            ValueMap::from_iter([("error", Value::from(error))])
        }
    }
}
