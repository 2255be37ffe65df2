//! The parity endpoints in Rust: the same tool calls as domains/parity (TS) and
//! sidecars/parity-go, under /parity/rust/. A test compares the three hostings'
//! answers, so every handler returns what it received, unchanged: the row as
//! read, the kernel's error as sent.

use microcore::db::{self, Statement};
use microcore::http::{self, Endpoint, HttpRequest, HttpResponse};
use microcore::{codes, logger, state, Error, OnBootRequest, Value, ValueMap};

/// The hosting name: the path segment and the `hosting` column.
const HOSTING: &str = "rust";
/// Past 2^53: a double would round it to ...992.
const BIG: i64 = 9_007_199_254_740_993;
const BLOB: [u8; 4] = [0x00, 0xff, 0x10, 0x80];
const TEXT: &str = "héllo wörld ✓ 日本語 🚀";

microcore::plugin!(on_boot);

fn on_boot(_: OnBootRequest) -> Result<(), Error> {
    let path = |name: &str| format!("/parity/{HOSTING}/{name}");
    http::add_endpoint(Endpoint::new("POST", path("values")), values)?;
    http::add_endpoint(Endpoint::new("POST", path("tx-fail")), tx_fail)?;
    http::add_endpoint(Endpoint::new("GET", path("denied")), denied)?;
    http::add_endpoint(Endpoint::new("GET", path("bad-sql")), bad_sql)?;
    http::add_endpoint(Endpoint::new("GET", path("count")), count)?;
    http::add_endpoint(Endpoint::new("POST", path("execute")), execute)
}

/// Writes one row of every value kind and answers with it as read back.
fn values(_: HttpRequest) -> Result<HttpResponse, Error> {
    let insert = Statement::new(
        "INSERT INTO parity_items (hosting, big, blob, absent, text) VALUES (?, ?, ?, ?, ?)",
        [HOSTING.into(), BIG.into(), BLOB.to_vec().into(), Value::null(), TEXT.into()],
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
    logger::info("parity values written", [("hosting", HOSTING.into())])?;
    Ok(http::response(row))
}

/// A transaction whose second statement fails: the first must not commit.
fn tx_fail(_: HttpRequest) -> Result<HttpResponse, Error> {
    db::transaction(vec![
        Statement::new("INSERT INTO parity_items (hosting, text) VALUES (?, 'tx-fail')", [HOSTING.into()]),
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
    let done = db::execute("INSERT INTO parity_items (hosting, text) VALUES (?, 'execute')", [HOSTING.into()])?;
    Ok(http::response(ValueMap::from_iter([
        ("changes", Value::from(done.changes)),
        ("lastInsertId", Value::from(done.last_insert_id)),
    ])))
}

fn count(_: HttpRequest) -> Result<HttpResponse, Error> {
    let one = db::query_one("SELECT COUNT(*) AS n FROM parity_items WHERE hosting = ?", [HOSTING.into()])?;
    let n = one.row.as_ref().and_then(|row| row.get("n")).cloned().unwrap_or_else(Value::null);
    Ok(http::response(ValueMap::from_iter([("n", n)])))
}

/// A call that should have failed did not: the parity test reports it.
fn unexpected(what: &str) -> Error {
    Error::new(
        codes::INTERNAL,
        format!("wasm/parity-rust: {what}. The kernel or its db tool changed; compare with domains/parity."),
    )
    .with_detail("hosting", HOSTING)
}

#[cfg(test)]
mod tests {
    use microcore::pb::{invoke_request::Input, invoke_response::Output, InvokeRequest};
    use microcore::testing;

    use super::*;

    #[test]
    fn denied_returns_the_kernel_error_unchanged() {
        testing::reset();
        let refusal = Error::new(codes::CAP_DENIED, "wasm/parity-rust needs no 'state'").with_detail("tool", "state");
        let sent = refusal.clone();
        testing::set_kernel(move |call| match call.tool.as_str() {
            "http" => testing::respond(&microcore::pb::AddEndpointResponse {}),
            _ => testing::fail(sent.clone()),
        });
        assert_eq!(testing::boot(on_boot, OnBootRequest::default()).error, None);
        let denied = InvokeRequest { handler_id: "h3".into(), input: Some(Input::Http(HttpRequest::default())) };
        let out = testing::invoke(denied).output;
        assert_eq!(out, Some(Output::Error(refusal.into())));
    }
}
