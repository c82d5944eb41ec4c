//! Cursor (keyset) pagination: a walk over the whole catalogue in every sort order, while
//! writers insert and delete, sees every product that existed throughout exactly once;
//! cursors are opaque and tamper-evident; numbered pages stop at a depth and name the
//! cursor.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const CATALOGUE: usize = 1_000;
const WRITERS: usize = 8;
const SORTS: [&str; 6] = [
    "createdAt",
    "-createdAt",
    "price",
    "-price",
    "name",
    "-name",
];

/// `CATALOGUE` products stored directly (an API create costs a transaction each), with
/// few distinct prices, names and creation times, so ties cross page boundaries and the
/// id decides them.
async fn seed(app: &TestApp) -> Vec<String> {
    let base = DateTime::now().timestamp_millis() - 3_600_000;
    let documents: Vec<Document> = (0..CATALOGUE)
        .map(|i| {
            let at = DateTime::from_millis(base + (i as i64 % 97) * 1_000);
            doc! {
                "_id": ObjectId::new(),
                "name": format!("Walk product {}", i % 31),
                "description": "A product for the cursor walk",
                "priceCents": 100 + (i as i64 % 23) * 50,
                "stock": 5_i64,
                "category": "walk",
                "images": [],
                "isActive": true,
                "wishlistCount": 0_i64,
                "version": 1_i64,
                "revision": 1_i64,
                "createdAt": at,
                "updatedAt": at,
            }
        })
        .collect();
    let ids = documents
        .iter()
        .map(|d| d.get_object_id("_id").unwrap().to_hex())
        .collect();
    app.mongo()
        .await
        .collection::<Document>("products")
        .insert_many(documents)
        .await
        .unwrap();
    ids
}

async fn page(app: &TestApp, query: &str) -> Value {
    let response = app.list_products(query).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{query}: {body}");
    body["data"].clone()
}

fn ids_of(page: &Value) -> Vec<String> {
    page["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every id seen walking `sort` by `nextCursor` from page 1, then back by `prevCursor`
/// from the last page.
async fn walk(app: &TestApp, sort: &str) -> (Vec<String>, Vec<String>) {
    let base = format!("category=walk&sort={sort}&limit=37");
    let mut forward = Vec::new();
    let mut current = page(app, &base).await;
    loop {
        forward.extend(ids_of(&current));
        let Some(next) = current["nextCursor"].as_str() else {
            break;
        };
        current = page(app, &format!("{base}&cursor={next}")).await;
        assert!(current["page"].is_null(), "a cursor page has no number");
        assert!(current["total"].is_null(), "and is not counted");
    }
    let mut backward = Vec::new();
    loop {
        let mut ids = ids_of(&current);
        ids.reverse();
        backward.extend(ids);
        let Some(previous) = current["prevCursor"].as_str() else {
            break;
        };
        current = page(app, &format!("{base}&cursor={previous}")).await;
    }
    (forward, backward)
}

/// Each writer inserts a product and deletes one of the originals set aside for it (or
/// one it inserted), until told to stop.
async fn write_until(app: Arc<TestApp>, mut victims: Vec<String>, stop: Arc<AtomicBool>) {
    let mut mine = Vec::new();
    let mut round = 0;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        let created = app
            .create_product(json!({"name": format!("Walk product {}", round % 31), "category": "walk", "price": 3.5}))
            .await;
        mine.push(created["id"].as_str().unwrap().to_owned());
        let victim = match (round % 2, victims.pop()) {
            (0, Some(victim)) => victim,
            (_, other) => {
                victims.extend(other);
                mine.remove(0)
            }
        };
        let deleted = app.delete_product(&victim).await;
        assert!(
            matches!(deleted.status().as_u16(), 200 | 204),
            "{}",
            deleted.status()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_walk_in_every_order_sees_each_product_that_existed_throughout_exactly_once() {
    let app = Arc::new(spawn_app().await);
    let originals = seed(&app).await;
    // Every writer may delete 20 originals; the rest existed throughout.
    let victims: Vec<Vec<String>> = originals[..WRITERS * 20]
        .chunks(20)
        .map(<[String]>::to_vec)
        .collect();
    let throughout: HashSet<&String> = originals[WRITERS * 20..].iter().collect();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = victims
        .into_iter()
        .map(|mine| tokio::spawn(write_until(app.clone(), mine, stop.clone())))
        .collect();
    for sort in SORTS {
        let (forward, backward) = walk(&app, sort).await;
        for (direction, seen) in [("forward", &forward), ("backward", &backward)] {
            let mut counts: HashMap<&String, usize> = HashMap::new();
            for id in seen {
                *counts.entry(id).or_default() += 1;
            }
            let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
            assert!(
                repeated.is_empty(),
                "{sort} {direction}: repeated {repeated:?}"
            );
            let missing = throughout
                .iter()
                .filter(|id| !counts.contains_key(**id))
                .count();
            assert_eq!(missing, 0, "{sort} {direction}: {missing} products skipped");
        }
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
}

#[tokio::test]
async fn a_forged_or_malformed_cursor_is_a_400_naming_cursor() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.create_product(json!({})).await;
    }
    let first = page(&app, "limit=1&sort=price").await;
    let next = first["nextCursor"].as_str().unwrap().to_owned();
    let (payload, tag) = next.split_once('.').unwrap();
    let mut flipped = payload.as_bytes().to_vec();
    flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
    let forged = format!("{}.{tag}", String::from_utf8(flipped).unwrap());
    for (query, why) in [
        (format!("limit=1&sort=price&cursor={forged}"), "altered"),
        (
            "limit=1&sort=price&cursor=not-a-cursor".to_owned(),
            "made up",
        ),
        (
            format!("limit=1&sort=price&cursor={}", &next[..10]),
            "truncated",
        ),
        (format!("limit=1&sort=-price&cursor={next}"), "another sort"),
        (
            format!("limit=1&sort=price&category=x&cursor={next}"),
            "another filter",
        ),
    ] {
        let response = app.list_products(&query).await;
        assert_eq!(response.status(), 400, "{why}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "error", "{why}: {body}");
        assert_eq!(body["errors"][0]["field"], "cursor", "{why}: {body}");
    }
    let again = page(&app, &format!("limit=1&sort=price&cursor={next}")).await;
    assert_eq!(again["products"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_numbered_page_past_the_depth_cap_is_a_400_that_names_the_cursor() {
    let app = spawn_app().await;
    let response = app.list_products("page=101&limit=100").await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "page", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("cursor"), "{message}");
    assert_eq!(app.list_products("page=100&limit=100").await.status(), 200);
}
