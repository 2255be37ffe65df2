//! The parity endpoints in Rust: the same tool calls as domains/parity (TS) and
//! sidecars/parity-go. One source, two hostings: built for wasm32 it is the wasm
//! module of plugin.json (under /parity/rust/); built natively (src/main.rs) it
//! is the sidecar sidecars/parity-rustsc, whose manifest config sets hosting
//! "rustsc". A test compares the hostings' answers, so every handler returns
//! what it received, unchanged: the row as read, the kernel's error as sent.

use microcore::bus::{self, Envelope, Subscription};
use microcore::db::{self, Statement};
use microcore::http::{self, Endpoint, HttpRequest, HttpResponse};
use microcore::{codes, logger, state, Error, OnBootRequest, Value, ValueMap};

/// The hosting name: the path segment and the `hosting` column. "rust" unless
/// the manifest's config sets "hosting".
static HOSTING_NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
const DEFAULT_HOSTING: &str = "rust";

fn hosting() -> &'static str {
    HOSTING_NAME.get().map_or(DEFAULT_HOSTING, String::as_str)
}
/// Past 2^53: a double would round it to ...992.
const BIG: i64 = 9_007_199_254_740_993;
const BLOB: [u8; 4] = [0x00, 0xff, 0x10, 0x80];
const TEXT: &str = "héllo wörld ✓ 日本語 🚀";
/// Every twin subscribes to it and records each event.
const BROADCAST: &str = "parity.broadcast";
/// How long POST /parity/rust/request/:to waits for the echo.
const REQUEST_TIMEOUT_MS: i64 = 2000;

microcore::plugin!(on_boot);

fn on_boot(req: OnBootRequest) -> Result<(), Error> {
    let _ = HOSTING_NAME.set(req.config.get("hosting").cloned().unwrap_or_else(|| DEFAULT_HOSTING.into()));
    let hosting = hosting();
    let path = |name: &str| format!("/parity/{hosting}/{name}");
    http::add_endpoint(Endpoint::new("POST", path("values")), values)?;
    http::add_endpoint(Endpoint::new("POST", path("tx-fail")), tx_fail)?;
    http::add_endpoint(Endpoint::new("GET", path("denied")), denied)?;
    http::add_endpoint(Endpoint::new("GET", path("bad-sql")), bad_sql)?;
    http::add_endpoint(Endpoint::new("GET", path("count")), count)?;
    http::add_endpoint(Endpoint::new("POST", path("execute")), execute)?;
    // The bus comes after the endpoints above, so they keep their handler ids.
    bus::subscribe(Subscription::new(format!("parity.{hosting}.echo")), echo)?;
    bus::subscribe(Subscription::new(BROADCAST).broadcast(), record_broadcast)?;
    http::add_endpoint(Endpoint::new("POST", path("publish")), publish)?;
    http::add_endpoint(Endpoint::new("POST", path("request/:to")), request)?;
    // Last, so every handler above keeps its id.
    http::add_endpoint(Endpoint::new("POST", path("unique")), unique)?;
    // These three run into the wasm module's limits (test/wasm-limits.test.ts);
    // natively nothing caps them, so the sidecar build does not serve them (a
    // fuzzer could make it spin for minutes or allocate 4 GiB).
    if cfg!(any(target_arch = "wasm32", test)) {
        http::add_endpoint(Endpoint::new("POST", path("spin/:millions")), spin)?;
        http::add_endpoint(Endpoint::new("POST", path("hog/:mib")), hog)?;
        http::add_endpoint(Endpoint::new("POST", path("hog-extism/:mib")), hog_extism)?;
    }
    http::add_endpoint(Endpoint::new("GET", path("blob/:kib")), blob)
}

/// Busy-loops for the given millions of iterations (at most 100 000), so a test
/// can run a call past the manifest's limits.timeoutMs. Wasm has no clock here.
fn spin(req: HttpRequest) -> Result<HttpResponse, Error> {
    let millions: u64 = req.params.get("millions").and_then(|m| m.parse().ok()).unwrap_or(0).min(100_000);
    let mut x = 0u64;
    for i in 0..millions * 1_000_000 {
        x = std::hint::black_box(x.wrapping_add(i));
    }
    Ok(http::response(ValueMap::from_iter([("spun", Value::from(x as i64))])))
}

