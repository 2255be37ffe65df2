//! Host tests: the algorithm against the vectors its TypeScript twin shares, and
//! the plugin's endpoint against a fake kernel (the db answers with the vectors'
//! products).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use microcore::pb::{invoke_request::Input, invoke_response::Output, InvokeRequest, InvokeResponse, QueryResponse};
use microcore::pb::{AddEndpointRequest, AddEndpointResponse, LogResponse};
use microcore::testing;
use prost::Message;
use serde_json::Value as Json;

use super::search::{fold, tokens, Index, Product};
use super::*;

fn vectors() -> Json {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../domains/catalog/search-vectors.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read search-vectors.json")).expect("parse it")
}

fn products(v: &Json) -> Vec<Product> {
    let text = |p: &Json, k: &str| p[k].as_str().unwrap().to_string();
    v["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| Product {
            id: p["id"].as_i64().unwrap(),
            name: text(p, "name"),
            brand: text(p, "brand"),
            category: text(p, "category"),
            sku: text(p, "sku"),
        })
        .collect()
}

#[test]
fn tokens_match_the_shared_vectors() {
    for case in vectors()["tokens"].as_array().unwrap() {
        let want: Vec<String> = serde_json::from_value(case["tokens"].clone()).unwrap();
        assert_eq!(tokens(case["text"].as_str().unwrap()), want, "{}", case["text"]);
    }
    assert_eq!(fold("Crème BRÛLÉE"), "creme brulee");
}

#[test]
fn searches_rank_as_the_shared_vectors_say() {
    let v = vectors();
    let mut index = Index::new(products(&v));
    for case in v["searches"].as_array().unwrap() {
        let query = case["query"].as_str().unwrap();
        let got: Vec<(i64, u32)> =
            index.search(query, case["limit"].as_u64().unwrap() as usize).iter().map(|h| (h.id, h.score)).collect();
        let want: Vec<(i64, u32)> = case["expected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["id"].as_i64().unwrap(), e["score"].as_u64().unwrap() as u32))
            .collect();
        assert_eq!(got, want, "query {query:?}");
    }
}

#[test]
fn the_bigram_filter_loses_no_match() {
    // Every query token against every term, with no filter, must find what the index found.
    let v = vectors();
    let mut index = Index::new(products(&v));
    let mut brute = Index::new(products(&v));
    for query in ["wireles", "hedphones", "headphnoes", "smrt", "keybaord", "smartwach", "ultralihgt", "kettel"] {
        assert_eq!(index.search(query, 50), brute.search_unfiltered(query, 50), "{query}");
    }
}

/// Boots the module against a kernel whose db returns the vectors' products;
/// gives the endpoint's handler id and a count of the Db.Query calls.
fn boot() -> (String, Rc<Cell<u32>>) {
    testing::reset();
    let rows: Vec<ValueMap> = products(&vectors())
        .into_iter()
        .map(|p| {
            ValueMap::from_iter([
                ("id", Value::from(p.id)),
                ("name", p.name.into()),
                ("brand", p.brand.into()),
                ("category", p.category.into()),
                ("sku", p.sku.into()),
            ])
        })
        .collect();
    let (loads, id) = (Rc::new(Cell::new(0)), Rc::new(RefCell::new(String::new())));
    let (counter, seen) = (loads.clone(), id.clone());
    testing::set_kernel(move |call| match call.method.as_str() {
        "Query" => {
            counter.set(counter.get() + 1);
            testing::respond(&QueryResponse { columns: vec![], rows: rows.clone() })
        }
        "AddEndpoint" => {
            *seen.borrow_mut() = AddEndpointRequest::decode(call.request.as_slice()).unwrap().handler_id;
            testing::respond(&AddEndpointResponse::default())
        }
        _ => testing::respond(&LogResponse::default()),
    });
    assert_eq!(testing::boot(on_boot, OnBootRequest::default()).error, None);
    let id = id.borrow().clone();
    (id, loads)
}

fn call(id: &str, query: &[(&str, &str)]) -> InvokeResponse {
    let request = HttpRequest {
        method: "GET".into(),
        route: "/catalog/search".into(),
        query: query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..HttpRequest::default()
    };
    testing::invoke(InvokeRequest { handler_id: id.into(), input: Some(Input::Http(request)) })
}

#[test]
fn the_endpoint_answers_ranked_hits_and_loads_the_catalog_once() {
    let (id, loads) = boot();
    for _ in 0..2 {
        let out = call(&id, &[("q", "wireles hedphones"), ("limit", "2")]);
        let Some(Output::Http(res)) = out.output else { panic!("not an http answer: {out:?}") };
        let results = res.body.unwrap().as_map().unwrap().get("results").unwrap().as_list().unwrap().to_vec();
        let first = results[0].as_map().unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(first.get("name").and_then(Value::as_str), Some("Wireless Headphones"));
        assert_eq!(first.get("score").and_then(Value::as_i64), Some(1500));
    }
    assert_eq!(loads.get(), 1, "the index is built once and kept");
}

#[test]
fn bad_query_strings_are_refused_with_http_validation() {
    let (id, loads) = boot();
    let long = "x".repeat(201);
    for query in [
        vec![],
        vec![("q", "   ")],
        vec![("q", long.as_str())],
        vec![("q", "a"), ("limit", "0")],
        vec![("q", "a"), ("limit", "101")],
        vec![("q", "a"), ("limit", "ten")],
        vec![("q", "a"), ("limit", "+5")],
    ] {
        let out = call(&id, &query);
        let Some(Output::Error(err)) = out.output else { panic!("{query:?} was accepted: {out:?}") };
        assert_eq!(err.code, codes::HTTP_VALIDATION, "{query:?}");
        assert!(err.message.contains("/catalog/search"), "{}", err.message);
    }
    assert_eq!(loads.get(), 0);
}
