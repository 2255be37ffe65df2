//! The ranking rule, kept free of tool calls so `cargo test` pins it: most
//! customers first, ties by sku (byte order, as SQLite's BINARY collation
//! sorts), at most `limit` of them.

use std::cmp::Reverse;

use microcore::{codes, Error, Value, ValueMap};

/// Recommendations when the request names no limit.
pub const DEFAULT_LIMIT: usize = 5;
/// The most one request may ask for.
pub const MAX_LIMIT: usize = 50;

/// One product bought by customers who also bought the product asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommendation {
    pub sku: String,
    /// The catalog's name for it; None when the catalog does not list it.
    pub name: Option<String>,
    /// How many customers bought both.
    pub count: i64,
}

impl From<Recommendation> for Value {
    fn from(r: Recommendation) -> Value {
        ValueMap::from_iter([("sku", Value::from(r.sku)), ("name", r.name.into()), ("count", r.count.into())]).into()
    }
}

/// The top `limit` of `candidates`: by count, highest first, then by sku.
pub fn rank(mut candidates: Vec<Recommendation>, limit: usize) -> Vec<Recommendation> {
    candidates.sort_unstable_by(|a, b| (Reverse(a.count), &a.sku).cmp(&(Reverse(b.count), &b.sku)));
    candidates.truncate(limit);
    candidates
}

/// The `limit` query parameter: absent means DEFAULT_LIMIT; anything but a whole
/// number from 1 to MAX_LIMIT is refused (400 MC_ERR_INVALID_ARGUMENT), naming
/// the path and the value received.
pub fn parse_limit(path: &str, limit: Option<&str>) -> Result<usize, Error> {
    let Some(text) = limit else { return Ok(DEFAULT_LIMIT) };
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(Error::new(
            codes::INVALID_ARGUMENT,
            format!("GET {path}: limit must be a whole number from 1 to {MAX_LIMIT}, got '{text}'. Leave it out for {DEFAULT_LIMIT}."),
        )
        .with_detail("field", "limit")
        .with_detail("value", text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(sku: &str, count: i64) -> Recommendation {
        Recommendation { sku: sku.into(), name: None, count }
    }

    fn skus(ranked: &[Recommendation]) -> Vec<(&str, i64)> {
        ranked.iter().map(|r| (r.sku.as_str(), r.count)).collect()
    }

    #[test]
    fn most_customers_first_then_by_sku() {
        let ranked = rank(vec![r("b", 1), r("c", 3), r("a", 1), r("d", 2), r("B", 1)], 10);
        assert_eq!(skus(&ranked), [("c", 3), ("d", 2), ("B", 1), ("a", 1), ("b", 1)]);
    }

    #[test]
    fn keeps_the_top_limit_and_breaks_ties_at_the_cut_by_sku() {
        let ranked = rank(vec![r("z", 2), r("y", 2), r("x", 2), r("top", 9)], 3);
        assert_eq!(skus(&ranked), [("top", 9), ("x", 2), ("y", 2)]);
        assert!(rank(vec![], 5).is_empty());
        assert_eq!(rank(vec![r("a", 1)], 5).len(), 1);
    }

    #[test]
    fn the_answer_carries_sku_name_and_count() {
        let named = Recommendation { sku: "SON-1".into(), name: Some("Sonora Speaker".into()), count: 4 };
        let v = Value::from(named);
        let m = v.as_map().expect("a map");
        assert_eq!(m.get("sku").and_then(Value::as_str), Some("SON-1"));
        assert_eq!(m.get("name").and_then(Value::as_str), Some("Sonora Speaker"));
        assert_eq!(m.get("count").and_then(Value::as_i64), Some(4));
        assert!(Value::from(r("widget", 1)).as_map().and_then(|m| m.get("name")).is_some_and(Value::is_null));
    }

    #[test]
    fn limit_defaults_to_5_and_takes_1_to_50() {
        let path = "/catalog/widget/recommendations";
        assert_eq!(parse_limit(path, None), Ok(DEFAULT_LIMIT));
        assert_eq!(parse_limit(path, Some("1")), Ok(1));
        assert_eq!(parse_limit(path, Some("50")), Ok(50));
        for bad in ["0", "51", "-1", "2.5", "", "five", "99999999999999999999999"] {
            let err = parse_limit(path, Some(bad)).unwrap_err();
            assert_eq!(err.code, codes::INVALID_ARGUMENT, "{bad}");
            assert!(err.message.contains(&format!("got '{bad}'")) && err.message.contains(path), "{}", err.message);
            assert_eq!(err.details.get("field").map(String::as_str), Some("limit"));
        }
    }
}
