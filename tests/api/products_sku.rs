//! SKUs: optional, unique regardless of case, filterable, returned on every read path; a
//! duplicate is a 409 that names the product holding it.

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{product_body, spawn_app, TestApp};

fn with_sku(sku: &str, category: &str) -> Value {
    let mut body = product_body();
    body["sku"] = json!(sku);
    body["category"] = json!(category);
    body
}

async fn json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn by_sku(app: &TestApp, sku: &str) -> Vec<Value> {
    let (status, page) = json(app.list_products(&format!("sku={sku}")).await).await;
    assert_eq!(status, 200, "{page}");
    page["data"]["products"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_sku_is_stored_upper_case_returned_everywhere_and_found_by_filter() {
    let app = spawn_app().await;
    let (status, created) = json(app.post_product(&with_sku(" trail-42/b ", "sku-a")).await).await;
    assert_eq!(status, 201, "{created}");
    let product = &created["data"];
    assert_eq!(product["sku"], "TRAIL-42/B");
    let id = product["id"].as_str().unwrap();
    for _ in 0..2 {
        // A miss, then the cached answer.
        let (_, read) = json(app.get_product(id).await).await;
        assert_eq!(read["data"]["sku"], "TRAIL-42/B");
    }
    let found = by_sku(&app, "trail-42/B").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], id);
    let (_, count) = json(app.count_products("sku=TRAIL-42/b").await).await;
    assert_eq!(count["data"], 1);
    assert!(by_sku(&app, "TRAIL-43").await.is_empty());

    let plain = app.create_product(json!({"category": "sku-a"})).await;
    assert_eq!(plain["sku"], Value::Null, "a product without one says so");

    for bad in ["", "with space", "caf\u{e9}", &"S".repeat(65)] {
        let (status, refused) = json(app.post_product(&with_sku(bad, "sku-a")).await).await;
        assert_eq!(status, 422, "{bad:?}: {refused}");
        assert_eq!(refused["errors"][0]["field"], "sku");
    }
    let (status, refused) = json(app.list_products("sku=a%20b").await).await;
    assert_eq!(
        (status, &refused["errors"][0]["field"]),
        (400, &json!("sku"))
    );
}

#[tokio::test]
async fn a_sku_in_use_is_a_409_naming_its_holder_on_create_update_and_restore() {
    let app = spawn_app().await;
    let first = app
        .create_product(json!({"sku": "DUP-1", "category": "sku-b"}))
        .await;
    let holder = first["id"].as_str().unwrap();

    let (status, refused) = json(app.post_product(&with_sku("dup-1", "sku-b")).await).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["status"], "error");
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("DUP-1") && message.contains(holder),
        "{message}"
    );

    // An update to a SKU in use is refused and changes nothing; to a free one it lands,
    // and frees the old one.
    let second = app
        .create_product(json!({"sku": "DUP-2", "category": "sku-b"}))
        .await;
    let second_id = second["id"].as_str().unwrap();
    let (status, _) = json(
        app.put_product(second_id, &json!({"sku": "dup-1"}), None)
            .await,
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(by_sku(&app, "DUP-2").await[0]["id"], second_id);
    let (status, moved) = json(
        app.put_product(second_id, &json!({"sku": "dup-3"}), None)
            .await,
    )
    .await;
    assert_eq!((status, &moved["data"]["sku"]), (200, &json!("DUP-3")));
    assert_eq!(
        app.post_product(&with_sku("DUP-2", "sku-b")).await.status(),
        201
    );
    // Its own SKU again is no conflict.
    let (status, _) = json(
        app.put_product(second_id, &json!({"sku": "DUP-3"}), None)
            .await,
    )
    .await;
    assert_eq!(status, 200);

    // Deleted, its SKU is free; a restore then finds it taken.
    assert_eq!(app.delete_product(holder).await.status(), 200);
    let taker = app
        .create_product(json!({"sku": "DUP-1", "category": "sku-b"}))
        .await;
    let restore = app
        .client
        .post(app.url(&format!("/api/products/{holder}/restore")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    let (status, refused) = json(restore).await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused["message"]
        .as_str()
        .unwrap()
        .contains(taker["id"].as_str().unwrap()));
    assert_eq!(app.get_product(holder).await.status(), 404);
}

#[tokio::test]
async fn concurrent_creates_with_one_sku_make_one_product_and_refuse_the_rest() {
    let app = spawn_app().await;
    let body = with_sku("RACE-1", "sku-race");
    let statuses: Vec<u16> = join_all((0..8).map(|_| app.post_product(&body)))
        .await
        .iter()
        .map(|response| response.status().as_u16())
        .collect();
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [201, 409, 409, 409, 409, 409, 409, 409],
        "{statuses:?}"
    );
    assert_eq!(by_sku(&app, "RACE-1").await.len(), 1);
}
