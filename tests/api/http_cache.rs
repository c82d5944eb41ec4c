//! The HTTP response cache as a client sees it.

use serde_json::{json, Value};

use crate::helpers::spawn_app;

fn x_cache(response: &reqwest::Response) -> String {
    response.headers()["x-cache"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn miss_then_hit_whatever_the_parameter_order_and_defaults() {
    let app = spawn_app().await;
    app.create_product(json!({"category": "hats"})).await;
    let first = app.list_products("category=hats&limit=5").await;
    assert_eq!(x_cache(&first), "MISS");
    let first_body = first.text().await.unwrap();
    let second = app
        .list_products("limit=5&category=hats&page=1&sort=-createdAt")
        .await;
    assert_eq!(x_cache(&second), "HIT");
    assert_eq!(second.headers()["x-data-source"], "cache");
    assert_eq!(
        second.text().await.unwrap(),
        first_body,
        "the stored body is replayed"
    );
    assert_eq!(
        x_cache(&app.list_products("category=hats&limit=6").await),
        "MISS",
        "a different query"
    );
}

#[tokio::test]
async fn a_write_makes_the_next_read_a_miss_with_the_new_data() {
    let app = spawn_app().await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(x_cache(&app.get_product(&id).await), "MISS");
    assert_eq!(x_cache(&app.get_product(&id).await), "HIT");
    assert_eq!(x_cache(&app.count_products("").await), "MISS");
    assert_eq!(x_cache(&app.count_products("").await), "HIT");

    app.put_product(&id, &json!({"stock": 42}), None).await;
    let after = app.get_product(&id).await;
    assert_eq!(x_cache(&after), "MISS");
    assert_eq!(after.json::<Value>().await.unwrap()["data"]["stock"], 42);
    app.create_product(json!({})).await;
    let count = app.count_products("").await;
    assert_eq!(x_cache(&count), "MISS");
    assert_eq!(count.json::<Value>().await.unwrap()["data"], 2);
}

/// Stored single-product responses are retired per product: a write to X, or deleting it,
/// leaves Y's stored response a HIT, while X's next read is a MISS with the new data.
#[tokio::test]
async fn a_write_to_one_product_leaves_the_others_stored_responses_hits() {
    let app = spawn_app().await;
    let id = |product: Value| product["id"].as_str().unwrap().to_owned();
    let x = id(app.create_product(json!({})).await);
    let y = id(app.create_product(json!({})).await);
    for product in [&x, &y] {
        assert_eq!(x_cache(&app.get_product(product).await), "MISS");
        assert_eq!(x_cache(&app.get_product(product).await), "HIT");
    }

    assert_eq!(
        app.put_product(&x, &json!({"stock": 7}), None)
            .await
            .status(),
        200
    );
    let other = app.get_product(&y).await;
    assert_eq!(x_cache(&other), "HIT", "Y is untouched by a write to X");
    let written = app.get_product(&x).await;
    assert_eq!(x_cache(&written), "MISS");
    assert_eq!(written.json::<Value>().await.unwrap()["data"]["stock"], 7);

    assert_eq!(app.delete_product(&x).await.status(), 200);
    assert_eq!(x_cache(&app.get_product(&y).await), "HIT");
    assert_eq!(app.get_product(&x).await.status(), 404);
}

#[tokio::test]
async fn non_200_responses_are_never_stored() {
    let app = spawn_app().await;
    for _ in 0..2 {
        let missing = app.get_product("665f1c0e9b1e8a3d4c2b1a09").await;
        assert_eq!(missing.status(), 404);
        assert_eq!(x_cache(&missing), "MISS");
    }
    let bad = app.list_products("limit=0").await;
    assert_eq!(bad.status(), 400);
    assert!(
        bad.headers().get("x-cache").is_none(),
        "refused queries are not cache lookups"
    );
}

#[tokio::test]
async fn a_matching_etag_gets_304_from_the_cache() {
    let app = spawn_app().await;
    app.create_product(json!({})).await;
    let first = app.list_products("").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let revalidated = app
        .client
        .get(app.url("/api/products"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), 304);
    assert_eq!(x_cache(&revalidated), "HIT");
    assert_eq!(revalidated.headers()["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn authorization_or_no_cache_bypasses() {
    let app = spawn_app().await;
    app.create_product(json!({})).await;
    app.list_products("").await;
    let with_token = app
        .client
        .get(app.url("/api/products"))
        .bearer_auth("some-token")
        .send()
        .await
        .unwrap();
    assert_eq!(x_cache(&with_token), "BYPASS");
    let no_cache = app
        .client
        .get(app.url("/api/products"))
        .header("Cache-Control", "no-cache")
        .send()
        .await
        .unwrap();
    assert_eq!(x_cache(&no_cache), "BYPASS");
}
