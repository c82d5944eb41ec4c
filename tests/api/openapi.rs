//! The OpenAPI document is a snapshot: an API change fails this test until the snapshot is
//! regenerated on purpose with `UPDATE_SNAPSHOTS=1 cargo test --test api openapi`.

use std::path::PathBuf;

use product_catalog::interface::http::openapi::document_json;

use crate::helpers::spawn_app;

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json")
}

#[test]
fn openapi_document_matches_the_snapshot() {
    let current = document_json();
    let path = snapshot_path();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &current).unwrap();
    }
    let saved = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing {}; create it with UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    assert!(
        saved == current,
        "the OpenAPI document changed; review the diff and regenerate with UPDATE_SNAPSHOTS=1"
    );
}

#[tokio::test]
async fn the_document_is_served() {
    let app = spawn_app().await;
    let response = app.get("/api-docs/openapi.json").await;
    assert_eq!(response.status(), 200);
    let served: serde_json::Value = response.json().await.unwrap();
    assert!(served["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/products",
        "/api/products/{id}",
        "/api/products/count",
        "/api/health",
    ] {
        assert!(served["paths"].get(path).is_some(), "{path} documented");
    }
}
