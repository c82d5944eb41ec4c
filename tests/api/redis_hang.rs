//! A Redis that hangs (SIGSTOP: connections open, no replies) is noticed within about a
//! second; requests then stop waiting on it, and caching resumes by itself afterwards with
//! no stale read.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{shared_servers, spawn_app_on, RedisServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_redis_costs_requests_nothing_and_caching_resumes_after() {
    let redis = RedisServer::start();
    let app = spawn_app_on(&shared_servers().mongo_uri, &redis.url()).await;
    let token = app.user_token("hang@example.com").await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/products/{id}");
    assert_eq!(
        app.get_as(&path, &token).await.headers()["x-data-source"],
        "cache"
    );

    redis.freeze();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut took = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let response = app.get_product(&id).await;
        took.push(started.elapsed());
        assert_eq!(response.status(), 200);
    }
    took.sort();
    let (median, max) = (took[10], took[19]);
    println!("20 reads with Redis frozen: median {median:?}, max {max:?}");
    // Without the circuit each of these reads waits out at least two 250 ms Redis
    // timeouts (500 ms). The bounds leave room for a busy shared machine.
    assert!(median < Duration::from_millis(100), "median {median:?}");
    assert!(max < Duration::from_millis(450), "max {max:?}");
    let health: Value = app.health().await.json().await.unwrap();
    assert_eq!(health["data"]["status"], "degraded", "{health}");
    let update = app.put_product(&id, &json!({"stock": 7}), None).await;
    assert_eq!(update.status(), 200, "writes succeed");

    redis.thaw();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let response = app.get_as(&path, &token).await;
        let source = response.headers()["x-data-source"]
            .to_str()
            .unwrap()
            .to_owned();
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["data"]["stock"], 7,
            "never the value from before the freeze"
        );
        if source == "cache" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "caching did not resume within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
