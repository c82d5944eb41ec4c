//! Per-user wishlists and the exact `wishlistCount`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use mongodb::bson::{doc, oid::ObjectId, Document};
use serde_json::{json, Value};

use crate::helpers::{product_ids, shared_servers, spawn_app, spawn_app_with, test_settings};

#[tokio::test]
async fn setting_is_idempotent_and_needs_a_session() {
    let app = spawn_app().await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app.user_token("gus@example.com").await;
    assert_eq!(app.set_wishlist("", &id, true).await.status(), 401);
    for expected in [1, 1] {
        let response = app.set_wishlist(&token, &id, true).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"]["product"]["wishlistCount"], expected);
        assert_eq!(body["data"]["isWishlistStatus"], true);
    }
    let off: Value = app
        .set_wishlist(&token, &id, false)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(off["data"]["product"]["wishlistCount"], 0);
    assert_eq!(
        app.set_wishlist(&token, "665f1c0e9b1e8a3d4c2b1a09", true)
            .await
            .status(),
        404
    );
    let bad = app
        .client
        .patch(app.url(&format!("/api/products/{id}/wishlist")))
        .bearer_auth(&token)
        .json(&json!({"isWishlistStatus": "yes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_patches_by_ten_users_leave_an_exact_count_on_every_read_path() {
    let servers = shared_servers();
    let short_ttls = [
        ("CACHE_TTL_LIST_SECS", "1"),
        ("HTTP_CACHE_TTL_PRODUCT_SECS", "1"),
    ];
    let app = Arc::new(
        spawn_app_with(test_settings(
            &servers.mongo_uri,
            &servers.redis_url,
            &short_ttls,
        ))
        .await,
    );
    let id = app.create_product(json!({"category": "wish"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut tokens = Vec::new();
    for user in 0..10 {
        tokens.push(app.user_token(&format!("user{user}@example.com")).await);
    }
    // Warm every cache so stale entries would show.
    app.get_product(&id).await;
    app.list_products("category=wish").await;

    let tasks: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(user, token)| {
            let (app, id, token) = (app.clone(), id.clone(), token.clone());
            tokio::spawn(async move {
                let mut seed = user as u64 * 7919 + 17;
                let mut last = false;
                for _ in 0..5 {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    last = (seed >> 33).is_multiple_of(2);
                    assert_eq!(app.set_wishlist(&token, &id, last).await.status(), 200);
                }
                last
            })
        })
        .collect();
    let mut expected = 0;
    let mut last_by_user = Vec::new();
    for task in tasks {
        let last = task.await.unwrap();
        expected += u64::from(last);
        last_by_user.push(last);
    }

    let products = app.mongo().await.collection::<Document>("products");
    let stored = products
        .find_one(doc! {"_id": ObjectId::parse_str(&id).unwrap()})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.get_i64("wishlistCount").unwrap() as u64,
        expected,
        "MongoDB"
    );
    let members = app
        .mongo()
        .await
        .collection::<Document>("wishlists")
        .count_documents(doc! {"productId": ObjectId::parse_str(&id).unwrap()})
        .await
        .unwrap();
    assert_eq!(members, expected, "membership documents");

    let single: Value = app
        .get_as(&format!("/api/products/{id}"), &app.admin_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        single["data"]["wishlistCount"].as_u64(),
        Some(expected),
        "use-case cache is exact at once"
    );

    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let anonymous: Value = app.get_product(&id).await.json().await.unwrap();
    assert_eq!(
        anonymous["data"]["wishlistCount"].as_u64(),
        Some(expected),
        "HTTP cache after its TTL"
    );
    let list: Value = app
        .list_products("category=wish")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["data"]["products"][0]["wishlistCount"].as_u64(),
        Some(expected),
        "list after its TTL"
    );
    for (token, last) in tokens.iter().zip(&last_by_user) {
        let page: Value = app
            .get_as("/api/products/wishlist", token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            product_ids(&page).contains(&id),
            *last,
            "each user's own wishlist"
        );
    }
    println!("50 concurrent PATCHes by 10 users: wishlistCount {expected} everywhere");
}

#[tokio::test]
async fn one_users_wishlist_never_shows_in_anothers_response() {
    let app = spawn_app().await;
    let a = app.create_product(json!({"name": "For Hal"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = app.create_product(json!({"name": "For Ida"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (hal, ida) = (
        app.user_token("hal@example.com").await,
        app.user_token("ida@example.com").await,
    );
    app.set_wishlist(&hal, &a, true).await;
    app.set_wishlist(&ida, &b, true).await;
    let mut seen = HashMap::new();
    for _ in 0..2 {
        for (who, token) in [("hal", &hal), ("ida", &ida)] {
            let response = app.get_as("/api/products/wishlist", token).await;
            assert!(
                response
                    .headers()
                    .get("x-cache")
                    .is_none_or(|v| v == "BYPASS"),
                "never from the shared HTTP cache"
            );
            let page: Value = response.json().await.unwrap();
            seen.insert(who, product_ids(&page));
        }
    }
    assert_eq!(seen["hal"], vec![a.clone()]);
    assert_eq!(seen["ida"], vec![b.clone()]);
    let anonymous = app.get("/api/products/wishlist").await;
    assert_eq!(anonymous.status(), 401);
    let authed_list = app.get_as("/api/products", &hal).await;
    assert_eq!(
        authed_list.headers()["x-cache"],
        "BYPASS",
        "authenticated reads bypass the HTTP cache"
    );
}

#[tokio::test]
async fn deleting_a_product_removes_it_from_every_wishlist() {
    let app = spawn_app().await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app.user_token("jo@example.com").await;
    app.set_wishlist(&token, &id, true).await;
    let before: Value = app
        .get_as("/api/products/wishlist", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(before["data"]["total"], 1);
    assert_eq!(app.delete_product(&id).await.status(), 200);
    let after: Value = app
        .get_as("/api/products/wishlist", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["data"]["total"], 0);
    assert_eq!(after["data"]["products"], json!([]));
}

/// The wishlist honours paging only; a filter or sort it would ignore is refused by name.
#[tokio::test]
async fn the_wishlist_accepts_exactly_the_parameters_it_honours() {
    let app = spawn_app().await;
    let token = app.user_token("pager@example.com").await;
    let ok = app
        .get_as("/api/products/wishlist?page=2&limit=5", &token)
        .await;
    assert_eq!(ok.status(), 200);
    for (query, field) in [("sort=-price", "sort"), ("category=footwear", "category")] {
        let response = app
            .get_as(&format!("/api/products/wishlist?{query}"), &token)
            .await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["field"], field, "{body}");
    }
}

/// A shopper's toggle moves `wishlistCount` but not the content version: an admin's
/// `If-Match` update based on the version they read still applies, and every read path
/// shows the new count.
#[tokio::test]
async fn a_wishlist_toggle_never_fails_an_admins_conditional_update() {
    let app = spawn_app().await;
    let created = app.create_product(json!({})).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let read = app.get_product(&id).await;
    let etag = read.headers()["etag"].to_str().unwrap().to_owned();
    let token = app.user_token("shopper7@example.com").await;
    let toggled: Value = app
        .set_wishlist(&token, &id, true)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(toggled["data"]["product"]["wishlistCount"], 1);
    assert_eq!(toggled["data"]["product"]["version"], created["version"]);
    // With a token the HTTP response cache is bypassed: this is the product cache.
    let cached = app.get_as(&format!("/api/products/{id}"), &token).await;
    assert_eq!(cached.headers()["x-data-source"], "cache");
    let cached: Value = cached.json().await.unwrap();
    assert_eq!(
        cached["data"]["wishlistCount"], 1,
        "the cache took the new count"
    );
    let update = app
        .put_product(&id, &json!({"stock": 2}), Some(&etag))
        .await;
    assert_eq!(update.status(), 200, "If-Match {etag} still matches");
    let updated: Value = update.json().await.unwrap();
    assert_eq!(updated["data"]["stock"], 2);
    assert_eq!(updated["data"]["wishlistCount"], 1);
}

/// A membership whose product is gone (its delete's cleanup failed) is neither listed nor
/// counted.
#[tokio::test]
async fn the_wishlist_total_counts_live_products_only() {
    let app = spawn_app().await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app.user_token("dangling@example.com").await;
    assert_eq!(app.set_wishlist(&token, &id, true).await.status(), 200);
    let session: Value = app
        .get_as("/api/auth/session", &token)
        .await
        .json()
        .await
        .unwrap();
    let user = ObjectId::parse_str(session["data"]["user"]["id"].as_str().unwrap()).unwrap();
    app.mongo()
        .await
        .collection::<Document>("wishlists")
        .insert_one(doc! {
            "_id": ObjectId::new(),
            "userId": user,
            "productId": ObjectId::new(),
            "createdAt": mongodb::bson::DateTime::now(),
        })
        .await
        .unwrap();
    let page: Value = app
        .get_as("/api/products/wishlist?limit=100", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["data"]["total"], 1, "{page}");
    assert_eq!(product_ids(&page), [id]);
}
