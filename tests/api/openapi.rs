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
    if saved != current {
        let diff = similar::TextDiff::from_lines(&saved, &current)
            .unified_diff()
            .context_radius(3)
            .header("tests/snapshots/openapi.json", "served document")
            .to_string();
        panic!(
            "the OpenAPI document changed; review the diff and regenerate with \
             UPDATE_SNAPSHOTS=1 cargo test --test api openapi\n{diff}"
        );
    }
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

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary_with_all_its_assets() {
    let app = spawn_app().await;
    let page = app.get("/api-docs/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    let assets: Vec<String> = html
        .split(['"', '\''])
        .filter(|s| s.ends_with(".js") || s.ends_with(".css"))
        .map(|s| s.trim_start_matches("./").to_owned())
        .collect();
    assert!(assets.len() >= 3, "{assets:?}");
    for asset in &assets {
        assert!(!asset.starts_with("http"), "{asset} would need the network");
        let response = app.get(&format!("/api-docs/{asset}")).await;
        assert_eq!(response.status(), 200, "{asset}");
        assert!(!response.bytes().await.unwrap().is_empty(), "{asset}");
    }
    let initializer = app
        .get("/api-docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        initializer.contains("/api-docs/openapi.json"),
        "points at our document"
    );
}