/// Allocates (and writes to) 16 MiB chunks until it holds the given MiB (at most
/// 4096), so a test can run a call into limits.memoryMaxPages. Under the cap the
/// allocation fails and the module aborts: a trap for the kernel.
fn hog(req: HttpRequest) -> Result<HttpResponse, Error> {
    const CHUNK: usize = 16 << 20;
    let mib: usize = req.params.get("mib").and_then(|m| m.parse().ok()).unwrap_or(0).min(4096);
    let mut held: Vec<Vec<u8>> = Vec::new();
    while held.len() * (CHUNK >> 20) < mib {
        // Non-zero bytes: every page is written, so it counts in the host's RSS.
        held.push(std::hint::black_box(vec![1u8; CHUNK]));
    }
    let total = held.iter().map(Vec::len).sum::<usize>() >> 20;
    Ok(http::response(ValueMap::from_iter([("mib", Value::from(total as i64))])))
}

/// Reads a zero-filled blob of :kib KiB through the db tool (the tool's result
/// crosses into the module); ?echo=2 answers with it twice (an answer twice the
/// size crosses back). For MC_MESSAGE_LIMIT_BYTES, the same in every hosting.
fn blob(req: HttpRequest) -> Result<HttpResponse, Error> {
    let kib: i64 = match req.params.get("kib").and_then(|k| k.parse().ok()) {
        Some(kib) if (0..=65536).contains(&kib) => kib,
        _ => {
            return Err(Error::new(
                codes::INVALID_ARGUMENT,
                format!("GET /parity/{}/blob/:kib takes a whole number of KiB from 0 to 65536", hosting()),
            ))
        }
    };
    let one = db::query_one("SELECT zeroblob(? * 1024) AS b", [kib.into()])?;
    let b = one.row.as_ref().and_then(|row| row.get("b")).cloned().unwrap_or_else(Value::null);
    if req.query.get("echo").map(String::as_str) == Some("2") {
        return Ok(http::response(ValueMap::from_iter([("b", b.clone()), ("c", b)])));
    }
    let bytes = b.as_bytes().map_or(-1, |v| v.len() as i64);
    Ok(http::response(ValueMap::from_iter([("bytes", Value::from(bytes))])))
}

/// Like hog, but in Extism's blocks (outside the guest's memory): copies one 16 MiB
/// chunk into a new block, never freed, until the blocks hold the given MiB (at
/// most 4096). Under the cap Extism refuses a block and storing into it fails.
fn hog_extism(req: HttpRequest) -> Result<HttpResponse, Error> {
    let mib: usize = req.params.get("mib").and_then(|m| m.parse().ok()).unwrap_or(0).min(4096);
    let chunk = vec![1u8; 16 << 20];
    let mut held = 0;
    while held < mib {
        extism_block(&chunk);
        held += 16;
    }
    Ok(http::response(ValueMap::from_iter([("mib", Value::from(held as i64))])))
}

#[cfg(target_arch = "wasm32")]
fn extism_block(bytes: &[u8]) {
    // Not freed: the kernel drops Extism's blocks when the call ends.
    std::hint::black_box(extism_pdk::Memory::from_bytes(bytes).expect("raw bytes need no encoding"));
}

/// Outside wasm there is no Extism: host tests count the chunks only.
#[cfg(not(target_arch = "wasm32"))]
fn extism_block(_: &[u8]) {}

