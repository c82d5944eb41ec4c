//! Deletes are restorable for `PRODUCT_RESTORE_DAYS`: the product is gone from every read,
//! wishlists keep it, and a restore brings it back with a new version, its wishlist count
//! and a `product.restored` event; after the window a restore finds nothing.

use std::time::Duration;

use mongodb::bson::{doc, oid::ObjectId, DateTime};
use serde_json::{json, Value};

use crate::helpers::{product_ids, spawn_app, EventStream, SseEvent, TestApp};

async fn restore(app: &TestApp, id: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/products/{id}/restore")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .expect("request sent")
}

async fn json(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

async fn next_for(stream: &mut EventStream, id: &str) -> SseEvent {
    loop {
        let event = stream
            .next(Duration::from_secs(10))
            .await
            .expect("an event within 10 s");
        if event.data["productId"] == id {
            return event;
        }
    }
}

#[tokio::test]
async fn a_deleted_product_is_gone_from_every_read_and_a_restore_brings_it_back_with_its_wishlists()
{
    let app = spawn_app().await;
    let product = app
        .create_product(json!({"name": "Restorable lamp", "category": "restore-test"}))
        .await;
    let id = product["id"].as_str().unwrap().to_owned();
    let shopper = app.user_token("restore-shopper@example.com").await;
    assert_eq!(app.set_wishlist(&shopper, &id, true).await.status(), 200);
    let query = "category=restore-test";
    assert_eq!(
        product_ids(&json(app.list_products(query).await).await),
        vec![id.clone()]
    );
    let mut events = EventStream::open(&app, "/api/events/products", None, None).await;

    assert_eq!(app.delete_product(&id).await.status(), 200);
    assert_eq!(app.get_product(&id).await.status(), 404);
    assert!(product_ids(&json(app.list_products(query).await).await).is_empty());
    let count = json(app.count_products(query).await).await;
    assert_eq!(count["data"], 0);
    let wishlist = json(app.get_as("/api/products/wishlist", &shopper).await).await;
    assert_eq!(wishlist["data"]["products"], json!([]), "{wishlist}");
    assert_eq!(wishlist["data"]["total"], 0, "{wishlist}");
    // A deleted product cannot be wishlisted or updated.
    assert_eq!(app.set_wishlist(&shopper, &id, false).await.status(), 404);
    assert_eq!(
        app.put_product(&id, &json!({"stock": 1}), None)
            .await
            .status(),
        404
    );

    let restored = restore(&app, &id).await;
    assert_eq!(restored.status(), 200);
    let etag = restored.headers()["etag"].to_str().unwrap().to_owned();
    let restored = json(restored).await["data"].clone();
    assert_eq!(restored["wishlistCount"], 1, "{restored}");
    assert_eq!(
        restored["version"], 3,
        "two above the deleted version 1: {restored}"
    );
    assert_eq!(etag, "\"3\"");
    for field in [
        "name",
        "description",
        "price",
        "stock",
        "category",
        "images",
        "createdAt",
    ] {
        assert_eq!(restored[field], product[field], "{field}");
    }
    let read = json(app.get_product(&id).await).await;
    assert_eq!(read["data"], restored);
    assert_eq!(
        product_ids(&json(app.list_products(query).await).await),
        vec![id.clone()]
    );
    let wishlist = json(app.get_as("/api/products/wishlist", &shopper).await).await;
    assert_eq!(wishlist["data"]["total"], 1, "{wishlist}");
    assert_eq!(wishlist["data"]["products"][0]["id"], id.as_str());
    let searched = json(app.list_products("search=restorable").await).await;
    assert!(product_ids(&searched).contains(&id), "{searched}");

    let deleted = next_for(&mut events, &id).await;
    assert_eq!(
        (deleted.event.as_str(), &deleted.data["version"]),
        ("product.deleted", &json!(2))
    );
    let back = next_for(&mut events, &id).await;
    assert_eq!(
        (back.event.as_str(), &back.data["version"]),
        ("product.restored", &json!(3))
    );

    // Restored once: a second restore finds nothing to restore.
    assert_eq!(restore(&app, &id).await.status(), 404);
}

#[tokio::test]
async fn a_restore_after_the_window_or_of_an_unknown_product_is_404() {
    let app = spawn_app().await;
    let product = app
        .create_product(json!({"category": "restore-window"}))
        .await;
    let id = product["id"].as_str().unwrap();
    assert_eq!(app.delete_product(id).await.status(), 200);
    // The window ends at `purgeAt`; move it into the past, as time passing would.
    let trash = app
        .mongo()
        .await
        .collection::<mongodb::bson::Document>("deleted_products");
    let oid = ObjectId::parse_str(id).unwrap();
    let ended = DateTime::from_millis(DateTime::now().timestamp_millis() - 1_000);
    let moved = trash
        .update_one(doc! { "_id": oid }, doc! { "$set": { "purgeAt": ended } })
        .await
        .unwrap();
    assert_eq!(
        moved.matched_count, 1,
        "the deleted product is kept in the trash"
    );
    let late = restore(&app, id).await;
    assert_eq!(late.status(), 404);
    assert_eq!(json(late).await["status"], "error");
    assert_eq!(app.get_product(id).await.status(), 404);

    assert_eq!(restore(&app, &ObjectId::new().to_hex()).await.status(), 404);
    assert_eq!(restore(&app, "not-an-id").await.status(), 400);
    let anonymous = app
        .client
        .post(app.url(&format!("/api/products/{id}/restore")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}
