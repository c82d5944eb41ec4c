//! Entries past their TTL while MongoDB is frozen: what was read is served, marked stale;
//! what was not fails; writes fail fast; after the thaw a write is never followed by a
//! stale answer.

use std::time::{Duration, Instant};

use reqwest::Response;
use serde_json::{json, Value};

use crate::helpers::{shared_servers, spawn_app_with, test_settings, MongoServer, TestApp};

const QUERY: &str = "category=stale-test&limit=50";

fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// Reads `path` on `app` and returns its status, `X-Cache`, `Cache-Status` and body.
async fn read(app: &TestApp, path: &str) -> (u16, String, String, Value) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    let (cache, verdict) = (
        header(&response, "x-cache"),
        header(&response, "cache-status"),
    );
    let body = response.json().await.unwrap_or(Value::Null);
    (status, cache, verdict, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_mongodb_frozen_read_entries_answer_stale_unread_ones_fail_writes_fail_fast_and_the_thaw_serves_no_stale_read(
) {
    let mongo = MongoServer::start();
    let settings = test_settings(
        &mongo.uri(),
        &shared_servers().redis_url,
        &[
            ("CACHE_TTL_PRODUCT_SECS", "1"),
            ("CACHE_TTL_LIST_SECS", "1"),
            ("HTTP_CACHE_TTL_PRODUCT_SECS", "1"),
            // Past its TTL an entry goes to MongoDB at once: only an outage serves it.
            ("CACHE_STALE_WHILE_REVALIDATE_SECS", "0"),
            ("CACHE_STALE_IF_ERROR_SECS", "300"),
            // Long enough that a write answered well inside it was turned away at once.
            ("MONGODB_OPERATION_TIMEOUT_MS", "2000"),
            ("CONSISTENCY_CHECK_INTERVAL_SECS", "0"),
        ],
    );
    let a = spawn_app_with(settings.clone()).await;
    let b = spawn_app_with(settings).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let product = a
            .create_product(json!({"name": format!("Stale {i}"), "category": "stale-test"}))
            .await;
        ids.push(product["id"].as_str().unwrap().to_owned());
    }
    // Writes fill the cache; retire every product entry so only reads below fill it.
    let dropped = a
        .client
        .delete(a.url("/api/cache/invalidate?scope=products"))
        .bearer_auth(&a.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(dropped.status(), 200);
    let (read_ids, unread_ids) = ids.split_at(4);
    let mut read_paths: Vec<String> = read_ids
        .iter()
        .map(|id| format!("/api/products/{id}"))
        .collect();
    read_paths.push(format!("/api/products?{QUERY}"));
    read_paths.push(format!("/api/products/count?{QUERY}"));
    for app in [&a, &b] {
        for path in &read_paths {
            assert_eq!(read(app, path).await.0, 200, "{path}");
        }
    }
    // Every TTL (1 s, +10 % jitter), stored response and near-tier copy has expired.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    mongo.freeze();

    for app in [&a, &b] {
        for path in &read_paths {
            let (status, cache, verdict, body) = read(app, path).await;
            assert_eq!(status, 200, "{path}: {body}");
            assert_eq!(cache, "STALE", "{path}");
            assert!(
                verdict.contains("fwd=stale") && verdict.contains("stale-if-error"),
                "{path}: {verdict}"
            );
        }
        for id in unread_ids {
            let (status, ..) = read(app, &format!("/api/products/{id}")).await;
            assert_eq!(status, 503, "an unread product has nothing to serve");
        }
    }
    // The reads above found MongoDB silent, so its circuit is open: writes fail at once
    // instead of each waiting out the operation deadline.
    for app in [&a, &b] {
        let started = Instant::now();
        let write = app
            .put_product(&unread_ids[0], &json!({"stock": 1}), None)
            .await;
        let took = started.elapsed();
        assert_eq!(write.status(), 503);
        println!("a write while MongoDB is frozen: 503 after {took:?} (operation deadline 2 s)");
        assert!(took < Duration::from_secs(1), "{took:?}");
    }

    mongo.thaw();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let written = a
            .put_product(&read_ids[0], &json!({"stock": 777}), None)
            .await;
        if written.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "no write after the thaw");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let product = format!("/api/products/{}", read_ids[0]);
    let (status, cache, _, body) = read(&a, &product).await;
    assert_eq!((status, body["data"]["stock"].as_i64()), (200, Some(777)));
    assert_ne!(cache, "STALE");
    let listed = |body: &Value| {
        body["data"]["products"]
            .as_array()
            .and_then(|items| items.iter().find(|p| p["id"] == read_ids[0].as_str()))
            .and_then(|p| p["stock"].as_i64())
    };
    let (_, cache, _, body) = read(&a, &format!("/api/products?{QUERY}")).await;
    assert_eq!(listed(&body), Some(777), "{body}");
    assert_ne!(cache, "STALE");
    // The other instance: no stale answer at all; the new data once Redis' invalidation
    // has reached its near tier (bounded by NEAR_CACHE_TTL_MS, 1 s).
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let (_, product_cache, _, one) = read(&b, &product).await;
        let (_, list_cache, _, page) = read(&b, &format!("/api/products?{QUERY}")).await;
        assert_ne!(product_cache, "STALE");
        assert_ne!(list_cache, "STALE");
        if one["data"]["stock"].as_i64() == Some(777) && listed(&page) == Some(777) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "instance b still shows the old stock"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
