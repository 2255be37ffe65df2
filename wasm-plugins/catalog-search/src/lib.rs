//! GET /catalog/search?q=...&limit=20: ranked, typo-tolerant search over the
//! products table (domains/catalog), answered from an index in guest memory.
//! The algorithm is search.rs; domains/catalog/plugins/search-catalog.ts is its
//! TypeScript twin and must answer the same.
//!
//! The index is built on the first search, not in on_boot: the kernel boots a
//! module again after a timed-out call, and whatever the guest held is gone then
//! (NOTES.md, Hostings), so the handler rebuilds it whenever it is missing.

pub mod search;

use std::cell::RefCell;

use microcore::db;
use microcore::http::{self, Endpoint, HttpRequest, HttpResponse};
use microcore::{codes, logger, Error, OnBootRequest, Value, ValueMap};
use search::{Index, Product};

/// limit when the query string has none, and the most it may ask for.
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;
/// Longer queries are refused rather than cut, so a client learns the bound.
const MAX_QUERY_CHARS: usize = 200;
/// The catalog is read in pages by id: one answer holding every product of a
/// large catalog would pass the kernel's message limit (MC_MESSAGE_LIMIT_BYTES,
/// 8 MiB by default: about 80,000 products).
const PRODUCTS_SQL: &str = "SELECT id, name, brand, category, sku FROM products WHERE id > ? ORDER BY id LIMIT ?";
const PAGE: i64 = 5000;

thread_local! {
    static INDEX: RefCell<Option<Index>> = const { RefCell::new(None) };
}

microcore::plugin!(on_boot);

fn on_boot(_: OnBootRequest) -> Result<(), Error> {
    http::add_endpoint(
        Endpoint {
            summary: "Search the catalog: the best matches for q, typos forgiven (Rust wasm module)".into(),
            response_schema_json: RESPONSE_SCHEMA.into(),
            ..Endpoint::new("GET", "/catalog/search")
        },
        search_endpoint,
    )
}

const RESPONSE_SCHEMA: &str = r#"{"type":"object","properties":{"results":{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"},"name":{"type":"string"},"score":{"type":"integer"}}}}}}"#;

fn search_endpoint(req: HttpRequest) -> Result<HttpResponse, Error> {
    let (q, limit) = parse(&req)?;
    let hits = INDEX.with(|cell| -> Result<_, Error> {
        let mut index = cell.borrow_mut();
        if index.is_none() {
            *index = Some(load()?);
        }
        Ok(index.as_mut().map(|i| i.search(q, limit)).unwrap_or_default())
    })?;
    let results: Vec<Value> = hits
        .into_iter()
        .map(|h| {
            ValueMap::from_iter([("id", Value::from(h.id)), ("name", h.name.into()), ("score", h.score.into())]).into()
        })
        .collect();
    Ok(http::response(ValueMap::from_iter([("results", Value::from(results))])))
}

/// q (required, 1–200 characters, not only spaces) and limit (1–100, default 20).
fn parse(req: &HttpRequest) -> Result<(&str, usize), Error> {
    let q = req.query.get("q").map(String::as_str).unwrap_or_default();
    if q.trim().is_empty() || q.chars().count() > MAX_QUERY_CHARS {
        return Err(invalid(format!(
            "query parameter q must be 1 to {MAX_QUERY_CHARS} characters and not blank (received {} characters)",
            q.chars().count()
        )));
    }
    let limit = match req.query.get("limit") {
        None => DEFAULT_LIMIT,
        // Digits only: Rust's parse would also take "+5", which the TS twin refuses.
        Some(text) => match text.bytes().all(|b| b.is_ascii_digit()).then(|| text.parse::<usize>()) {
            Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(invalid(format!(
                    "query parameter limit must be a whole number from 1 to {MAX_LIMIT} (received '{text}')"
                )))
            }
        },
    };
    Ok((q, limit))
}

fn invalid(what: String) -> Error {
    Error::new(codes::HTTP_VALIDATION, format!("wasm/catalog-search GET /catalog/search: {what}"))
        .with_fix("Send ?q=<text to find>, and &limit=<1 to 100> to get other than 20 results.")
}

/// Reads every product once through Db.Query, a page at a time, and indexes it.
fn load() -> Result<Index, Error> {
    let text = |row: &ValueMap, key: &str| row.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
    let mut products: Vec<Product> = Vec::new();
    loop {
        let after = products.last().map_or(i64::MIN, |p| p.id);
        let rows = db::query(PRODUCTS_SQL, [Value::from(after), Value::from(PAGE)])?.rows;
        let full = rows.len() as i64 == PAGE;
        products.extend(rows.iter().map(|row| Product {
            id: row.get("id").and_then(Value::as_i64).unwrap_or_default(),
            name: text(row, "name"),
            brand: text(row, "brand"),
            category: text(row, "category"),
            sku: text(row, "sku"),
        }));
        if !full {
            break;
        }
    }
    logger::info("catalog indexed", [("products", Value::from(products.len() as i64))])?;
    Ok(Index::new(products))
}

#[cfg(test)]
mod tests;
