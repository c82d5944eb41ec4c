//! Search by terms: ranked by where a word is found, the last word matching as a prefix,
//! case and accents folded, served by the terms index, and older products filled in.

use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, TestApp};

async fn names(app: &TestApp, query: &str) -> Vec<String> {
    let response = app.list_products(query).await;
    assert_eq!(response.status(), 200, "{query}");
    let body: Value = response.json().await.unwrap();
    body["data"]["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn relevance_ranks_a_name_match_before_a_description_match() {
    let app = spawn_app().await;
    app.create_product(json!({"name": "Summit Runner", "description": "A light trail shoe"}))
        .await;
    // Newer, so it would come first in the default order.
    app.create_product(json!({"name": "Trail Sock", "description": "Made for every runner"}))
        .await;
    app.create_product(json!({"name": "Rain Jacket", "description": "Keeps the rain out"}))
        .await;
    assert_eq!(
        names(&app, "search=runner&sort=relevance").await,
        ["Summit Runner", "Trail Sock"]
    );
    assert_eq!(
        names(&app, "search=runner").await,
        ["Trail Sock", "Summit Runner"],
        "without relevance: newest first"
    );
    assert_eq!(
        names(&app, "search=trail%20runner&sort=relevance").await,
        ["Trail Sock", "Summit Runner"],
        "one word in each name: a tie, newest first"
    );
    let without_search = app.list_products("sort=relevance").await;
    assert_eq!(without_search.status(), 400);
}

#[tokio::test]
async fn the_last_word_is_a_prefix_and_case_and_accents_fold() {
    let app = spawn_app().await;
    app.create_product(json!({"name": "Running shoe", "description": "Road shoe for daily runs"}))
        .await;
    app.create_product(
        json!({"name": "Corner cafe table", "description": "Oak top and iron legs"}),
    )
    .await;
    app.create_product(
        json!({"name": "Crème brûlée set", "description": "Six ramekins and a torch"}),
    )
    .await;
    assert_eq!(names(&app, "search=runn").await, ["Running shoe"]);
    assert_eq!(names(&app, "search=CAFÉ").await, ["Corner cafe table"]);
    assert_eq!(
        names(&app, "search=creme%20BRULEE").await,
        ["Crème brûlée set"]
    );
    assert!(
        names(&app, "search=unning").await.is_empty(),
        "a prefix, not any substring"
    );
    assert!(
        names(&app, "search=runn%20road").await.is_empty(),
        "every word but the last is a whole term: no term is 'runn'"
    );
    assert_eq!(names(&app, "search=road%20runn").await, ["Running shoe"]);
    let count: Value = app.count_products("search=caf").await.json().await.unwrap();
    assert_eq!(count["data"], 1);
}

#[tokio::test]
async fn searches_are_served_by_the_terms_index() {
    let app = spawn_app().await;
    app.create_product(json!({"name": "Running shoe"})).await;
    let products = app.mongo().await.collection::<Document>("products");
    // The filters a search for "runn" and for a long word build. (A search of several
    // words adds `searchTerms: {$all: [...]}` beside it: a real MongoDB serves that from
    // either index; the stand-in's planner uses an index only for one-field filters.)
    for filter in [
        doc! { "searchPrefixes": "runn" },
        doc! { "searchPrefixes": "uberschall" },
    ] {
        let plan = app
            .mongo()
            .await
            .run_command(doc! { "explain": { "find": "products", "filter": filter.clone() } })
            .await
            .unwrap();
        let text = plan.to_string();
        assert!(
            text.contains("IXSCAN") && text.contains("searchPrefixes_1"),
            "{filter}: {text}"
        );
    }
    assert_eq!(
        products
            .count_documents(doc! { "searchTerms": "shoe" })
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn products_stored_before_search_used_terms_are_filled_in_at_start() {
    let app = spawn_app().await;
    let now = DateTime::now();
    app.mongo()
        .await
        .collection::<Document>("products")
        .insert_one(doc! {
            "_id": ObjectId::new(), "name": "Vintage Lantern", "description": "Brass, 1920s",
            "priceCents": 1_500_i64, "stock": 3_i64, "category": "lighting", "images": [],
            "isActive": true, "wishlistCount": 0_i64, "version": 1_i64, "revision": 1_i64,
            "createdAt": now, "updatedAt": now,
        })
        .await
        .unwrap();
    assert!(names(&app, "search=lantern").await.is_empty());
    let restarted = spawn_app_with(app.settings.clone()).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    for attempt in 0.. {
        // A fresh query each time: the list cache would keep the empty answer.
        let query = format!("search=lant&limit={}", 1 + attempt % 90);
        if names(&restarted, &query).await == ["Vintage Lantern"] {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never filled in");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
