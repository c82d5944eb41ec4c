use serde_json::{json, Value};

use crate::helpers::spawn_app;

#[tokio::test]
async fn create_returns_201_with_location_etag_and_the_stored_product() {
    let app = spawn_app().await;
    let response = app.post_product(&crate::helpers::product_body()).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "success");
    let product = &body["data"];
    let id = product["id"].as_str().unwrap();
    assert_eq!(location, format!("/api/products/{id}"));
    assert_eq!(etag, "\"1\"");
    assert_eq!(product["version"], 1);
    assert_eq!(product["wishlistCount"], 0);
    assert_eq!(product["isActive"], true);
    assert_eq!(product["price"], 89.9);
    assert_eq!(product["createdAt"], product["updatedAt"]);

    let fetched: Value = app.get(&location).await.json().await.unwrap();
    assert_eq!(
        &fetched["data"], product,
        "read returns exactly what create returned"
    );
}

#[tokio::test]
async fn server_owned_fields_are_ignored_and_text_is_trimmed() {
    let app = spawn_app().await;
    let product = app
        .create_product(
            json!({"name": "  Padded Name  ", "version": 42, "wishlistCount": 9, "id": "x"}),
        )
        .await;
    assert_eq!(product["name"], "Padded Name");
    assert_eq!(product["version"], 1);
    assert_eq!(product["wishlistCount"], 0);
}

#[tokio::test]
async fn prices_stay_exact_to_the_cent() {
    let app = spawn_app().await;
    for price in [0.1, 0.29, 19.99, 1_000_000.0, 0.0] {
        let product = app.create_product(json!({ "price": price })).await;
        let id = product["id"].as_str().unwrap();
        let fetched: Value = app.get_product(id).await.json().await.unwrap();
        assert_eq!(fetched["data"]["price"], json!(price));
    }
}

#[tokio::test]
async fn update_is_partial_and_bumps_the_version() {
    let app = spawn_app().await;
    let product = app.create_product(json!({})).await;
    let id = product["id"].as_str().unwrap();

    let response = app
        .put_product(id, &json!({"stock": 3, "isActive": false}), None)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"2\"");
    let updated: Value = response.json().await.unwrap();
    let updated = &updated["data"];
    assert_eq!(updated["stock"], 3);
    assert_eq!(updated["isActive"], false);
    assert_eq!(updated["name"], product["name"]);
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["createdAt"], product["createdAt"]);

    let fetched: Value = app.get_product(id).await.json().await.unwrap();
    assert_eq!(&fetched["data"], updated);
}

#[tokio::test]
async fn if_match_guards_against_lost_updates() {
    let app = spawn_app().await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let ok = app
        .put_product(&id, &json!({"stock": 5}), Some("\"1\""))
        .await;
    assert_eq!(ok.status(), 200);
    let stale = app
        .put_product(&id, &json!({"stock": 6}), Some("\"1\""))
        .await;
    assert_eq!(stale.status(), 412);
    let body: Value = stale.json().await.unwrap();
    assert_eq!(body["status"], "error");

    let fetched: Value = app.get_product(&id).await.json().await.unwrap();
    assert_eq!(
        fetched["data"]["stock"], 5,
        "a refused update changes nothing"
    );
    assert_eq!(fetched["data"]["version"], 2);

    let missing = app
        .put_product(
            "665f1c0e9b1e8a3d4c2b1a09",
            &json!({"stock": 1}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn if_none_match_answers_304() {
    let app = spawn_app().await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .client
        .get(app.url(&format!("/api/products/{id}")))
        .header("If-None-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 304);
    assert_eq!(response.headers()["etag"], "\"1\"");
    assert!(response.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn delete_removes_the_product() {
    let app = spawn_app().await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app.delete_product(&id).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "success");
    assert!(body.get("data").is_none());
    assert_eq!(app.get_product(&id).await.status(), 404);
    assert_eq!(app.delete_product(&id).await.status(), 404);
    assert_eq!(app.product_total().await, 0);
}

#[tokio::test]
async fn unknown_product_is_404_in_the_envelope() {
    let app = spawn_app().await;
    let response = app.get_product("665f1c0e9b1e8a3d4c2b1a09").await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status": "error", "message": "product not found"})
    );
}
