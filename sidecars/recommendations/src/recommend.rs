//! GET /catalog/:sku/recommendations?limit=N: the products most customers who
//! bought :sku also bought, each with how many customers bought both and its
//! catalog name.

use microcore::db;
use microcore::http::{self, HttpRequest, HttpResponse};
use microcore::{codes, Error, Value, ValueMap};

use crate::ranking::{parse_limit, rank, Recommendation};

/// With the catalog (domains/catalog's products table): names joined in.
const CANDIDATES_NAMED: &str = "SELECT r.other_sku AS sku, p.name AS name, r.customers AS count
  FROM recommendations_pairs r LEFT JOIN products p ON p.sku = r.other_sku WHERE r.sku = ?";
const CANDIDATES: &str =
    "SELECT other_sku AS sku, NULL AS name, customers AS count FROM recommendations_pairs WHERE sku = ?";

/// A sku with no pairs yet is still known when someone bought it or the catalog lists it.
/// `known` is 1 or 0 on every engine (EXISTS alone is a boolean on PostgreSQL, an integer on SQLite).
const KNOWN_OR_LISTED: &str = "SELECT CASE WHEN EXISTS (SELECT 1 FROM recommendations_purchases WHERE sku = ?)
  OR EXISTS (SELECT 1 FROM products WHERE sku = ?) THEN 1 ELSE 0 END AS known";
const KNOWN: &str =
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM recommendations_purchases WHERE sku = ?) THEN 1 ELSE 0 END AS known";

/// OpenAPI's view of the answer.
pub const RESPONSE_SCHEMA: &str = r#"{"type":"object","properties":{"sku":{"type":"string"},"recommendations":{"type":"array","items":{"type":"object","properties":{"sku":{"type":"string"},"name":{"type":["string","null"]},"count":{"type":"integer","description":"customers who bought both"}}}}}}"#;

/// The answer; `catalog` says whether the products table is there to name them.
///
/// Every candidate is read and ranked here rather than by ORDER BY … LIMIT, so
/// the rule lives in one tested function (ranking.rs). A sku's candidates are
/// the products its buyers also bought: hundreds in a shop, not millions. Past
/// that, add `ORDER BY customers DESC, other_sku LIMIT ?` (the same rule) to
/// the query.
pub fn recommendations(req: &HttpRequest, catalog: bool) -> Result<HttpResponse, Error> {
    let sku = req.params.get("sku").map(String::as_str).unwrap_or_default();
    let path = format!("/catalog/{sku}/recommendations");
    let limit = parse_limit(&path, req.query.get("limit").map(String::as_str))?;
    let rows = db::query(if catalog { CANDIDATES_NAMED } else { CANDIDATES }, [sku.into()])?.rows;
    if rows.is_empty() && !known(sku, catalog)? {
        return Err(Error::new(
            codes::NOT_FOUND,
            format!(
                "GET {path}: no product with sku '{sku}' (no order has bought it and the catalog does not list it)"
            ),
        )
        .with_detail("sku", sku));
    }
    let candidates = rows.iter().map(|row| read_row(&path, row)).collect::<Result<Vec<_>, _>>()?;
    let ranked: Vec<Value> = rank(candidates, limit).into_iter().map(Value::from).collect();
    Ok(http::response(ValueMap::from_iter([("sku", Value::from(sku)), ("recommendations", ranked.into())])))
}

fn known(sku: &str, catalog: bool) -> Result<bool, Error> {
    let one = if catalog {
        db::query_one(KNOWN_OR_LISTED, [sku.into(), sku.into()])
    } else {
        db::query_one(KNOWN, [sku.into()])
    }?;
    Ok(one.row.as_ref().and_then(|row| row.get("known")).and_then(Value::as_i64) == Some(1))
}

