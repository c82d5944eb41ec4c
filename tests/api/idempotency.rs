//! `Idempotency-Key` on product writes: a repeat is answered with the first answer and
//! writes nothing; the key for another request is refused; a write cut off by an outage is
//! retried safely with its key.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use mongodb::bson::doc;
use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::helpers::{
    product_body, shared_servers, spawn_app, spawn_app_with, test_settings, MongoServer, TestApp,
};

/// One keyed request's answer: status, `Location`, whether it was replayed, and body.
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    status: u16,
    location: Option<String>,
    replayed: bool,
    body: Value,
}

async fn answer(response: Response) -> Answer {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (location, replayed) = (
        header("location"),
        header("idempotent-replayed").as_deref() == Some("true"),
    );
    Answer {
        status: response.status().as_u16(),
        location,
        replayed,
        body: response.json().await.unwrap_or(Value::Null),
    }
}

/// `method path` with `body` (if any) and `Idempotency-Key: key`, as the admin.
async fn keyed(
    app: &TestApp,
    method: Method,
    path: &str,
    key: &str,
    body: Option<&Value>,
) -> Answer {
    let mut request = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&app.admin_token)
        .header("Idempotency-Key", key);
    if let Some(body) = body {
        request = request.json(body);
    }
    answer(request.send().await.expect("request sent")).await
}

fn body_in(category: &str) -> Value {
    let mut body = product_body();
    body["category"] = json!(category);
    body
}

async fn stored_in(app: &TestApp, category: &str) -> u64 {
    let products = app
        .mongo()
        .await
        .collection::<mongodb::bson::Document>("products");
    products
        .count_documents(doc! { "category": category })
        .await
        .unwrap()
}

