use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

async fn list(app: &TestApp, query: &str) -> Value {
    let response = app.list_products(query).await;
    assert_eq!(response.status(), 200, "{query}");
    let body: Value = response.json().await.unwrap();
    body["data"].clone()
}

fn names(data: &Value) -> Vec<String> {
    data["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn count(app: &TestApp, query: &str) -> u64 {
    let body: Value = app.count_products(query).await.json().await.unwrap();
    body["data"].as_u64().unwrap()
}

#[tokio::test]
async fn filters_apply_to_list_and_count_alike() {
    let app = spawn_app().await;
    app.create_product(json!({"name": "Road Shoe", "price": 50, "category": "footwear"}))
        .await;
    app.create_product(
        json!({"name": "Trail Shoe", "price": 90, "category": "footwear", "isActive": false}),
    )
    .await;
    app.create_product(
        json!({"name": "Rain Jacket", "price": 120.5, "category": "apparel",
        "description": "Keeps the rain and the wind out"}),
    )
    .await;

    let cases: [(&str, &[&str]); 8] = [
        ("category=footwear&sort=name", &["Road Shoe", "Trail Shoe"]),
        ("isActive=false", &["Trail Shoe"]),
        ("isActive=true&sort=name", &["Rain Jacket", "Road Shoe"]),
        (
            "minPrice=60&maxPrice=120.5&sort=price",
            &["Trail Shoe", "Rain Jacket"],
        ),
        (
            "priceRange=%7B%22min%22%3A60%2C%22max%22%3A100%7D",
            &["Trail Shoe"],
        ),
        ("search=SHOE&sort=-name", &["Trail Shoe", "Road Shoe"]),
        ("search=wind", &["Rain Jacket"]),
        ("search=.*", &[]),
    ];
    for (query, expected) in cases {
        let data = list(&app, query).await;
        assert_eq!(names(&data), expected, "{query}");
        assert_eq!(data["total"], expected.len(), "{query}");
        assert_eq!(
            count(&app, query).await,
            expected.len() as u64,
            "count {query}"
        );
    }
}

#[tokio::test]
async fn pages_are_stable_when_sort_keys_tie() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let product = app
            .create_product(json!({"name": format!("Same Price {i}"), "price": 10}))
            .await;
        ids.push(product["id"].as_str().unwrap().to_owned());
    }
    for sort in ["price", "-price"] {
        let mut seen = Vec::new();
        for page in 1..=3 {
            let data = list(&app, &format!("sort={sort}&limit=3&page={page}")).await;
            assert_eq!(data["total"], 7);
            assert_eq!(data["totalPages"], 3);
            assert_eq!(data["page"], page);
            assert_eq!(data["limit"], 3);
            for p in data["products"].as_array().unwrap() {
                seen.push(p["id"].as_str().unwrap().to_owned());
            }
        }
        let mut expected = ids.clone();
        expected.sort();
        if sort == "-price" {
            expected.reverse();
        }
        assert_eq!(
            seen, expected,
            "ties broken by id in the sort direction ({sort})"
        );
    }
    let beyond = list(&app, "page=9&limit=3").await;
    assert_eq!(beyond["products"], json!([]));
    assert_eq!(beyond["total"], 7);
}

#[tokio::test]
async fn default_order_is_newest_first_with_default_page() {
    let app = spawn_app().await;
    for i in 0..3 {
        app.create_product(json!({"name": format!("Product {i}")}))
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let data = list(&app, "").await;
    assert_eq!(names(&data), ["Product 2", "Product 1", "Product 0"]);
    assert_eq!(
        (data["page"].as_u64(), data["limit"].as_u64()),
        (Some(1), Some(10))
    );
    let same = list(&app, "sort=-createdAt&page=1&limit=10").await;
    assert_eq!(same, data);
}
