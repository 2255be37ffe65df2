//! The recommendations sidecar, the Rust example to start a sidecar from
//! (README, "Examples"): "customers who bought this also bought".
//!
//! - On order.created {orderId, sku, quantity, email} it counts the customer
//!   once more for every pair of products they have now bought (purchases.rs):
//!   one transaction per event, once per event id.
//! - It serves GET /catalog/:sku/recommendations?limit=N (recommend.rs): the
//!   top N (default 5, at most 50) by customers, then by sku (ranking.rs), with
//!   the catalog's product names when domains/catalog's products table is there.
//!
//! It owns its tables (migrations/001_recommendations.sql) and needs db, bus,
//! http and logger (sidecar.json). The SDK's `plugin!` makes `serve()`, which
//! hands the kernel's calls to the synchronous handlers below.

mod purchases;
mod ranking;
mod recommend;

use std::sync::OnceLock;

use microcore::bus::{self, Subscription};
use microcore::http::{self, Endpoint, HttpRequest, HttpResponse};
use microcore::{db, logger, Error, OnBootRequest};

microcore::plugin!(on_boot);

/// Whether the products table is there to name recommendations; set in on_boot,
/// after every migration ran, so a project without domains/catalog still works.
static CATALOG: OnceLock<bool> = OnceLock::new();

fn on_boot(_: OnBootRequest) -> Result<(), Error> {
    let catalog = db::describe_schema()?
        .tables
        .iter()
        .any(|t| t.name == "products" && ["sku", "name"].iter().all(|c| t.columns.iter().any(|col| col.name == *c)));
    let _ = CATALOG.set(catalog);
    // A failed count (db busy, sidecar restarting) is retried by the bus, then
    // dead-lettered to _dlq.order.created; the event-id record makes a retry of
    // a count that did commit change nothing.
    bus::subscribe(Subscription::new("order.created"), purchases::on_order_created)?;
    let endpoint = Endpoint {
        summary: "Customers who bought this also bought: the top ?limit= (default 5, at most 50)".into(),
        tags: vec!["catalog".into()],
        response_schema_json: recommend::RESPONSE_SCHEMA.into(),
        // The kernel refuses a bad ?limit= (422 naming it) before the handler runs;
        // the handler's own check stays for a schema loosened later.
        query_schema_json: QUERY_SCHEMA.into(),
        ..Endpoint::new("GET", "/catalog/:sku/recommendations")
    };
    http::add_endpoint(endpoint, recommendations)?;
    logger::info("recommendations ready", [("catalogNames", catalog.into())])
}

const QUERY_SCHEMA: &str = r#"{"type":"object","properties":{"limit":{"type":"integer","minimum":1,"maximum":50,"default":5,"description":"How many recommendations."}}}"#;

fn recommendations(req: HttpRequest) -> Result<HttpResponse, Error> {
    recommend::recommendations(&req, CATALOG.get().copied().unwrap_or(false))
}

fn main() {
    serve();
}
