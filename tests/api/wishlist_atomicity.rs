//! The wishlist membership and the product's `wishlistCount` move together: concurrent
//! toggles by one user, requests abandoned mid-way by their client, and a count already
//! wrong in MongoDB never leave a drifted or negative count, or a product that fails to read.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mongodb::bson::{doc, oid::ObjectId, Document};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Failures, TestApp};

async fn memberships(app: &TestApp, id: &str) -> u64 {
    app.mongo()
        .await
        .collection::<Document>("wishlists")
        .count_documents(doc! { "productId": ObjectId::parse_str(id).unwrap() })
        .await
        .unwrap()
}

async fn stored_count(app: &TestApp, id: &str) -> i64 {
    app.mongo()
        .await
        .collection::<Document>("products")
        .find_one(doc! { "_id": ObjectId::parse_str(id).unwrap() })
        .await
        .unwrap()
        .unwrap()
        .get_i64("wishlistCount")
        .unwrap()
}

/// Sends a PATCH over a raw socket and closes the socket after `after` without reading
/// the answer: the server sees its client vanish mid-request.
async fn abandoned_patch(app: &TestApp, token: &str, id: &str, member: bool, after: Duration) {
    let body = json!({"isWishlistStatus": member}).to_string();
    let request = format!(
        "PATCH /api/products/{id}/wishlist HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let address = app.address.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        std::thread::sleep(after);
        let _ = stream.shutdown(std::net::Shutdown::Both);
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_concurrent_toggles_by_one_user_with_resets_leave_an_exact_count() {
    let _turn = crate::helpers::load_turn().await;
    let app = Arc::new(spawn_app().await);
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app.user_token("toggler@example.com").await;
    let failures = Arc::new(Failures::default());
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (app, id, token, failures) = (app.clone(), id.clone(), token.clone(), failures.clone());
        tasks.push(tokio::spawn(async move {
            let member = i % 2 == 0;
            if i % 4 == 3 {
                // A client that gives up after 0–9 ms, somewhere inside the request.
                let after = Duration::from_millis((i % 10) as u64);
                abandoned_patch(&app, &token, &id, member, after).await;
                None
            } else {
                let started = Instant::now();
                let response = app
                    .client
                    .patch(app.url(&format!("/api/products/{id}/wishlist")))
                    .bearer_auth(&token)
                    .json(&json!({"isWishlistStatus": member}))
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                if status != 200 {
                    failures
                        .record("PATCH /api/products/{id}/wishlist", started, response)
                        .await;
                }
                Some(status)
            }
        }));
    }
    // Readers while the toggles run: every toggle retires the user's wishlist pages, so
    // these read MongoDB and see the product in whatever state the toggles left it.
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (app, token, failures) = (app.clone(), token.clone(), failures.clone());
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                for _ in 0..10 {
                    let started = Instant::now();
                    let response = app.get_as("/api/products/wishlist", &token).await;
                    let status = response.status().as_u16();
                    if status != 200 {
                        failures
                            .record("GET /api/products/wishlist", started, response)
                            .await;
                    }
                    statuses.push(status);
                }
                statuses
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for reader in readers {
        statuses.extend(reader.await.unwrap());
    }
    for task in tasks {
        if let Some(status) = task.await.unwrap() {
            statuses.push(status);
        }
    }
    assert!(
        statuses.iter().all(|s| *s == 200),
        "every toggle and read is 200: {statuses:?}{}",
        failures.report()
    );
    // Abandoned requests finish server-side on their own; give them a moment.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (members, count) = (memberships(&app, &id).await, stored_count(&app, &id).await);
        if members as i64 == count || tokio::time::Instant::now() > deadline {
            println!(
                "after 40 toggles (10 abandoned): {members} membership(s), wishlistCount {count}"
            );
            assert_eq!(count, members as i64);
            assert!(members <= 1);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let product = app.get_product(&id).await;
    assert_eq!(product.status(), 200);
    let wishlist = app.get_as("/api/products/wishlist", &token).await;
    assert_eq!(wishlist.status(), 200);
    let body: Value = wishlist.json().await.unwrap();
    assert_eq!(
        body["data"]["total"].as_u64(),
        Some(memberships(&app, &id).await)
    );
}

#[tokio::test]
async fn a_negative_count_in_mongodb_is_read_as_zero_and_reconciled() {
    let app = spawn_app().await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app.user_token("drift@example.com").await;
    assert_eq!(
        app.client
            .patch(app.url(&format!("/api/products/{id}/wishlist")))
            .bearer_auth(&token)
            .json(&json!({"isWishlistStatus": true}))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let products = app.mongo().await.collection::<Document>("products");
    products
        .update_one(
            doc! { "_id": ObjectId::parse_str(&id).unwrap() },
            doc! { "$set": { "wishlistCount": -1_i64 }, "$inc": { "version": 1_i64 } },
        )
        .await
        .unwrap();
    let product = app.get_product(&id).await;
    assert_eq!(product.status(), 200);
    let list = app.list_products("limit=100").await;
    assert_eq!(list.status(), 200);
    let wishlist = app.get_as("/api/products/wishlist", &token).await;
    assert_eq!(wishlist.status(), 200);
    let body: Value = wishlist.json().await.unwrap();
    assert_eq!(body["data"]["products"][0]["wishlistCount"], 0);

    let wishlists: Arc<dyn product_catalog::domain::ports::WishlistRepository> = Arc::new(
        product_catalog::infrastructure::mongo::MongoWishlistRepository::new(
            app.mongo().await,
            Duration::from_secs(5),
        ),
    );
    assert_eq!(wishlists.reconcile_counts().await.unwrap(), 1);
    assert_eq!(stored_count(&app, &id).await, 1);
    assert_eq!(wishlists.reconcile_counts().await.unwrap(), 0);
}

/// The repository call itself cut off at every point: each `set` is dropped after a growing
/// number of scheduler turns (so the cut sweeps through its steps), alternating true/false.
/// Whatever step it was at, the membership and the count end up agreeing.
///
/// A cut-off call's transaction goes on in its own task, so the calls run in a runtime of
/// their own and the check waits until every task there (transactions, and the driver's
/// aborts of sessions dropped mid-way) has finished: read earlier, the two numbers could be
/// taken either side of a commit still under way.
#[tokio::test]
async fn a_wishlist_change_cancelled_at_any_point_leaves_membership_and_count_agreeing() {
    use product_catalog::domain::ports::WishlistRepository;
    use product_catalog::domain::product::ProductId;
    use product_catalog::domain::user::UserId;

    let app = spawn_app().await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let wishlists = product_catalog::infrastructure::mongo::MongoWishlistRepository::new(
        app.mongo().await,
        Duration::from_secs(5),
    );
    let user = UserId::parse(&ObjectId::new().to_hex()).unwrap();
    let product = ProductId::parse(&id).unwrap();
    let calls = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let cut = calls
        .spawn(async move {
            let mut cut = 0;
            for turns in 0..80_u32 {
                let member = turns % 2 == 0;
                let call = wishlists.set(&user, &product, member);
                let deadline = async {
                    for _ in 0..turns * 3 {
                        tokio::task::yield_now().await;
                    }
                };
                tokio::select! {
                    _ = call => {}
                    _ = deadline => cut += 1,
                }
            }
            cut
        })
        .await
        .unwrap();
    let settled_by = Instant::now() + Duration::from_secs(60);
    while calls.metrics().num_alive_tasks() > 0 {
        assert!(
            Instant::now() < settled_by,
            "{} wishlist transaction task(s) still running after 60 s",
            calls.metrics().num_alive_tasks()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    calls.shutdown_background();
    let (members, count) = (memberships(&app, &id).await, stored_count(&app, &id).await);
    println!("80 set calls, {cut} cut off mid-way: {members} membership(s), wishlistCount {count}");
    assert_eq!(count, members as i64);
}