fn read_row(path: &str, row: &ValueMap) -> Result<Recommendation, Error> {
    let sku = row.get("sku").and_then(Value::as_str);
    let count = row.get("count").and_then(Value::as_i64);
    match (sku, count) {
        (Some(sku), Some(count)) => {
            Ok(Recommendation { sku: sku.into(), name: row.get("name").and_then(Value::as_str).map(Into::into), count })
        }
        // The migration's NOT NULL columns rule this out unless the table was changed by hand.
        _ => Err(Error::new(
            codes::INTERNAL,
            format!(
                "GET {path}: a recommendations_pairs row lacks its other_sku or customers: {row:?}. \
                 The table no longer matches sidecars/recommendations/migrations/001_recommendations.sql; restore it."
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use microcore::pb::{QueryOneRequest, QueryOneResponse, QueryRequest, QueryResponse};
    use microcore::testing::{fail, reset, respond, set_kernel};
    use prost::Message;

    use super::*;

    fn get(sku: &str, limit: Option<&str>) -> HttpRequest {
        HttpRequest {
            params: [("sku".to_string(), sku.to_string())].into(),
            query: limit.map(|l| ("limit".to_string(), l.to_string())).into_iter().collect(),
            ..HttpRequest::default()
        }
    }

    fn row(sku: &str, name: Option<&str>, count: i64) -> ValueMap {
        ValueMap::from_iter([("sku", Value::from(sku)), ("name", name.into()), ("count", count.into())])
    }

    /// A fake db: Query answers `rows`, QueryOne answers known = `known`; the SQL seen is recorded.
    fn db(rows: Vec<ValueMap>, known: i64) -> Rc<RefCell<Vec<String>>> {
        reset();
        let sql = Rc::new(RefCell::new(Vec::new()));
        let seen = sql.clone();
        set_kernel(move |call| match call.method.as_str() {
            "Query" => {
                seen.borrow_mut().push(QueryRequest::decode(call.request.as_slice()).unwrap().sql);
                respond(&QueryResponse { rows: rows.clone(), ..QueryResponse::default() })
            }
            "QueryOne" => {
                seen.borrow_mut().push(QueryOneRequest::decode(call.request.as_slice()).unwrap().sql);
                respond(&QueryOneResponse { found: true, row: Some(ValueMap::from_iter([("known", known)])) })
            }
            other => fail(Error::new(codes::CAP_DENIED, format!("db.{other} not expected"))),
        });
        sql
    }

    fn answer(res: &HttpResponse) -> (String, Vec<(String, Option<String>, i64)>) {
        let body = res.body.as_ref().and_then(Value::as_map).expect("a map body");
        let list = body.get("recommendations").and_then(Value::as_list).expect("a list");
        let items = list
            .iter()
            .map(|v| {
                let m = v.as_map().unwrap();
                let text = |k| m.get(k).and_then(Value::as_str).map(String::from);
                (text("sku").unwrap(), text("name"), m.get("count").and_then(Value::as_i64).unwrap())
            })
            .collect();
        (body.get("sku").and_then(Value::as_str).unwrap().into(), items)
    }

    #[test]
    fn ranks_the_rows_by_count_then_sku_with_names_up_to_the_limit() {
        let rows = vec![row("gizmo", None, 1), row("SON-1", Some("Speaker"), 2), row("gadget", None, 2)];
        let sql = db(rows, 1);
        let res = recommendations(&get("widget", Some("2")), true).unwrap();
        let (sku, items) = answer(&res);
        assert_eq!(sku, "widget");
        assert_eq!(items, [("SON-1".into(), Some("Speaker".into()), 2), ("gadget".into(), None, 2)]);
        assert_eq!(*sql.borrow(), [CANDIDATES_NAMED]);
    }

    #[test]
    fn without_the_catalog_no_query_names_products() {
        let sql = db(vec![], 1);
        let (_, items) = answer(&recommendations(&get("widget", None), false).unwrap());
        assert!(items.is_empty());
        assert_eq!(*sql.borrow(), [CANDIDATES, KNOWN]);
        assert!(sql.borrow().iter().all(|s| !s.contains("products")));
    }

    #[test]
    fn an_unknown_sku_is_404_naming_it() {
        let sql = db(vec![], 0);
        let err = recommendations(&get("nope", None), true).unwrap_err();
        assert_eq!(err.code, codes::NOT_FOUND);
        assert!(
            err.message.contains("'nope'") && err.message.contains("/catalog/nope/recommendations"),
            "{}",
            err.message
        );
        assert_eq!(err.details.get("sku").map(String::as_str), Some("nope"));
        assert_eq!(*sql.borrow(), [CANDIDATES_NAMED, KNOWN_OR_LISTED]);
    }

    #[test]
    fn a_bad_limit_is_refused_before_any_query() {
        let sql = db(vec![], 1);
        let err = recommendations(&get("widget", Some("51")), true).unwrap_err();
        assert_eq!(err.code, codes::INVALID_ARGUMENT);
        assert!(sql.borrow().is_empty());
    }
}
