//! Cache administration routes.

use serde_json::{json, Value};

use crate::helpers::spawn_app;

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

    let stats: Value = app
        .get_as("/api/cache/stats", &app.admin_token)
        .await
        .json()
        .await
        .unwrap();
    let data = &stats["data"];
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
    let after = app.get_product(&id).await;
    assert_eq!(after.headers()["x-cache"], "MISS");
    assert_eq!(after.headers()["x-data-source"], "database");
}
