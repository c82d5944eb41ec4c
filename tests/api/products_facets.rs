//! Facets: counts per category, price bucket and stock equal a brute-force count over the
//! stored products, for random filters. The products are stored directly, with the search
//! terms the service would give them.

use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use product_catalog::domain::search::ProductTerms;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::helpers::spawn_app;

const CATEGORIES: [&str; 6] = ["tools", "garden", "kitchen", "toys", "books", "sport"];
const WORDS: [&str; 6] = ["red", "blue", "steel", "oak", "mini", "pro"];
/// The default `FACET_PRICE_EDGES`, in cents.
const EDGES: [i64; 6] = [1_000, 2_500, 5_000, 10_000, 25_000, 50_000];

#[derive(Debug, Clone)]
struct Stored {
    name: String,
    category: &'static str,
    cents: i64,
    stock: i64,
    active: bool,
}

#[derive(Debug, Default)]
struct Filter {
    category: Option<&'static str>,
    active: Option<bool>,
    min: Option<i64>,
    max: Option<i64>,
    search: Option<&'static str>,
}

impl Filter {
    fn random(rng: &mut impl Rng) -> Self {
        let min = rng.random_bool(0.4).then(|| rng.random_range(0..40_000));
        Self {
            category: rng
                .random_bool(0.5)
                .then(|| CATEGORIES[rng.random_range(0..CATEGORIES.len())]),
            active: rng.random_bool(0.4).then(|| rng.random_bool(0.5)),
            max: rng
                .random_bool(0.4)
                .then(|| min.unwrap_or(0) + rng.random_range(0..60_000)),
            min,
            search: rng
                .random_bool(0.3)
                .then(|| WORDS[rng.random_range(0..WORDS.len())]),
        }
    }

    fn query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = self.category {
            parts.push(format!("category={c}"));
        }
        if let Some(a) = self.active {
            parts.push(format!("isActive={a}"));
        }
        if let Some(m) = self.min {
            parts.push(format!("minPrice={}.{:02}", m / 100, m % 100));
        }
        if let Some(m) = self.max {
            parts.push(format!("maxPrice={}.{:02}", m / 100, m % 100));
        }
        if let Some(s) = self.search {
            parts.push(format!("search={}", s.to_uppercase()));
        }
        parts.join("&")
    }

    fn holds(&self, p: &Stored) -> bool {
        self.category.is_none_or(|c| c == p.category)
            && self.active.is_none_or(|a| a == p.active)
            && self.min.is_none_or(|m| p.cents >= m)
            && self.max.is_none_or(|m| p.cents <= m)
            && self
                .search
                .is_none_or(|s| p.name.to_lowercase().contains(s))
    }
}

fn bucket_of(cents: i64) -> usize {
    EDGES.iter().take_while(|edge| cents >= **edge).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facet_counts_equal_brute_force_counts_for_random_filters() {
    let app = spawn_app().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(28);
    let products: Vec<Stored> = (0..1_000)
        .map(|_| Stored {
            name: format!(
                "{} {} item",
                WORDS[rng.random_range(0..WORDS.len())],
                WORDS[rng.random_range(0..WORDS.len())]
            ),
            category: CATEGORIES[rng.random_range(0..CATEGORIES.len())],
            // Edges themselves included: a bucket starts at its edge.
            cents: if rng.random_bool(0.1) {
                EDGES[rng.random_range(0..EDGES.len())]
            } else {
                rng.random_range(0..80_000)
            },
            stock: if rng.random_bool(0.3) {
                0
            } else {
                rng.random_range(1..50)
            },
            active: rng.random_bool(0.8),
        })
        .collect();
    let now = DateTime::now();
    let documents: Vec<Document> = products
        .iter()
        .map(|p| {
            let terms = ProductTerms::of(&p.name, "Facet test product", p.category);
            doc! {
                "searchTerms": terms.all, "nameTerms": terms.name,
                "searchPrefixes": terms.prefixes,
                "_id": ObjectId::new(), "name": &p.name, "description": "Facet test product",
                "priceCents": p.cents, "stock": p.stock, "category": p.category, "images": [],
                "isActive": p.active, "wishlistCount": 0_i64, "version": 1_i64,
                "revision": 1_i64, "createdAt": now, "updatedAt": now,
            }
        })
        .collect();
    app.mongo()
        .await
        .collection::<Document>("products")
        .insert_many(documents)
        .await
        .unwrap();

    let mut filters = vec![Filter::default()];
    filters.extend((0..19).map(|_| Filter::random(&mut rng)));
    for filter in filters {
        let query = filter.query();
        let response = app.get(&format!("/api/products/facets?{query}")).await;
        assert_eq!(response.status(), 200, "{query}");
        let facets: Value = response.json().await.unwrap();
        let facets = &facets["data"];
        let matching: Vec<&Stored> = products.iter().filter(|p| filter.holds(p)).collect();

        assert_eq!(facets["total"], matching.len(), "{query}");
        let mut categories: Vec<(String, usize)> = CATEGORIES
            .iter()
            .map(|c| {
                (
                    c.to_string(),
                    matching.iter().filter(|p| p.category == *c).count(),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        categories.sort();
        let reported: Vec<(String, usize)> = facets["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["category"].as_str().unwrap().to_owned(),
                    c["count"].as_u64().unwrap() as usize,
                )
            })
            .collect();
        assert_eq!(reported, categories, "{query}");
        let mut buckets = [0_usize; EDGES.len() + 1];
        for p in &matching {
            buckets[bucket_of(p.cents)] += 1;
        }
        let reported: Vec<usize> = facets["prices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"].as_u64().unwrap() as usize)
            .collect();
        assert_eq!(reported, buckets, "{query}");
        let in_stock = matching.iter().filter(|p| p.stock > 0).count();
        assert_eq!(facets["stock"]["inStock"], in_stock, "{query}");
        assert_eq!(
            facets["stock"]["outOfStock"],
            matching.len() - in_stock,
            "{query}"
        );
        let count: Value = app.count_products(&query).await.json().await.unwrap();
        assert_eq!(
            count["data"],
            matching.len(),
            "{query}: count and facets agree"
        );
    }
}

#[tokio::test]
async fn price_buckets_follow_the_configured_edges_and_name_their_bounds() {
    let app = spawn_app().await;
    let response = app.get("/api/products/facets?category=none-such").await;
    assert_eq!(response.status(), 200);
    let facets: Value = response.json().await.unwrap();
    let prices = facets["data"]["prices"].as_array().unwrap();
    assert_eq!(prices.len(), EDGES.len() + 1, "every bucket, empty or not");
    assert_eq!(prices[0]["min"], 0.0);
    assert_eq!(prices[0]["max"], 10.0);
    assert!(prices[EDGES.len()]["max"].is_null());
    assert_eq!(facets["data"]["total"], 0);
    let bad = app.get("/api/products/facets?minPrice=x").await;
    assert_eq!(bad.status(), 400);
}
