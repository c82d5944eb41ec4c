//! Cache administration routes.

use serde_json::{json, Value};

use crate::helpers::{shared_servers, spawn_app, spawn_app_with, test_settings};

#[tokio::test]
async fn admins_see_the_cache_settings_in_effect_and_others_do_not() {
    let servers = shared_servers();
    let app = spawn_app_with(test_settings(
        &servers.mongo_uri,
        &servers.redis_url,
        &[("CACHE_TTL_LIST_SECS", "42"), ("NEAR_CACHE_TTL_MS", "750")],
    ))
    .await;
    let answer = app.get_as("/api/cache/config", &app.admin_token).await;
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    let data = &body["data"];
    assert_eq!(data["listTtlSecs"], 42, "{data}");
    assert_eq!(data["nearTierTtlMs"], 750, "{data}");
    assert_eq!(data["enabled"], true);
    assert!(data["keyPrefix"].as_str().unwrap().ends_with(':'), "{data}");
    assert_eq!(app.get("/api/cache/config").await.status(), 401);
    let shopper = app.user_token("config.reader@example.com").await;
    assert_eq!(
        app.get_as("/api/cache/config", &shopper).await.status(),
        403
    );
}

#[tokio::test]
async fn stats_status_and_invalidation_for_admins() {
    let app = spawn_app().await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get_product(&id).await;
    app.get_product(&id).await;
    app.list_products("").await;
    app.list_products("").await;

    let data = &app.cache_stats().await;
    assert!(data["hits"].as_u64().unwrap() >= 2, "{data}");
    assert!(data["misses"].as_u64().unwrap() >= 1);
    assert!((0.0..=100.0).contains(&data["hitRate"].as_f64().unwrap()));
    for layer in ["http", "product", "list", "wishlist"] {
        assert!(data["layers"][layer]["hits"].is_u64(), "{layer}");
    }
    assert_eq!(data["redis"]["connected"], true);
    assert!(
        data["redis"]["keys"].as_u64().unwrap() >= 2,
        "this namespace's keys"
    );
    assert!(data["redis"]["usedMemoryBytes"].as_u64().unwrap() > 0);

    let status: Value = app
        .get_as("/api/cache/status", &app.admin_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["data"]["connected"], true);
    assert!(status["data"]["roundTripMs"].as_f64().is_some());

    let bad = app
        .client
        .delete(app.url("/api/cache/invalidate?scope=*"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400, "no free-form patterns");
    let dropped = app
        .client
        .delete(app.url("/api/cache/invalidate?scope=all"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(dropped.status(), 200);
    let body: Value = dropped.json().await.unwrap();
    assert_eq!(body["data"]["productKeysDeleted"], 1);
    assert_eq!(
        body["data"]["responseKeysDeleted"], 2,
        "the product's stored response and its generation"
    );
    let after = app.get_product(&id).await;
    assert_eq!(after.headers()["x-cache"], "MISS");
    assert_eq!(after.headers()["x-data-source"], "database");
}

/// `scope=products` retires every product entry at once but keeps tombstones as version
/// floors: a slow reader's fill of a deleted product's last version is still refused.
#[tokio::test]
async fn invalidating_products_keeps_tombstones_and_retires_live_entries() {
    use product_catalog::domain::ports::RedisService;

    let app = spawn_app().await;
    let token = app.user_token("epoch@example.com").await;
    let live = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let gone = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.delete_product(&gone).await.status(), 200);
    let live_path = format!("/api/products/{live}");
    let before = app.get_as(&live_path, &token).await;
    assert_eq!(before.headers()["x-data-source"], "cache");

    let dropped = app
        .client
        .delete(app.url("/api/cache/invalidate?scope=products"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(dropped.status(), 200);
    let body: Value = dropped.json().await.unwrap();
    assert_eq!(
        body["data"]["productKeysDeleted"], 1,
        "the live entry, not the tombstone"
    );

    let redis = app.redis().await;
    let (floor, _) = app
        .cached_entry(&redis, &gone)
        .await
        .expect("tombstone kept");
    assert_eq!(floor, 2, "one above the deleted version");
    let adapter = product_catalog::infrastructure::redis::FredRedisService::new(
        redis.clone(),
        app.settings.redis.key_prefix.clone(),
        std::time::Duration::from_secs(2),
        0,
    );
    let stale = json!({"expires_at_ms": 0, "product": null}).to_string();
    let refused = adapter
        .set_if_newer(
            &format!("product:{gone}"),
            1,
            &stale,
            std::time::Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert!(
        !refused,
        "the retired tombstone still refuses the older fill"
    );
    assert_eq!(
        app.get_as(&format!("/api/products/{gone}"), &token)
            .await
            .status(),
        404
    );

    let after = app.get_as(&live_path, &token).await;
    assert_eq!(after.headers()["x-data-source"], "database");
    let again = app.get_as(&live_path, &token).await;
    assert_eq!(
        again.headers()["x-data-source"],
        "cache",
        "refilled in the new epoch"
    );
}

/// On a cluster the keys are spread over the primaries; the stats count them on every one.
#[tokio::test]
async fn stats_count_the_keys_of_every_primary() {
    let app = spawn_app().await;
    for _ in 0..12 {
        let id = app.create_product(json!({})).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.get_product(&id).await;
    }
    let redis = app.redis().await;
    let prefix = &app.settings.redis.key_prefix;
    let product_keys = crate::helpers::keys_matching(&redis, &format!("{prefix}product:*"))
        .await
        .len();
    assert!(product_keys >= 12, "{product_keys} product entries");
    // Nothing here expires within the test, so the namespace only grows from this count on.
    let present = crate::helpers::keys_matching(&redis, &format!("{prefix}*"))
        .await
        .len();
    let counted = app.cache_stats().await["redis"]["keys"].as_u64().unwrap();
    println!("{present} keys in the namespace, {product_keys} of them product entries; the stats count {counted}");
    assert!(
        counted >= present as u64,
        "{counted} keys counted, {present} present before the call"
    );
}