/// Writes one row of every value kind and answers with it as read back.
fn values(_: HttpRequest) -> Result<HttpResponse, Error> {
    let insert = Statement::new(
        "INSERT INTO parity_items (hosting, big, blob, absent, text) VALUES (?, ?, ?, ?, ?)",
        [hosting().into(), BIG.into(), BLOB.to_vec().into(), Value::null(), TEXT.into()],
    );
    let select =
        Statement::new("SELECT hosting, big, blob, absent, text FROM parity_items WHERE id = last_insert_rowid()", []);
    let written = db::transaction(vec![insert, select])?;
    let row = written
        .results
        .into_iter()
        .nth(1)
        .and_then(|select| select.rows.into_iter().next())
        .ok_or_else(|| unexpected("the SELECT after the INSERT returned no row"))?;
    logger::info("parity values written", [("hosting", hosting().into())])?;
    Ok(http::response(row))
}

/// A transaction whose second statement fails: the first must not commit.
fn tx_fail(_: HttpRequest) -> Result<HttpResponse, Error> {
    db::transaction(vec![
        Statement::new("INSERT INTO parity_items (hosting, text) VALUES (?, 'tx-fail')", [hosting().into()]),
        Statement::new("INSERT INTO parity_missing_table (x) VALUES (1)", []),
    ])?;
    Err(unexpected("the transaction writing to parity_missing_table committed"))
}

/// state is not in plugin.json's needs, so the kernel refuses the call.
fn denied(_: HttpRequest) -> Result<HttpResponse, Error> {
    state::get("anything")?;
    Err(unexpected("state.Get succeeded although plugin.json does not need 'state'"))
}

fn bad_sql(_: HttpRequest) -> Result<HttpResponse, Error> {
    db::query("SELEC 1", [])?;
    Err(unexpected("db.Query accepted 'SELEC 1'"))
}

/// Db.Execute's result as it came: changes and last_insert_id.
fn execute(_: HttpRequest) -> Result<HttpResponse, Error> {
    let done = db::execute("INSERT INTO parity_items (hosting, text) VALUES (?, 'execute')", [hosting().into()])?;
    Ok(http::response(ValueMap::from_iter([
        ("changes", Value::from(done.changes)),
        ("lastInsertId", Value::from(done.last_insert_id)),
    ])))
}

/// Inserts this hosting's row twice: the second insert's unique violation is passed on.
fn unique(_: HttpRequest) -> Result<HttpResponse, Error> {
    let insert = "INSERT INTO parity_unique (hosting) VALUES (?)";
    db::execute(insert, [hosting().into()])?;
    db::execute(insert, [hosting().into()])?;
    Err(unexpected("the second insert into parity_unique succeeded"))
}

fn count(_: HttpRequest) -> Result<HttpResponse, Error> {
    let one = db::query_one("SELECT COUNT(*) AS n FROM parity_items WHERE hosting = ?", [hosting().into()])?;
    let n = one.row.as_ref().and_then(|row| row.get("n")).cloned().unwrap_or_else(Value::null);
    Ok(http::response(ValueMap::from_iter([("n", n)])))
}

/// Answers a Bus.Request with its payload unchanged, so the requester sees what
/// two hostings' conversions did to the values.
fn echo(event: Envelope) -> Result<Value, Error> {
    Ok(event.payload.unwrap_or_else(Value::null))
}

/// One row per event, naming the publisher the kernel stamped on the envelope.
fn record_broadcast(event: Envelope) -> Result<Value, Error> {
    let text = format!("event:{}", event.source);
    db::execute("INSERT INTO parity_items (hosting, text) VALUES (?, ?)", [hosting().into(), text.into()])?;
    Ok(Value::null())
}

fn publish(_: HttpRequest) -> Result<HttpResponse, Error> {
    let id = bus::publish(BROADCAST, ValueMap::from_iter([("from", hosting())]).into(), "")?;
    Ok(http::response(ValueMap::from_iter([("id", id)])))
}

/// Asks parity.<to>.echo to echo every value kind; answers the reply as it came
/// back, or the bus's error as sent.
fn request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let to = req.params.get("to").map(String::as_str).unwrap_or_default();
    let payload = ValueMap::from_iter([
        ("big", Value::from(BIG)),
        ("blob", BLOB.to_vec().into()),
        ("absent", Value::null()),
        ("text", TEXT.into()),
        ("from", hosting().into()),
    ]);
    let reply = bus::request(&format!("parity.{to}.echo"), payload.into(), REQUEST_TIMEOUT_MS)?;
    Ok(http::response(reply))
}

