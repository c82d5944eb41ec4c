//! The service runs as a least-privilege ACL user: exactly the `ACL SETUSER` line of the
//! README ("Running Redis"), with every key and channel under the deployment's prefix.

use fred::prelude::ClientLike;
use serde_json::{json, Value};

use crate::helpers::{shared_servers, spawn_app_with, test_settings, RedisServer};

/// The README's rule for a deployment whose prefix is `PREFIX`.
fn setuser(prefix: &str, password: &str) -> Vec<String> {
    format!(
        "catalog on >{password} resetkeys ~{prefix}* resetchannels &{prefix}* -@all \
         +@read +@write +@scripting +@connection +@pubsub +@transaction +@keyspace \
         -@dangerous +time +info"
    )
    .split_whitespace()
    .map(str::to_owned)
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flow_runs_under_the_documented_acl_user_with_an_empty_acl_log() {
    let redis = RedisServer::start();
    let admin = crate::helpers::redis_client(&redis.url()).await;
    let prefix = "acl-test:";
    let mut args = vec!["SETUSER".to_owned()];
    args.extend(setuser(prefix, "s3cret-pass"));
    let _: Value = admin
        .custom::<String, _>(fred::cmd!("ACL"), args)
        .await
        .map(Value::String)
        .unwrap();
    let _: String = admin
        .custom(fred::cmd!("ACL"), vec!["LOG", "RESET"])
        .await
        .unwrap();

    let url = redis
        .url()
        .replace("redis://", "redis://catalog:s3cret-pass@");
    let app = spawn_app_with(test_settings(
        &shared_servers().mongo_uri,
        &url,
        &[("REDIS_KEY_PREFIX", prefix)],
    ))
    .await;
    assert!(!app.admin_token.is_empty(), "login works");
    let health: Value = app.health().await.json().await.unwrap();
    assert_eq!(health["data"]["status"], "ok", "{health}");
    // Client tracking on the namespace's prefixes is within the documented rules.
    crate::near_cache::wait_until_serving(&app).await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app.user_token("acl@example.com").await;
    let path = format!("/api/products/{id}");
    assert_eq!(
        app.get_as(&path, &token).await.headers()["x-data-source"],
        "cache"
    );
    assert_eq!(app.list_products("").await.headers()["x-cache"], "MISS");
    assert_eq!(app.list_products("").await.headers()["x-cache"], "HIT");
    assert_eq!(
        app.put_product(&id, &json!({"stock": 4}), None)
            .await
            .status(),
        200
    );
    let wishlisted = app
        .client
        .patch(app.url(&format!("/api/products/{id}/wishlist")))
        .bearer_auth(&token)
        .json(&json!({"isWishlistStatus": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(wishlisted.status(), 200);
    assert_eq!(
        app.get_as("/api/products/wishlist", &token).await.status(),
        200
    );
    let stats = app.get_as("/api/cache/stats", &app.admin_token).await;
    assert_eq!(stats.status(), 200);
    let stats: Value = stats.json().await.unwrap();
    assert!(
        stats["data"]["redis"]["keys"].as_u64().unwrap_or(0) > 0,
        "{stats}"
    );
    assert_eq!(app.delete_product(&id).await.status(), 200);
    assert_eq!(app.get_as(&path, &token).await.status(), 404);
    let config = app.get_as("/api/cache/config", &app.admin_token).await;
    assert_eq!(config.status(), 200);
    let config = config.text().await.unwrap();
    assert!(!config.contains("s3cret-pass"), "{config}");
    assert!(config.contains("redis://***@"), "{config}");

    let log: fred::types::Value = admin.custom(fred::cmd!("ACL"), vec!["LOG"]).await.unwrap();
    let entries = log.into_array();
    assert!(entries.is_empty(), "ACL LOG: {entries:?}");
}
