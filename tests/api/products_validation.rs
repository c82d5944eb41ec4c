//! Every bad input gets the documented status and envelope, and nothing is written.

use serde_json::{json, Value};

use crate::helpers::{product_body, spawn_app, TestApp};

async fn error_body(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert!(response.headers().contains_key("x-request-id"));
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "error", "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

fn fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn post_raw(
    app: &TestApp,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/api/products"))
        .bearer_auth(&app.admin_token)
        .body(body);
    if let Some(content_type) = content_type {
        request = request.header("Content-Type", content_type);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn malformed_bodies_are_refused_before_anything_is_written() {
    let app = spawn_app().await;
    let json = Some("application/json");
    error_body(post_raw(&app, json, "{\"name\": ").await, 400).await;
    error_body(post_raw(&app, json, "").await, 400).await;
    error_body(post_raw(&app, json, "{} trailing").await, 400).await;
    error_body(
        post_raw(&app, Some("text/plain"), product_body().to_string()).await,
        415,
    )
    .await;
    error_body(post_raw(&app, None, product_body().to_string()).await, 415).await;
    let huge = format!("{{\"name\":\"{}\"}}", "x".repeat(1024 * 1024));
    error_body(post_raw(&app, json, huge).await, 413).await;
    let body = error_body(post_raw(&app, json, "[]").await, 422).await;
    assert_eq!(fields(&body), ["body"]);

    let mut unknown = product_body();
    unknown["colour"] = json!("red");
    let body = error_body(app.post_product(&unknown).await, 422).await;
    assert_eq!(fields(&body), ["colour"], "{body}");

    assert_eq!(app.product_total().await, 0);
}

#[tokio::test]
async fn each_field_rule_is_enforced_with_its_field_named() {
    let app = spawn_app().await;
    let cases: Vec<(&str, Value)> = vec![
        ("name", json!("ab")),
        ("name", json!("  ab  ")),
        ("name", json!("x".repeat(101))),
        ("name", json!(12)),
        ("description", json!("too short")),
        ("description", json!("d".repeat(2001))),
        ("price", json!(-0.01)),
        ("price", json!(1_000_000.01)),
        ("price", json!(1.005)),
        ("price", json!("12")),
        ("stock", json!(-1)),
        ("stock", json!(1.5)),
        ("stock", json!(1_000_001)),
        ("category", json!("   ")),
        ("category", json!("c".repeat(51))),
        ("images", json!("https://cdn.example/a.jpg")),
        ("images", json!(vec!["https://cdn.example/a.jpg"; 11])),
        ("images", json!(["ftp://cdn.example/a.jpg"])),
        (
            "images",
            json!([format!("https://cdn.example/{}", "a".repeat(2048))]),
        ),
        ("isActive", json!("yes")),
    ];
    for (field, value) in cases {
        let mut body = product_body();
        body[field] = value.clone();
        let error = error_body(app.post_product(&body).await, 422).await;
        assert_eq!(fields(&error), [field], "{field} = {value}: {error}");
    }
    for field in ["name", "description", "price", "stock", "category"] {
        let mut body = product_body();
        body.as_object_mut().unwrap().remove(field);
        let error = error_body(app.post_product(&body).await, 422).await;
        assert_eq!(fields(&error), [field], "missing {field}");
    }
    assert_eq!(
        app.product_total().await,
        0,
        "no invalid create was written"
    );
}

#[tokio::test]
async fn invalid_updates_change_nothing() {
    let app = spawn_app().await;
    let product = app.create_product(json!({})).await;
    let id = product["id"].as_str().unwrap();
    error_body(app.put_product(id, &json!({"price": -5}), None).await, 422).await;
    error_body(
        app.put_product(id, &json!({"name": "ok name", "stock": "many"}), None)
            .await,
        422,
    )
    .await;
    error_body(app.put_product(id, &json!({}), None).await, 422).await;
    error_body(
        app.put_product(id, &json!({"stock": 1}), Some("version-one"))
            .await,
        400,
    )
    .await;
    let fetched: Value = app.get_product(id).await.json().await.unwrap();
    assert_eq!(fetched["data"], product, "nothing changed");
}

#[tokio::test]
async fn bad_ids_are_400() {
    let app = spawn_app().await;
    for id in [
        "abc",
        "665f1c0e9b1e8a3d4c2b1a0z",
        "665f1c0e9b1e8a3d4c2b1a0911",
    ] {
        let body = error_body(app.get_product(id).await, 400).await;
        assert_eq!(fields(&body), ["id"]);
        error_body(app.put_product(id, &json!({"stock": 1}), None).await, 400).await;
        error_body(app.delete_product(id).await, 400).await;
    }
}

#[tokio::test]
async fn bad_query_parameters_are_400_naming_the_parameter() {
    let app = spawn_app().await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("page=x", "page"),
        ("page=0", "page"),
        ("isActive=maybe", "isActive"),
        ("sort=stock", "sort"),
        ("minPrice=abc", "minPrice"),
        ("minPrice=10&maxPrice=5", "minPrice"),
        ("priceRange=oops", "priceRange"),
    ] {
        let body = error_body(app.list_products(query).await, 400).await;
        assert_eq!(fields(&body), [field], "{query}");
        let body = error_body(app.count_products(query).await, 400).await;
        assert_eq!(fields(&body), [field], "count {query}");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_are_json() {
    let app = spawn_app().await;
    error_body(app.get("/nope").await, 404).await;
    error_body(
        app.get("/api/products/665f1c0e9b1e8a3d4c2b1a09/extra")
            .await,
        404,
    )
    .await;
    let response = app
        .client
        .patch(app.url("/api/products"))
        .send()
        .await
        .unwrap();
    error_body(response, 405).await;
    let response = app.client.post(app.url("/health")).send().await.unwrap();
    error_body(response, 405).await;
}

#[tokio::test]
async fn request_ids_are_echoed_when_sane_and_generated_otherwise() {
    let app = spawn_app().await;
    let echoed = app
        .client
        .get(app.url("/health"))
        .header("X-Request-Id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "abc-123");
    let replaced = app
        .client
        .get(app.url("/health"))
        .header("X-Request-Id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    let generated = replaced.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(generated, "bad id with spaces");
    assert_eq!(generated.len(), 36, "a UUID");
}

/// Prices are read from the digits the client sent, never through a float: values a float
/// would round into range are refused, and absurd exponents are a 400, not a panic.
#[tokio::test]
async fn prices_are_exact_decimal_text_never_floats() {
    let app = spawn_app().await;
    let json = Some("application/json");
    let with_price = |price: &str| {
        format!(
            r#"{{"name":"Trail Shoe","description":"Light trail running shoe","price":{price},"stock":1,"category":"footwear"}}"#
        )
    };
    for price in [
        "19.999999999999999999",
        "1e-400",
        "0.001",
        "1000000.000000000000001",
    ] {
        let body = error_body(post_raw(&app, json, with_price(price)).await, 422).await;
        assert_eq!(fields(&body), ["price"], "{price}: {body}");
    }
    let body = error_body(post_raw(&app, json, with_price(r#""12""#)).await, 422).await;
    assert_eq!(fields(&body), ["price"]);
    assert_eq!(app.product_total().await, 0, "nothing was written");

    let created: Value = post_raw(&app, json, with_price("19.990000000000000000"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created["data"]["price"], json!(19.99), "{created}");

    for query in [
        "minPrice=1e-9223372036854775808",
        "maxPrice=1e9223372036854775807",
    ] {
        let body = error_body(app.list_products(query).await, 400).await;
        assert_eq!(fields(&body), [query.split('=').next().unwrap()]);
    }
    let range = "priceRange=%7B%22min%22%3A19.999999999999999999%7D";
    error_body(app.list_products(range).await, 400).await;
}

/// Text that displays as something it is not (bidi overrides) or that differs invisibly
/// (zero-width characters) is refused in names and categories; text is stored in NFC, so
/// the same name typed two ways is one value; a user's name is measured after trimming.
#[tokio::test]
async fn deceptive_text_is_refused_and_text_is_stored_normalised() {
    let app = spawn_app().await;
    for (field, value) in [
        ("name", "Invoice\u{202E}fdp.exe"),
        ("name", "Trail\u{200B}Shoe"),
        ("category", "foot\u{2060}wear"),
        ("description", "A fine shoe \u{2066}hidden\u{2069} text"),
    ] {
        let mut body = product_body();
        body[field] = json!(value);
        let refused = error_body(app.post_product(&body).await, 422).await;
        assert_eq!(fields(&refused), [field], "{value:?}");
    }
    let mut body = product_body();
    body["name"] = json!("Cafe\u{0301} Chair");
    let created: Value = app.post_product(&body).await.json().await.unwrap();
    assert_eq!(created["data"]["name"], "Caf\u{00E9} Chair");

    let padded = format!("  {}  ", "n".repeat(100));
    let registered = app
        .client
        .post(app.url("/api/auth/register"))
        .json(
            &json!({"email": "padded@example.com", "password": "a-long-password", "name": padded}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201, "100 characters once trimmed");
    let hidden = app
        .client
        .post(app.url("/api/auth/register"))
        .json(&json!({"email": "hidden@example.com", "password": "a-long-password", "name": "Ann\u{202E}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(fields(&error_body(hidden, 422).await), ["name"]);
}