#[tokio::test]
async fn fifty_concurrent_creates_with_one_key_make_one_product_and_fifty_identical_answers() {
    let app = spawn_app().await;
    let body = body_in("idem-fifty");
    let answers = join_all((0..50).map(|_| {
        keyed(
            &app,
            Method::POST,
            "/api/products",
            "create-fifty-1",
            Some(&body),
        )
    }))
    .await;
    assert_eq!(
        stored_in(&app, "idem-fifty").await,
        1,
        "exactly one product"
    );
    let first = answers
        .iter()
        .find(|a| !a.replayed)
        .expect("one answer wrote");
    assert_eq!(first.status, 201, "{first:?}");
    assert!(first.location.is_some());
    for answer in &answers {
        assert_eq!(
            (answer.status, &answer.location, &answer.body),
            (first.status, &first.location, &first.body),
            "every answer is the first one"
        );
    }
    assert_eq!(answers.iter().filter(|a| a.replayed).count(), 49);

    // The same key with another body: refused, naming the header; still one product.
    let other = body_in("idem-fifty-other");
    let reused = keyed(
        &app,
        Method::POST,
        "/api/products",
        "create-fifty-1",
        Some(&other),
    )
    .await;
    assert_eq!(reused.status, 422, "{reused:?}");
    assert_eq!(reused.body["status"], "error");
    assert_eq!(reused.body["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(stored_in(&app, "idem-fifty-other").await, 0);
    // Or another method and path.
    let id = first.body["data"]["id"].as_str().unwrap();
    let elsewhere = keyed(
        &app,
        Method::DELETE,
        &format!("/api/products/{id}"),
        "create-fifty-1",
        None,
    )
    .await;
    assert_eq!(elsewhere.status, 422, "{elsewhere:?}");
    assert_eq!(
        app.get_product(id).await.status(),
        200,
        "nothing was deleted"
    );
}

#[tokio::test]
async fn keys_are_checked_and_requests_without_one_are_not_deduplicated() {
    let app = spawn_app().await;
    let body = body_in("idem-unkeyed");
    for bad in ["", "with space", &"k".repeat(256), "caf\u{e9}"] {
        let response = app
            .client
            .post(app.url("/api/products"))
            .bearer_auth(&app.admin_token)
            .header("Idempotency-Key", bad.as_bytes())
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let json: Value = response.json().await.unwrap();
        assert_eq!(status, 400, "{bad:?}: {json}");
        assert_eq!(json["errors"][0]["field"], "Idempotency-Key");
    }
    assert_eq!(app.post_product(&body).await.status(), 201);
    assert_eq!(app.post_product(&body).await.status(), 201);
    assert_eq!(stored_in(&app, "idem-unkeyed").await, 2);
}

#[tokio::test]
async fn a_repeated_update_or_delete_is_answered_as_the_first_and_changes_nothing() {
    let app = spawn_app().await;
    let product = app.create_product(json!({"category": "idem-update"})).await;
    let path = format!("/api/products/{}", product["id"].as_str().unwrap());
    let change = json!({"stock": 41});
    let first = keyed(&app, Method::PUT, &path, "update-1", Some(&change)).await;
    assert_eq!((first.status, first.replayed), (200, false), "{first:?}");
    assert_eq!(first.body["data"]["version"], 2);
    // Someone else changes the product; the repeat still answers what the first did.
    assert_eq!(
        app.put_product(product["id"].as_str().unwrap(), &json!({"stock": 7}), None)
            .await
            .status(),
        200
    );
    let repeat = keyed(&app, Method::PUT, &path, "update-1", Some(&change)).await;
    assert_eq!((repeat.status, repeat.replayed), (200, true));
    assert_eq!(repeat.body, first.body);
    let now: Value = app
        .get_product(product["id"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            now["data"]["version"].as_u64(),
            now["data"]["stock"].as_u64()
        ),
        (Some(3), Some(7))
    );

    let deleted = keyed(&app, Method::DELETE, &path, "delete-1", None).await;
    assert_eq!(
        (deleted.status, deleted.replayed),
        (200, false),
        "{deleted:?}"
    );
    let again = keyed(&app, Method::DELETE, &path, "delete-1", None).await;
    assert_eq!((again.status, again.replayed), (200, true), "{again:?}");
    assert_eq!(again.body, deleted.body);
    let unkeyed = app.delete_product(product["id"].as_str().unwrap()).await;
    assert_eq!(
        unkeyed.status(),
        404,
        "without a key a second delete finds nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_cut_off_by_a_frozen_mongodb_is_retried_with_its_key_into_one_product() {
    let mongo = MongoServer::start();
    let settings = test_settings(
        &mongo.uri(),
        &shared_servers().redis_url,
        &[("MONGODB_OPERATION_TIMEOUT_MS", "2000")],
    );
    let app = spawn_app_with(settings).await;
    app.create_product(json!({"category": "idem-warm"})).await;
    let body = body_in("idem-frozen");

    mongo.freeze();
    let cut_off = keyed(&app, Method::POST, "/api/products", "frozen-1", Some(&body)).await;
    assert_eq!(cut_off.status, 503, "{cut_off:?}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    mongo.thaw();

    let deadline = Instant::now() + Duration::from_secs(30);
    let created = loop {
        let retry = keyed(&app, Method::POST, "/api/products", "frozen-1", Some(&body)).await;
        if retry.status == 201 {
            break retry;
        }
        assert_eq!(retry.status, 503, "{retry:?}");
        assert!(Instant::now() < deadline, "no answer after the thaw");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    println!(
        "after the thaw: 201, replayed from a receipt: {}",
        created.replayed
    );
    let repeat = keyed(&app, Method::POST, "/api/products", "frozen-1", Some(&body)).await;
    assert_eq!((repeat.status, repeat.replayed), (201, true));
    assert_eq!(
        (repeat.location, repeat.body),
        (created.location, created.body)
    );
    assert_eq!(stored_in(&app, "idem-frozen").await, 1, "still one product");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_given_one_key_at_once_make_one_product() {
    let mongo = MongoServer::start();
    let settings = test_settings(&mongo.uri(), &shared_servers().redis_url, &[]);
    let a = spawn_app_with(settings.clone()).await;
    let b = spawn_app_with(settings).await;
    let body = body_in("idem-two");
    let answers = join_all((0..20).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        keyed(
            app,
            Method::POST,
            "/api/products",
            "two-instances-1",
            Some(&body),
        )
    }))
    .await;
    assert_eq!(stored_in(&a, "idem-two").await, 1, "exactly one product");
    let created: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
    assert!(!created.is_empty(), "{answers:?}");
    for answer in &answers {
        // A repeat that finds the first still being written on the other instance is
        // told so (409, retry); every other answer is the first one.
        if answer.status == 409 {
            continue;
        }
        assert_eq!(
            (answer.status, &answer.body),
            (201, &created[0].body),
            "{answer:?}"
        );
    }
    let writers = answers
        .iter()
        .filter(|a| a.status == 201 && !a.replayed)
        .count();
    let in_flight = answers.iter().filter(|a| a.status == 409).count();
    println!("20 requests over two instances: {writers} wrote, {in_flight} were told in flight");
    assert_eq!(writers, 1, "one request wrote; the rest replayed");
}
