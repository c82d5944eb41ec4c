//! `REDIS_WAIT_REPLICAS`: a cache invalidation or write-through counts as done only once
//! that many replicas hold it, so a failover cannot bring back what it removed. Without the
//! confirmation the instance treats the write like a failed cache call: it reads MongoDB
//! until the repair is confirmed, and caches again after.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{shared_servers, spawn_app_with, test_settings, RedisServer, TestApp};

async fn source_and_stock(app: &TestApp, id: &str) -> (String, i64) {
    let response = app.get_product(id).await;
    assert_eq!(response.status(), 200);
    let source = response.headers()["x-data-source"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    (source, body["data"]["stock"].as_i64().unwrap())
}

async fn until_replica_linked(replica: &RedisServer) {
    let client = crate::helpers::redis_client(&replica.url()).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let info: String =
            fred::prelude::ClientLike::custom(&client, fred::cmd!("INFO"), vec!["replication"])
                .await
                .unwrap();
        if info.contains("master_link_status:up") {
            return;
        }
        assert!(Instant::now() < deadline, "the replica did not link up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_cache_only_what_a_replica_confirmed() {
    let primary = RedisServer::start();
    let port = primary.url().rsplit(':').next().unwrap().to_owned();
    let mut replica = RedisServer::start_with(&["--replicaof", "127.0.0.1", &port]);
    until_replica_linked(&replica).await;
    let settings = test_settings(
        &shared_servers().mongo_uri,
        &primary.url(),
        &[("REDIS_WAIT_REPLICAS", "1")],
    );
    let app = spawn_app_with(settings).await;
    let id = app.create_product(json!({"stock": 1})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(source_and_stock(&app, &id).await, ("cache".to_owned(), 1));

    // Confirmed by the replica: the write-through is served at once.
    let updated = app.put_product(&id, &json!({"stock": 2}), None).await;
    assert_eq!(updated.status(), 200);
    assert_eq!(source_and_stock(&app, &id).await, ("cache".to_owned(), 2));

    // No replica to confirm: the write is not taken as cached, reads go to MongoDB.
    tokio::task::block_in_place(|| replica.stop());
    let updated = app.put_product(&id, &json!({"stock": 3}), None).await;
    assert_eq!(updated.status(), 200, "the write itself succeeds");
    assert_eq!(
        source_and_stock(&app, &id).await,
        ("database".to_owned(), 3)
    );

    // The replica back: the repair is confirmed and caching resumes.
    tokio::task::block_in_place(|| replica.restart());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (source, stock) = source_and_stock(&app, &id).await;
        assert_eq!(stock, 3, "never the older stock");
        if source == "cache" {
            break;
        }
        assert!(Instant::now() < deadline, "caching did not resume");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
