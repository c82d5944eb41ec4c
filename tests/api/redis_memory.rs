//! A Redis with a small memory cap, filled past it by the service's own traffic, with the
//! eviction policy the README recommends (`volatile-ttl`): no stale read, no 5xx, and the
//! sessions of the last minute still valid or cleanly 401. The list fill budget is raised
//! far above its default here, as an operator might, so that list pages alone go past the
//! cap (with the default budget they stay far below it; see `redis_bounded_memory`).

use std::sync::Arc;

use fred::prelude::ClientLike;
use serde_json::{json, Value};

use crate::helpers::{shared_servers, spawn_app_with, test_settings, Failures, RedisServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filling_a_capped_redis_past_its_limit_keeps_the_service_correct() {
    let redis =
        RedisServer::start_with(&["--maxmemory", "3mb", "--maxmemory-policy", "volatile-ttl"]);
    let settings = test_settings(
        &shared_servers().mongo_uri,
        &redis.url(),
        &[("CACHE_LIST_FILL_BUDGET", "1000000")],
    );
    let app = Arc::new(spawn_app_with(settings).await);
    let mut ids = Vec::new();
    for i in 0..5 {
        let created = app
            .create_product(json!({
                "name": format!("Capped product {i}"),
                "description": "d".repeat(2_000),
            }))
            .await;
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let mut tokens = Vec::new();
    let (mut server_errors, mut stale, mut reads) = (0, 0, 0);
    let failures = Failures::default();
    for round in 0..40_u64 {
        // 100 distinct list queries a round, each matching all five products (~10 KB a page).
        for n in 0..100_u64 {
            let cents = round * 100 + n;
            let started = std::time::Instant::now();
            let response = app
                .list_products(&format!(
                    "minPrice={}.{:02}&limit=100",
                    cents / 100,
                    cents % 100
                ))
                .await;
            if response.status().is_server_error() {
                server_errors += 1;
                failures
                    .record("GET /api/products?minPrice=…", started, response)
                    .await;
            }
        }
        if round % 4 == 0 {
            tokens.push(app.user_token(&format!("capped{round}@example.com")).await);
        }
        let id = &ids[(round % 5) as usize];
        let stock = 100 + round;
        let update = app.put_product(id, &json!({"stock": stock}), None).await;
        assert_eq!(update.status(), 200);
        let started = std::time::Instant::now();
        let read = app.get_as(&format!("/api/products/{id}"), &tokens[0]).await;
        reads += 1;
        match read.status().as_u16() {
            200 => {
                let body: Value = read.json().await.unwrap();
                if body["data"]["stock"] != stock {
                    stale += 1;
                }
            }
            401 => {}
            status if status >= 500 => {
                server_errors += 1;
                failures
                    .record("GET /api/products/{id}", started, read)
                    .await;
            }
            status => panic!("unexpected {status}"),
        }
    }
    let admin = crate::helpers::redis_client(&redis.url()).await;
    let info: String = admin
        .info(Some(fred::types::InfoKind::Stats))
        .await
        .unwrap();
    let evicted: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("evicted_keys:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut valid = 0;
    let mut logged_out = 0;
    for token in &tokens {
        match app
            .get_as("/api/auth/session", token)
            .await
            .status()
            .as_u16()
        {
            200 => valid += 1,
            401 => logged_out += 1,
            status => panic!("session check answered {status}"),
        }
    }
    println!(
        "3 MB cap, volatile-ttl: {evicted} keys evicted; {reads} reads after updates, {stale} stale, \
         {server_errors} 5xx; sessions: {valid} valid, {logged_out} cleanly 401"
    );
    assert!(evicted > 0, "the traffic went past the cap");
    assert_eq!(
        (stale, server_errors),
        (0, 0),
        "stale reads, 5xx{}",
        failures.report()
    );
}
