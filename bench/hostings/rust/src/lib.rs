//! The bench endpoint in Rust (bench/hostings.ts). One source, two hostings: the
//! wasm module and, built natively (src/main.rs), the sidecar; the manifest's
//! config "hosting" names the path segment. GET /bench/<hosting>/item/:id reads
//! one row with db::query_one and answers it; ?calls=K makes the same query K
//! times, so the bench can price one tool call. Its twins are
//! ../ts/bench-item.ts and ../go.

use std::sync::OnceLock;

use microcore::http::{self, Endpoint, HttpRequest, HttpResponse};
use microcore::{codes, db, Error, OnBootRequest, Value};

const QUERY: &str = "SELECT id, name, price FROM bench_items WHERE id = ?";
const MAX_CALLS: u32 = 100;

// A sidecar runs handlers on many threads: what on_boot learns is shared.
static HOSTING: OnceLock<String> = OnceLock::new();

fn hosting() -> &'static str {
    HOSTING.get().map_or("rust", String::as_str)
}

microcore::plugin!(on_boot);

fn on_boot(req: OnBootRequest) -> Result<(), Error> {
    let _ = HOSTING.set(req.config.get("hosting").cloned().unwrap_or_else(|| "rust".into()));
    http::add_endpoint(Endpoint::new("GET", format!("/bench/{}/item/:id", hosting())), item)
}

fn item(req: HttpRequest) -> Result<HttpResponse, Error> {
    let calls = match req.query.get("calls") {
        None => 1,
        Some(c) => c.parse::<u32>().ok().filter(|n| (1..=MAX_CALLS).contains(n)).ok_or_else(|| {
            let what = format!(
                "GET /bench/{}/item/:id: calls must be a whole number from 1 to {MAX_CALLS} (received {c:?})",
                hosting()
            );
            Error::new(codes::INVALID_ARGUMENT, what)
        })?,
    };
    let id = req.params.get("id").cloned().unwrap_or_default();
    let mut one = db::query_one(QUERY, [Value::from(id.as_str())])?;
    for _ in 1..calls {
        one = db::query_one(QUERY, [Value::from(id.as_str())])?;
    }
    match one.row {
        Some(row) if one.found => Ok(http::response(row)),
        _ => Err(Error::new(codes::NOT_FOUND, format!("no bench item with id {id}"))),
    }
}
