//! The search algorithm compiled natively, for bench/fuzzy-search.ts:
//! `cargo run --release --example native-bench -- products.json queries.json 20`
//! prints `qps <queries per second>` over at least one second of passes.

use std::time::Instant;

use catalog_search::search::{Index, Product};
use serde_json::Value;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let read = |path: &str| -> Value { serde_json::from_str(&std::fs::read_to_string(path).expect(path)).expect(path) };
    let text = |p: &Value, k: &str| p[k].as_str().unwrap_or_default().to_string();
    let products: Vec<Product> = read(&args[1])
        .as_array()
        .expect("a list of products")
        .iter()
        .map(|p| Product {
            id: p["id"].as_i64().unwrap_or_default(),
            name: text(p, "name"),
            brand: text(p, "brand"),
            category: text(p, "category"),
            sku: text(p, "sku"),
        })
        .collect();
    let queries: Vec<String> = serde_json::from_value(read(&args[2])).expect("a list of queries");
    let limit: usize = args[3].parse().expect("a limit");
    let mut index = Index::new(products);
    let mut run = |passes: usize| {
        let mut hits = 0;
        for _ in 0..passes {
            for q in &queries {
                hits += std::hint::black_box(index.search(q, limit)).len();
            }
        }
        hits
    };
    run(3); // warm-up
    let (started, mut passes) = (Instant::now(), 0);
    while started.elapsed().as_secs_f64() < 1.0 {
        run(5);
        passes += 5;
    }
    println!("qps {:.0}", (passes * queries.len()) as f64 / started.elapsed().as_secs_f64());
}
