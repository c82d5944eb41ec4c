//! `REDIS_CACHE_URL`: cache entries on a server of their own (which may evict), sessions
//! and rate-limit logs on `REDIS_URL` (which should not). Each key family lands on its own
//! server, and losing the cache server costs caching only: sessions stay valid.

use fred::prelude::ClientLike;
use serde_json::Value;

use crate::helpers::{shared_servers, spawn_app_with, test_settings, RedisServer};

/// Logical keys (prefix removed) on the server at `url` under `prefix`.
async fn keys_on(url: &str, prefix: &str) -> Vec<String> {
    let client = crate::helpers::redis_client(url).await;
    let keys: Vec<String> = client
        .custom(fred::cmd!("KEYS"), vec![format!("{prefix}*")])
        .await
        .unwrap();
    let _ = client.quit().await;
    keys.into_iter()
        .map(|k| k[prefix.len()..].to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_entries_live_on_the_cache_server_and_sessions_outlive_it() {
    let main = RedisServer::start();
    let mut cache = RedisServer::start();
    let cache_url = cache.url();
    let settings = test_settings(
        &shared_servers().mongo_uri,
        &main.url(),
        &[("REDIS_CACHE_URL", cache_url.as_str())],
    );
    let prefix = settings.redis.key_prefix.clone();
    let app = spawn_app_with(settings).await;
    let token = app.user_token("split@example.com").await;
    let id = app.create_product(serde_json::json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..2 {
        assert_eq!(app.get_product(&id).await.status(), 200);
        assert_eq!(app.list_products("").await.status(), 200);
    }
    let hit = app.get_product(&id).await;
    assert_eq!(hit.headers()["x-cache"], "HIT");

    let on_main = keys_on(&main.url(), &prefix).await;
    let on_cache = keys_on(&cache_url, &prefix).await;
    let family = |keys: &[String], start: &str| keys.iter().any(|k| k.starts_with(start));
    println!("main server: {on_main:?}\ncache server: {on_cache:?}");
    for start in ["session:", "user-sessions:", "rate:"] {
        assert!(family(&on_main, start), "{start} on the main server");
        assert!(!family(&on_cache, start), "no {start} on the cache server");
    }
    for start in ["product:", "products:list:", "products:generation", "http:"] {
        assert!(family(&on_cache, start), "{start} on the cache server");
        assert!(!family(&on_main, start), "no {start} on the main server");
    }

    cache.stop();
    let health: Value = app.health().await.json().await.unwrap();
    assert_eq!(health["data"]["status"], "degraded", "{health}");
    let read = app.get_product(&id).await;
    assert_eq!(read.status(), 200, "reads come from MongoDB");
    assert_eq!(read.headers()["x-cache"], "BYPASS");
    assert_eq!(
        app.get_as("/api/auth/session", &token).await.status(),
        200,
        "sessions do not depend on the cache server"
    );
}