/// A call that should have failed did not: the parity test reports it.
fn unexpected(what: &str) -> Error {
    Error::new(
        codes::INTERNAL,
        format!("wasm/parity-rust: {what}. The kernel or its db tool changed; compare with domains/parity."),
    )
    .with_detail("hosting", hosting())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use microcore::pb::{invoke_request::Input, invoke_response::Output, InvokeRequest, InvokeResponse, ToolCall};
    use microcore::pb::{AddEndpointRequest, AddEndpointResponse, ExecuteRequest, ExecuteResponse};
    use microcore::pb::{BusRequestRequest, BusRequestResponse, PublishRequest, PublishResponse};
    use microcore::pb::{SubscribeRequest, SubscribeResponse};
    use microcore::testing;
    use prost::Message;

    use super::*;

    /// A kernel that accepts endpoints, subscriptions, publishes and Execute,
    /// echoes bus requests (none subscribes to parity.nobody.echo), refuses every
    /// other call with `refusal`, and records every call.
    fn boot_with_kernel(refusal: Error) -> Rc<RefCell<Vec<ToolCall>>> {
        testing::reset();
        let calls = Rc::new(RefCell::new(Vec::new()));
        let seen = calls.clone();
        testing::set_kernel(move |call| {
            seen.borrow_mut().push(call.clone());
            match (call.tool.as_str(), call.method.as_str()) {
                ("http", "AddEndpoint") => testing::respond(&AddEndpointResponse {}),
                ("bus", "Subscribe") => {
                    let sub = SubscribeRequest::decode(call.request.as_slice()).unwrap();
                    testing::respond(&SubscribeResponse { subscription_id: format!("sub-{}", sub.handler_id) })
                }
                ("bus", "Publish") => testing::respond(&PublishResponse { id: "ev-1".into() }),
                ("bus", "Request") => {
                    let asked = BusRequestRequest::decode(call.request.as_slice()).unwrap();
                    if asked.topic == "parity.nobody.echo" {
                        return testing::fail(
                            Error::new(codes::BUS_NO_SUBSCRIBER, "none").with_detail("topic", asked.topic),
                        );
                    }
                    testing::respond(&BusRequestResponse { payload: asked.payload })
                }
                ("db", "Execute") => testing::respond(&ExecuteResponse { changes: 1, last_insert_id: 7 }),
                _ => testing::fail(refusal.clone()),
            }
        });
        assert_eq!(testing::boot(on_boot, OnBootRequest::default()).error, None);
        calls
    }

    /// The handler id an endpoint path or a subscription topic was given.
    fn handler_id(calls: &Rc<RefCell<Vec<ToolCall>>>, name: &str) -> String {
        calls
            .borrow()
            .iter()
            .find_map(|call| match call.method.as_str() {
                "AddEndpoint" => Some(AddEndpointRequest::decode(call.request.as_slice()).unwrap())
                    .filter(|e| e.path == name)
                    .map(|e| e.handler_id),
                "Subscribe" => Some(SubscribeRequest::decode(call.request.as_slice()).unwrap())
                    .filter(|s| s.topic == name)
                    .map(|s| s.handler_id),
                _ => None,
            })
            .unwrap_or_else(|| panic!("nothing registered {name}"))
    }

    fn last<M: Message + Default>(calls: &Rc<RefCell<Vec<ToolCall>>>, method: &str) -> M {
        let calls = calls.borrow();
        let call = calls.iter().rev().find(|call| call.method == method).expect(method);
        M::decode(call.request.as_slice()).unwrap()
    }

    fn http(id: String, params: &[(&str, &str)]) -> InvokeResponse {
        let params = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let input = Input::Http(HttpRequest { method: "POST".into(), params, ..HttpRequest::default() });
        testing::invoke(InvokeRequest { handler_id: id, input: Some(input) })
    }

    fn event(id: String, envelope: Envelope) -> InvokeResponse {
        testing::invoke(InvokeRequest { handler_id: id, input: Some(Input::Event(envelope)) })
    }

    fn edge_values() -> Value {
        ValueMap::from_iter([
            ("big", Value::from(BIG)),
            ("blob", BLOB.to_vec().into()),
            ("absent", Value::null()),
            ("text", TEXT.into()),
            ("from", hosting().into()),
        ])
        .into()
    }

    #[test]
    fn denied_returns_the_kernel_error_unchanged() {
        let refusal = Error::new(codes::CAP_DENIED, "wasm/parity-rust needs no 'state'").with_detail("tool", "state");
        boot_with_kernel(refusal.clone());
        // The bus, added last, leaves the endpoints' ids as they were.
        let out = http("h3".into(), &[]).output;
        assert_eq!(out, Some(Output::Error(refusal.into())));
    }

    #[test]
    fn subscriptions_are_echo_and_broadcast() {
        let calls = boot_with_kernel(Error::default());
        let subscriptions: Vec<SubscribeRequest> = calls
            .borrow()
            .iter()
            .filter(|call| call.method == "Subscribe")
            .map(|call| SubscribeRequest::decode(call.request.as_slice()).unwrap())
            .collect();
        let shape: Vec<_> = subscriptions.iter().map(|s| (s.topic.as_str(), s.group.as_str(), s.broadcast)).collect();
        assert_eq!(shape, [("parity.rust.echo", "", false), ("parity.broadcast", "", true)]);

        let sent = Envelope { payload: Some(edge_values()), source: "sidecar/parity-go".into(), ..Envelope::default() };
        let echoed = event(handler_id(&calls, "parity.rust.echo"), sent.clone());
        assert_eq!(echoed.output, Some(Output::Value(edge_values())));

        let recorded = event(handler_id(&calls, BROADCAST), sent);
        assert_eq!(recorded.output, Some(Output::Value(Value::null())));
        let insert: ExecuteRequest = last(&calls, "Execute");
        assert_eq!(insert.sql, "INSERT INTO parity_items (hosting, text) VALUES (?, ?)");
        assert_eq!(insert.params, [Value::from("rust"), Value::from("event:sidecar/parity-go")]);
    }

    #[test]
    fn hog_holds_whole_16_mib_chunks_up_to_the_mib_asked() {
        let calls = boot_with_kernel(Error::default());
        let id = handler_id(&calls, "/parity/rust/hog/:mib");
        let Some(Output::Http(res)) = http(id, &[("mib", "40")]).output else { panic!("no http output") };
        assert_eq!(res.body, Some(ValueMap::from_iter([("mib", Value::from(48i64))]).into()));
    }

    #[test]
    fn publish_answers_the_envelope_id() {
        let calls = boot_with_kernel(Error::default());
        let Some(Output::Http(res)) = http(handler_id(&calls, "/parity/rust/publish"), &[]).output else {
            panic!("no http output")
        };
        assert_eq!(res.body, Some(ValueMap::from_iter([("id", "ev-1")]).into()));
        let published: PublishRequest = last(&calls, "Publish");
        let from = ValueMap::from_iter([("from", "rust")]).into();
        assert_eq!(published, PublishRequest { topic: BROADCAST.into(), payload: Some(from), key: String::new() });
    }

    #[test]
    fn request_answers_the_reply_or_the_error_unchanged() {
        let calls = boot_with_kernel(Error::default());
        let id = handler_id(&calls, "/parity/rust/request/:to");
        let Some(Output::Http(res)) = http(id.clone(), &[("to", "go")]).output else { panic!("no http output") };
        assert_eq!(res.body, Some(edge_values()));
        let asked: BusRequestRequest = last(&calls, "Request");
        assert_eq!((asked.topic.as_str(), asked.timeout_ms), ("parity.go.echo", 2000));
        assert_eq!(asked.payload, Some(edge_values()));

        let refused = Error::new(codes::BUS_NO_SUBSCRIBER, "none").with_detail("topic", "parity.nobody.echo");
        assert_eq!(http(id, &[("to", "nobody")]).output, Some(Output::Error(refused.into())));
    }
}
