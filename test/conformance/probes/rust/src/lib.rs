//! The conformance probe in Rust (wasm): runs one case through the SDK's public
//! wrappers, the way a plugin author calls them. The same endpoint and answers
//! as the TS and Go probes (../ts, ../go): POST /conformance/rust/run with
//! { tool, method, request: base64 of the proto request }, answering
//! { response: base64 } or { error }. Calls that only work in on_boot (routes)
//! come as config CONF_BOOT_rust, one "tool method base64" per line; their
//! outcomes answer { tool: "_boot", method: "<index>" }.

mod base64;
mod methods;

use std::cell::RefCell;

use microcore::http::{self, Endpoint, HttpRequest, HttpResponse};
use microcore::{codes, config, Error, OnBootRequest, Value, ValueMap};

const HOSTING: &str = "rust";

thread_local! {
    static BOOT: RefCell<Vec<ValueMap>> = const { RefCell::new(Vec::new()) };
}

microcore::plugin!(on_boot);

fn on_boot(_: OnBootRequest) -> Result<(), Error> {
    http::add_endpoint(Endpoint::new("POST", format!("/conformance/{HOSTING}/run")), run)?;
    let calls = config::get(&format!("CONF_BOOT_{HOSTING}"), None)?;
    for line in calls.value.lines().filter(|l| !l.is_empty()) {
        let mut parts = line.split(' ');
        let (tool, method, request) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let answer = outcome(tool, method, request);
        BOOT.with(|b| b.borrow_mut().push(answer));
    }
    Ok(())
}

fn run(req: HttpRequest) -> Result<HttpResponse, Error> {
    let body = req.body.as_ref().and_then(Value::as_map).cloned().unwrap_or_default();
    let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let (tool, method) = (text("tool"), text("method"));
    if tool == "_boot" {
        let made = BOOT.with(|b| b.borrow().len());
        let answer = method.parse::<usize>().ok().and_then(|i| BOOT.with(|b| b.borrow().get(i).cloned()));
        return answer.map(http::response).ok_or_else(|| {
            Error::new(codes::INVALID_ARGUMENT, format!("conformance probe ({HOSTING}): no boot call {method:?} (made {made})"))
        });
    }
    Ok(http::response(outcome(&tool, &method, &text("request"))))
}

/// One call's { response } or { error }, as every probe answers it.
fn outcome(tool: &str, method: &str, request: &str) -> ValueMap {
    let result = base64::decode(request)
        .ok_or_else(|| Error::new(codes::INVALID_ARGUMENT, "conformance probe: request is not base64"))
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
