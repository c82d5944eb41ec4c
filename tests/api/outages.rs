//! Behaviour while a dependency is down, and recovery when it returns.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{shared_servers, spawn_app_on, MongoServer, RedisServer};

#[tokio::test]
async fn with_redis_stopped_every_product_route_still_works_and_health_is_degraded() {
    let mut redis = RedisServer::start();
    let app = spawn_app_on(&shared_servers().mongo_uri, &redis.url()).await;
    redis.stop();

    let started = Instant::now();
    let product = app.create_product(json!({})).await;
    let id = product["id"].as_str().unwrap();
    assert_eq!(app.get_product(id).await.status(), 200);
    assert_eq!(app.list_products("category=footwear").await.status(), 200);
    assert_eq!(app.count_products("").await.status(), 200);
    assert_eq!(
        app.put_product(id, &json!({"stock": 1}), None)
            .await
            .status(),
        200
    );
    assert_eq!(app.delete_product(id).await.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "Redis outage must not slow requests"
    );

    let response = app.health().await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["status"], "degraded");
    assert_eq!(body["data"]["redis"]["up"], false);
    assert_eq!(app.get("/api/health/ready").await.status(), 200);

    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let body: Value = app.health().await.json().await.unwrap();
        if body["data"]["status"] == "ok" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Redis reconnect not seen: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn with_mongodb_stopped_routes_answer_503_and_recover_by_themselves() {
    let mut mongo = MongoServer::start();
    let app = spawn_app_on(&mongo.uri(), &shared_servers().redis_url).await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    mongo.stop();

    let cached = app.get_product(&id).await;
    assert_eq!(cached.status(), 200, "a cached product is still served");
    assert_eq!(cached.headers()["x-data-source"], "cache");

    let started = Instant::now();
    let responses = [
        app.list_products("").await,
        app.count_products("").await,
        app.get_product("665f1c0e9b1e8a3d4c2b1a09").await,
        app.post_product(&crate::helpers::product_body()).await,
        app.put_product(&id, &json!({"stock": 2}), None).await,
        app.delete_product(&id).await,
        app.health().await,
        app.get("/api/health/ready").await,
    ];
    for response in responses {
        assert_eq!(response.status(), 503, "{}", response.url());
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "error", "{body}");
        assert!(!body["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("mongodb://"));
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "503s must come within bounded time"
    );
    assert_eq!(
        app.get("/health").await.status(),
        200,
        "liveness touches no dependency"
    );

    mongo.restart();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = app.list_products("").await;
        if response.status() == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no recovery after MongoDB returned"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        app.post_product(&crate::helpers::product_body())
            .await
            .status(),
        201
    );
}

/// Polls until a read of `id` is served from the cache again.
pub async fn until_cached(app: &crate::helpers::TestApp, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let response = app.get_product(id).await;
        if response.headers()["x-data-source"] == "cache" {
            return;
        }
        assert!(Instant::now() < deadline, "caching did not resume");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn probe_sources(app: &crate::helpers::TestApp, ids: &[String]) -> Vec<String> {
    let mut sources = Vec::new();
    for id in ids.iter().take(5) {
        let response = app.get_product(id).await;
        assert_eq!(response.status(), 200);
        sources.push(
            response.headers()["x-data-source"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    sources
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_mid_run_serves_from_mongodb_then_caching_resumes_without_stale_entries() {
    let _turn = crate::helpers::load_turn().await;
    use crate::caching::{assert_cache_matches_mongodb, race, race_products};
    let mut redis = RedisServer::start();
    let app = std::sync::Arc::new(spawn_app_on(&shared_servers().mongo_uri, &redis.url()).await);
    let ids = race_products(&app).await;
    let run = tokio::spawn({
        let (app, ids) = (app.clone(), ids.clone());
        async move { race(&app, &ids, Instant::now() + Duration::from_secs(9)).await }
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    tokio::task::block_in_place(|| redis.stop());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let during = probe_sources(&app, &ids).await;
    assert!(
        during.iter().all(|s| s == "database"),
        "reads come from MongoDB: {during:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    tokio::task::block_in_place(|| redis.restart());
    let counts = run.await.unwrap();
    until_cached(&app, &ids[0]).await;
    let compared = assert_cache_matches_mongodb(&app, &ids).await;
    println!(
        "Redis killed for ~2.5 s of a 9 s run: {}; {compared} cached entries equal MongoDB",
        counts.summary()
    );
    counts.assert_no_server_errors();
    assert_eq!(counts.stale.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_frozen_mid_run_keeps_its_old_entries_and_none_is_served_stale() {
    let _turn = crate::helpers::load_turn().await;
    use crate::caching::{assert_cache_matches_mongodb, race, race_products};
    let redis = RedisServer::start();
    let app = std::sync::Arc::new(spawn_app_on(&shared_servers().mongo_uri, &redis.url()).await);
    let ids = race_products(&app).await;
    let run = tokio::spawn({
        let (app, ids) = (app.clone(), ids.clone());
        async move { race(&app, &ids, Instant::now() + Duration::from_secs(9)).await }
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    redis.freeze();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let during = probe_sources(&app, &ids).await;
    assert!(
        during.iter().all(|s| s == "database"),
        "reads come from MongoDB: {during:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    redis.thaw();
    let counts = run.await.unwrap();
    until_cached(&app, &ids[0]).await;
    let compared = assert_cache_matches_mongodb(&app, &ids).await;
    println!(
        "Redis frozen for ~3 s of a 9 s run: {}; {compared} cached entries equal MongoDB",
        counts.summary()
    );
    counts.assert_no_server_errors();
    assert_eq!(counts.stale.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert!(
        compared > 0,
        "entries written before the freeze survive it and were checked"
    );
}
