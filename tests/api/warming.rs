//! Cache warming: after the cache server is flushed, a restart with warming on (or the
//! `warm` subcommand) makes the first read of the most-read product and of the first
//! list page cache hits, with batched MongoDB reads.

use std::process::Command;
use std::time::{Duration, Instant};

use fred::prelude::{ClientLike, SortedSetsInterface};
use product_catalog::config::Settings;
use serde_json::json;

use crate::helpers::{
    redis_client, shared_servers, spawn_app_with, test_settings, RedisServer, TestApp,
};

/// Two Redis servers, as production runs them: sessions, rate limits and read counts on
/// `main`, cache entries on `cache` (the one flushed here).
struct Servers {
    main: RedisServer,
    cache: RedisServer,
}

fn settings(servers: &Servers, warm: bool) -> Settings {
    let cache_url = servers.cache.url();
    test_settings(
        &shared_servers().mongo_uri,
        &servers.main.url(),
        &[
            ("REDIS_CACHE_URL", cache_url.as_str()),
            ("POPULARITY_SAMPLE_ONE_IN", "1"),
            ("CACHE_WARM_TOP_N", "1"),
            ("CACHE_WARM_ON_START", if warm { "true" } else { "false" }),
        ],
    )
}

/// Creates four products and reads the third most; returns their ids and the favourite.
async fn catalogue_with_a_favourite(app: &TestApp, servers: &Servers) -> (Vec<String>, String) {
    let mut ids = Vec::new();
    for i in 0..4 {
        let created = app
            .create_product(json!({ "name": format!("Warm product {i}") }))
            .await;
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let favourite = ids[2].clone();
    for id in &ids {
        assert_eq!(app.get_product(id).await.status(), 200);
    }
    for _ in 0..9 {
        assert_eq!(app.get_product(&favourite).await.status(), 200);
    }
    // Read counts are recorded off the request path: wait until the tenth is in.
    let main = redis_client(&servers.main.url()).await;
    until_counted(&main, &popularity_key(app), &favourite, 10.0).await;
    (ids, favourite)
}

async fn flush(server: &RedisServer) {
    let client = redis_client(&server.url()).await;
    client.flushall::<()>(false).await.unwrap();
}

async fn x_cache(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.headers()["x-cache"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn after_a_cache_flush_a_restart_with_warming_serves_the_favourite_and_first_page_from_the_cache(
) {
    let servers = Servers {
        main: RedisServer::start(),
        cache: RedisServer::start(),
    };
    let before = spawn_app_with(settings(&servers, false)).await;
    let (ids, favourite) = catalogue_with_a_favourite(&before, &servers).await;
    before.stop().await;
    flush(&servers.cache).await;

    let mut warm = settings(&servers, true);
    warm.mongo.database = before.settings.mongo.database.clone();
    warm.redis.key_prefix = before.settings.redis.key_prefix.clone();
    let after = spawn_app_with(warm).await;
    assert_eq!(
        x_cache(&after, &format!("/api/products/{favourite}")).await,
        "HIT"
    );
    assert_eq!(x_cache(&after, "/api/products").await, "HIT");
    assert_eq!(x_cache(&after, "/api/products/count").await, "HIT");
    // Only the favourite was warmed (CACHE_WARM_TOP_N=1): another product's first read
    // still misses, so the hits above are warming's doing.
    assert_eq!(
        x_cache(&after, &format!("/api/products/{}", ids[0])).await,
        "MISS"
    );
}

#[tokio::test]
async fn the_warm_subcommand_fills_the_cache_in_batches_and_prints_a_summary() {
    let servers = Servers {
        main: RedisServer::start(),
        cache: RedisServer::start(),
    };
    let app = spawn_app_with(settings(&servers, false)).await;
    let (_, favourite) = catalogue_with_a_favourite(&app, &servers).await;
    flush(&servers.cache).await;

    let settings = &app.settings;
    let output = Command::new(env!("CARGO_BIN_EXE_product-catalog"))
        .arg("warm")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MONGODB_URI", settings.mongo.uri.expose())
        .env("MONGODB_DB", &settings.mongo.database)
        .env("REDIS_URL", servers.main.url())
        .env("REDIS_CACHE_URL", servers.cache.url())
        .env("REDIS_KEY_PREFIX", &settings.redis.key_prefix)
        .env("CACHE_WARM_TOP_N", "1")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "error")
        .output()
        .expect("warm runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stderr}");
    assert!(output.status.success(), "{stderr}");
    // One batch of products, the first page and the count: three queries.
    assert!(
        stderr.contains("warmed 1 of 1 products, 2 list pages and counts, with 3 MongoDB queries"),
        "{stderr}"
    );
    // The app's near tier may still hold the favourite; a second instance starts cold.
    let fresh = spawn_app_with({
        let mut s = settings.clone();
        s.warming.on_start = false;
        s
    })
    .await;
    assert_eq!(
        x_cache(&fresh, &format!("/api/products/{favourite}")).await,
        "HIT"
    );
    assert_eq!(x_cache(&fresh, "/api/products").await, "HIT");
}

/// The popularity key of today in `app`'s namespace.
fn popularity_key(app: &TestApp) -> String {
    let day = chrono::Utc::now().timestamp().div_euclid(86_400);
    format!(
        "{}popular:{{products}}:{day}",
        app.settings.redis.key_prefix
    )
}

/// Waits until `id`'s read count is `reads` (counts are sent to Redis off the request
/// path), failing after 5 s.
async fn until_counted(main: &fred::prelude::Client, key: &str, id: &str, reads: f64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let score: Option<f64> = main.zscore(key, id).await.unwrap();
        if score == Some(reads) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{reads} reads counted: {score:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn reads_of_ids_that_do_not_exist_add_nothing_to_the_popularity_set() {
    let servers = Servers {
        main: RedisServer::start(),
        cache: RedisServer::start(),
    };
    let app = spawn_app_with(settings(&servers, false)).await;
    for _ in 0..300 {
        let missing = mongodb::bson::oid::ObjectId::new().to_hex();
        assert_eq!(app.get_product(&missing).await.status(), 404);
    }
    // One real read after them: once it is counted, so would they have been.
    let real = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.get_product(&real).await.status(), 200);
    let main = redis_client(&servers.main.url()).await;
    let key = popularity_key(&app);
    until_counted(&main, &key, &real, 1.0).await;
    let counted: u64 = main.zcard(&key).await.unwrap();
    assert_eq!(counted, 1, "only the product that exists is counted");
}

#[tokio::test]
async fn reads_just_before_a_stop_are_counted_and_warmed_by_the_next_start() {
    let servers = Servers {
        main: RedisServer::start(),
        cache: RedisServer::start(),
    };
    let before = spawn_app_with(settings(&servers, false)).await;
    let id = before
        .create_product(json!({ "name": "Read just before the stop" }))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..40 {
        assert_eq!(before.get_product(&id).await.status(), 200);
    }
    before.stop().await;
    let main = redis_client(&servers.main.url()).await;
    until_counted(&main, &popularity_key(&before), &id, 40.0).await;
    flush(&servers.cache).await;

    let mut warm = settings(&servers, true);
    warm.mongo.database = before.settings.mongo.database.clone();
    warm.redis.key_prefix = before.settings.redis.key_prefix.clone();
    let after = spawn_app_with(warm).await;
    assert_eq!(x_cache(&after, &format!("/api/products/{id}")).await, "HIT");
}
