//! `GET /api/products/export` and `product-catalog export`: every matching product, one
//! per line, NDJSON or CSV, exactly as the API shows it.

use std::process::Command;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const CATEGORY: &str = "export-test";

async fn export(app: &TestApp, query: &str, accept: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .get(app.url(&format!("/api/products/export{query}")))
        .bearer_auth(&app.admin_token);
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    request.send().await.expect("request sent")
}

/// Creates `n` products in the test category, every other one with a SKU; answers them
/// as `GET /api/products/{id}` shows them, in id order.
async fn catalogue(app: &TestApp, n: usize) -> Vec<Value> {
    let mut products = Vec::new();
    for i in 0..n {
        let mut body = json!({"name": format!("Export item {i}"), "category": CATEGORY});
        if i % 2 == 0 {
            body["sku"] = json!(format!("EXP-{i}"));
        }
        if i == 3 {
            body["description"] = json!("Has a comma, a \"quote\" and\na line break");
        }
        let created = app.create_product(body).await;
        let read: Value = app
            .get_product(created["id"].as_str().unwrap())
            .await
            .json()
            .await
            .unwrap();
        products.push(read["data"].clone());
    }
    products.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    products
}

#[tokio::test]
async fn an_ndjson_export_is_every_matching_product_as_the_api_shows_it_in_id_order() {
    let app = spawn_app().await;
    let products = catalogue(&app, 25).await;
    app.create_product(json!({"category": "not-exported"}))
        .await;

    let response = export(&app, &format!("?category={CATEGORY}"), None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let body = response.text().await.unwrap();
    let lines: Vec<Value> = body
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
        .collect();
    assert_eq!(lines, products);
    assert!(body.ends_with('\n'));

    let by_sku = export(&app, "?sku=exp-4", Some("application/x-ndjson")).await;
    let body = by_sku.text().await.unwrap();
    assert_eq!(body.lines().count(), 1, "{body}");
}

#[tokio::test]
async fn a_csv_export_has_a_header_and_one_quoted_row_per_product() {
    let app = spawn_app().await;
    let products = catalogue(&app, 6).await;
    let response = export(&app, &format!("?category={CATEGORY}"), Some("text/csv")).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header[..3], ["id", "sku", "name"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), products.len());
    for (row, product) in rows.iter().zip(&products) {
        let field = |name: &str| {
            row.get(header.iter().position(|h| h == name).unwrap())
                .unwrap()
        };
        assert_eq!(field("id"), product["id"]);
        assert_eq!(field("sku"), product["sku"].as_str().unwrap_or(""));
        assert_eq!(field("description"), product["description"]);
        assert_eq!(
            field("price").parse::<f64>().unwrap(),
            product["price"].as_f64().unwrap()
        );
        assert_eq!(field("version"), product["version"].to_string());
        assert_eq!(field("images"), product["images"][0]);
    }
}

#[tokio::test]
async fn an_export_needs_an_admin_and_an_acceptable_format() {
    let app = spawn_app().await;
    let anonymous = app.get("/api/products/export").await;
    assert_eq!(anonymous.status(), 401);
    let shopper = app.user_token("export-shopper@example.com").await;
    assert_eq!(
        app.get_as("/api/products/export", &shopper).await.status(),
        403
    );
    let refused = export(&app, "", Some("text/html")).await;
    assert_eq!(refused.status(), 406);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["status"], "error");
    let bad_filter = export(&app, "?minPrice=abc", None).await;
    assert_eq!(bad_filter.status(), 400);
}

#[tokio::test]
async fn the_command_line_export_writes_what_the_api_streams() {
    let app = spawn_app().await;
    catalogue(&app, 5).await;
    let streamed = export(&app, "", None).await.text().await.unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_product-catalog"))
        .arg("export")
        .env("MONGODB_URI", app.settings.mongo.uri.expose())
        .env("MONGODB_DB", &app.settings.mongo.database)
        .env("LOG_FORMAT", "json")
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(String::from_utf8(output.stdout).unwrap(), streamed);
    let count = streamed.lines().count();
    assert!(
        stderr.contains(&format!("exported {count} products")),
        "{stderr}"
    );
}
