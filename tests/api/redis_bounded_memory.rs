//! 5,000 list requests with distinct valid filters, as a crawler or an attacker varying
//! `minPrice`, `search`, `limit` and `page` would send them, against the default settings:
//! the keys and bytes they leave in Redis stay under the documented bound
//! (`2 × CACHE_LIST_FILL_BUDGET` list and count entries, each at most
//! `CACHE_MAX_ENTRY_BYTES`), and a query that repeats is still cached afterwards.

use std::sync::Arc;

use futures_util::StreamExt;
use serde_json::json;

use crate::helpers::{shared_servers, spawn_app_on, RedisServer, TestApp};

/// `CACHE_LIST_FILL_BUDGET` and `CACHE_MAX_ENTRY_BYTES` defaults (see the README).
const BUDGET: u64 = 1_000;
const MAX_ENTRY_BYTES: u64 = 64 * 1024;

/// Number of keys matching `pattern` and their `MEMORY USAGE` in bytes, in one script.
async fn keys_and_bytes(app: &TestApp, pattern: &str) -> (u64, u64) {
    use fred::prelude::ClientLike;
    const SUM: &str = "local n, b, c = 0, 0, '0' \
        repeat local r = redis.call('SCAN', c, 'MATCH', ARGV[1], 'COUNT', 1000) c = r[1] \
        for _, k in ipairs(r[2]) do n = n + 1 b = b + (redis.call('MEMORY', 'USAGE', k) or 0) end \
        until c == '0' return {n, b}";
    let redis = app.redis().await;
    let pattern = format!("{}{pattern}", app.settings.redis.key_prefix);
    let (keys, bytes): (u64, u64) = redis
        .custom(fred::cmd!("EVAL"), vec![SUM, "0", pattern.as_str()])
        .await
        .unwrap();
    (keys, bytes)
}

/// The `i`-th of 5,000 distinct, valid list queries.
fn distinct_query(i: u64) -> String {
    match i % 4 {
        0 => format!("minPrice={}.{:02}", i / 100, i % 100),
        1 => format!("search=word{i}"),
        2 => format!("limit={}&page={}", 1 + i % 100, 1 + i / 100),
        _ => format!("maxPrice={}.{:02}&sort=price", 100 + i / 100, i % 100),
    }
}

fn x_cache(response: &reqwest::Response) -> String {
    response.headers()["x-cache"].to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_distinct_list_queries_leave_a_bounded_footprint() {
    let redis = RedisServer::start();
    let app = Arc::new(spawn_app_on(&shared_servers().mongo_uri, &redis.url()).await);
    for i in 0..20 {
        app.create_product(json!({"name": format!("Bounded {i}"), "price": 10 + i}))
            .await;
    }
    let statuses: Vec<u16> = futures_util::stream::iter(0..5_000_u64)
        .map(|i| {
            let app = app.clone();
            async move {
                app.list_products(&distinct_query(i))
                    .await
                    .status()
                    .as_u16()
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 200), "every query is valid");
    let (list_keys, list_bytes) = keys_and_bytes(&app, "products:list:*").await;
    let (count_keys, _) = keys_and_bytes(&app, "products:count:*").await;
    let (all_keys, all_bytes) = keys_and_bytes(&app, "*").await;
    let not_admitted = app.metric("cache_fills_not_admitted_total").await;
    println!(
        "5,000 distinct list queries: {list_keys} list entries ({list_bytes} bytes), \
         {count_keys} count entries, {all_keys} keys in all ({all_bytes} bytes); \
         {not_admitted} pages served but not stored"
    );
    assert!(list_keys + count_keys <= 2 * BUDGET, "the documented bound");
    assert!(list_bytes <= 2 * BUDGET * MAX_ENTRY_BYTES);
    assert!(
        list_keys <= BUDGET / 2 + 1,
        "one-off queries spend at most half the budget of a window"
    );
    assert!(not_admitted >= 4_000, "the flood was mostly not stored");

    let repeated = "search=bounded&limit=7";
    let statuses: Vec<String> = {
        let mut seen = Vec::new();
        for _ in 0..3 {
            seen.push(x_cache(&app.list_products(repeated).await));
        }
        seen
    };
    assert_eq!(
        statuses,
        ["MISS", "MISS", "HIT"],
        "past half the budget a query is stored on its second request"
    );
}
