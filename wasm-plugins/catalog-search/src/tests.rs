//! Host tests: the algorithm against the vectors its TypeScript twin shares, and
//! the plugin's endpoint against a fake kernel (the db answers with the vectors'
//! products).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use microcore::pb::{invoke_request::Input, invoke_response::Output, InvokeRequest, InvokeResponse, QueryResponse};
use microcore::pb::{AddEndpointRequest, AddEndpointResponse, LogResponse, QueryRequest};
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
    boot_with(products(&vectors()))
}

/// As boot, over `catalog`: the fake db answers `WHERE id > ?1 … LIMIT ?2` as SQLite would.
fn boot_with(catalog: Vec<Product>) -> (String, Rc<Cell<u32>>) {
    testing::reset();
    let row = |p: &Product| {
        ValueMap::from_iter([
            ("id", Value::from(p.id)),
            ("name", p.name.clone().into()),
            ("brand", p.brand.clone().into()),
            ("category", p.category.clone().into()),
            ("sku", p.sku.clone().into()),
        ])
    };
    let (loads, id) = (Rc::new(Cell::new(0)), Rc::new(RefCell::new(String::new())));
    let (counter, seen) = (loads.clone(), id.clone());
    testing::set_kernel(move |call| match call.method.as_str() {
        "Query" => {
            counter.set(counter.get() + 1);
            let params = QueryRequest::decode(call.request.as_slice()).unwrap().params;
            let (after, limit) = (params[0].as_i64().unwrap(), params[1].as_i64().unwrap() as usize);
            let rows = catalog.iter().filter(|p| p.id > after).take(limit).map(row).collect();
            testing::respond(&QueryResponse { columns: vec![], rows })
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

#[test]
fn a_catalog_larger_than_a_page_is_read_in_pages_and_indexed_whole() {
    // Past one answer's worth (the kernel's message limit): 2 full pages and a last one.
    let mut catalog = products(&vectors());
    let first = catalog.iter().map(|p| p.id).max().unwrap() + 1;
    let extra = 2 * PAGE as usize + 7 - catalog.len();
    catalog.extend((0..extra as i64).map(|i| Product {
        id: first + i,
        name: if i + 1 == extra as i64 { "Zyzzyva Lamp".into() } else { format!("Gadget {i}") },
        brand: "Acme".into(),
        category: "Home".into(),
        sku: format!("X-{i}"),
    }));
    let (id, loads) = boot_with(catalog);
    let out = call(&id, &[("q", "zyzzyva"), ("limit", "1")]);
    let Some(Output::Http(res)) = out.output else { panic!("not an http answer: {out:?}") };
    let results = res.body.unwrap().as_map().unwrap().get("results").unwrap().as_list().unwrap().to_vec();
    assert_eq!(
        results[0].as_map().unwrap().get("name").and_then(Value::as_str),
        Some("Zyzzyva Lamp"),
        "the last page was indexed"
    );
    assert_eq!(loads.get(), 3, "two full pages of {PAGE}, then the last");
}
