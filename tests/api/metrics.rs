//! `/metrics` covers every cache layer and failure cause; caching switched off counts no
//! cache errors.

use crate::helpers::{shared_servers, spawn_app, spawn_app_with, test_settings};

#[tokio::test]
async fn metrics_cover_every_layer_and_every_failure_cause() {
    let app = spawn_app().await;
    let text = app.get("/metrics").await.text().await.unwrap();
    for layer in ["http", "product", "list", "wishlist"] {
        for series in [
            "cache_hits_total",
            "cache_misses_total",
            "cache_database_reads_total",
        ] {
            let line = format!("{series}{{layer=\"{layer}\"}} ");
            assert!(text.contains(&line), "missing {line}");
        }
    }
    for kind in ["connection", "timeout", "script", "wrong_type", "command"] {
        let line = format!("cache_errors_by_kind_total{{kind=\"{kind}\"}} 0");
        assert!(text.contains(&line), "missing {line}");
    }
}

#[tokio::test]
async fn with_caching_off_wishlist_reads_go_to_mongodb_and_count_no_cache_error() {
    let servers = shared_servers();
    let app = spawn_app_with(test_settings(
        &servers.mongo_uri,
        &servers.redis_url,
        &[("CACHE_ENABLED", "false")],
    ))
    .await;
    let token = app.user_token("nocache@example.com").await;
    for _ in 0..3 {
        let response = app.get_as("/api/products/wishlist", &token).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-data-source"], "database");
    }
    assert_eq!(app.metric("cache_errors_total").await, 0);
    assert_eq!(
        app.metric("cache_database_reads_total{layer=\"wishlist\"}")
            .await,
        3
    );
}
