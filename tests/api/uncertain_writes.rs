//! A write that times out may still commit once MongoDB catches up. The cache must then
//! follow MongoDB within seconds, not keep serving the old state for its whole TTL.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{shared_servers, spawn_app_on, MongoServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_that_timed_out_but_committed_is_not_served_from_the_cache() {
    let mongo = MongoServer::start();
    let app = spawn_app_on(&mongo.uri(), &shared_servers().redis_url).await;
    let token = app.user_token("uncertain@example.com").await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/products/{id}");
    let before = app.get_as(&path, &token).await;
    assert_eq!(before.headers()["x-data-source"], "cache");

    // MongoDB stops answering while the delete is on the wire: the request times out with
    // 503, and the delete is applied when MongoDB wakes up.
    mongo.freeze();
    let deleted = app.delete_product(&id).await;
    mongo.thaw();
    assert_eq!(deleted.status(), 503);

    let started = tokio::time::Instant::now();
    let products = app
        .mongo()
        .await
        .collection::<mongodb::bson::Document>("products");
    let filter = mongodb::bson::doc! {
        "_id": mongodb::bson::oid::ObjectId::parse_str(&id).unwrap()
    };
    loop {
        let in_mongo = products.count_documents(filter.clone()).await.unwrap();
        let response = app.get_as(&path, &token).await;
        let status = response.status().as_u16();
        if in_mongo == 0 && status == 404 {
            println!(
                "the delete landed after the timeout; the cache followed in {:?}",
                started.elapsed()
            );
            break;
        }
        if in_mongo == 1 && status == 200 && started.elapsed() > Duration::from_secs(10) {
            println!("the delete never landed; the cache agrees with MongoDB");
            break;
        }
        let body: Value = response.json().await.unwrap_or_default();
        assert!(
            started.elapsed() < Duration::from_secs(25),
            "{in_mongo} product(s) in MongoDB but {status} after 25 s: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
