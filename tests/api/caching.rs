//! The caching strategies seen from outside: where data comes from, that writes show at
//! once on every read path, and that concurrent misses collapse into one MongoDB read.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fred::prelude::KeysInterface;
use mongodb::bson::{doc, oid::ObjectId, Document};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Failures, TestApp};

fn source(response: &reqwest::Response) -> String {
    response.headers()["x-data-source"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn reads_say_where_data_came_from_and_writes_show_at_once() {
    let app = spawn_app().await;
    let id = app.create_product(json!({"category": "bags"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let first = app.get_product(&id).await;
    assert_eq!(source(&first), "cache", "create wrote the product through");

    let list = app.list_products("category=bags").await;
    assert_eq!(source(&list), "database");
    let list = app.list_products("category=bags").await;
    assert_eq!(source(&list), "cache");
    assert_eq!(
        source(&app.count_products("category=bags").await),
        "database"
    );
    assert_eq!(source(&app.count_products("category=bags").await), "cache");

    assert_eq!(
        app.put_product(&id, &json!({"stock": 77}), None)
            .await
            .status(),
        200
    );
    let single = app.get_product(&id).await;
    assert_eq!(source(&single), "cache");
    assert_eq!(
        single.json::<Value>().await.unwrap()["data"]["stock"],
        77,
        "write-through"
    );
    let list = app.list_products("category=bags").await;
    assert_eq!(
        source(&list),
        "database",
        "the write bumped the list generation"
    );
    assert_eq!(
        list.json::<Value>().await.unwrap()["data"]["products"][0]["stock"],
        77
    );

    assert_eq!(app.delete_product(&id).await.status(), 200);
    let series = "cache_database_reads_total{layer=\"product\"}";
    let reads_before = app.metric(series).await;
    assert_eq!(app.get_product(&id).await.status(), 404);
    assert_eq!(
        app.metric(series).await,
        reads_before,
        "the tombstone answered, not MongoDB"
    );
    let count: Value = app
        .count_products("category=bags")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(count["data"], 0);
}

#[tokio::test]
async fn a_hundred_concurrent_gets_of_an_uncached_product_read_mongodb_once() {
    let app = spawn_app().await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let redis = app.redis().await;
    let key = format!("{}product:{id}", app.settings.redis.key_prefix);
    let removed: i64 = redis.del(&key).await.unwrap();
    assert_eq!(removed, 1, "the product was cached by the create");

    let series = "cache_database_reads_total{layer=\"product\"}";
    let before = app.metric(series).await;
    let app = Arc::new(app);
    let requests: Vec<_> = (0..100)
        .map(|_| {
            let (app, id) = (app.clone(), id.clone());
            tokio::spawn(async move {
                let response = app.get_product(&id).await;
                assert_eq!(response.status(), 200);
                response.json::<Value>().await.unwrap()["data"]["version"]
                    .as_u64()
                    .unwrap()
            })
        })
        .collect();
    for request in requests {
        assert_eq!(request.await.unwrap(), 1);
    }
    let reads = app.metric(series).await - before;
    println!("100 concurrent GETs of one uncached product: {reads} MongoDB read(s)");
    assert_eq!(reads, 1);
    assert!(
        app.cached_entry(&redis, &id).await.is_some(),
        "the one read filled the cache"
    );
}

#[tokio::test]
async fn a_slow_reader_cannot_overwrite_a_newer_write_through() {
    let app = spawn_app().await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.put_product(&id, &json!({"stock": 1}), None).await;
    let redis = app.redis().await;
    let (version, _) = app.cached_entry(&redis, &id).await.unwrap();
    assert_eq!(version, 2);
    // The fill of a reader that read version 1 before the update, through the app's own
    // adapter and script (not a copy of it), lands after the write-through of version 2.
    let adapter = product_catalog::infrastructure::redis::FredRedisService::new(
        redis.clone(),
        app.settings.redis.key_prefix.clone(),
        std::time::Duration::from_secs(2),
        0,
    );
    let stale = json!({"expires_at_ms": 0, "product": null}).to_string();
    let stored = product_catalog::domain::ports::RedisService::set_if_newer(
        &adapter,
        &format!("product:{id}"),
        1,
        &stale,
        std::time::Duration::from_secs(60),
    )
    .await
    .unwrap();
    assert!(!stored, "the versioned compare refuses the older fill");
    let (version, _) = app.cached_entry(&redis, &id).await.unwrap();
    assert_eq!(version, 2, "the newer entry is still there");
    let fetched: Value = app.get_product(&id).await.json().await.unwrap();
    assert_eq!(fetched["data"]["version"], 2);
}

/// Per-product floor: the highest version whose write has returned to its client.
struct Floors(HashMap<String, AtomicU64>);

impl Floors {
    fn floor(&self, id: &str) -> u64 {
        self.0[id].load(Ordering::SeqCst)
    }
}

#[derive(Default)]
pub struct Counts {
    pub writes: AtomicU64,
    pub single_reads: AtomicU64,
    pub list_reads: AtomicU64,
    pub stale: AtomicU64,
    pub server_errors: AtomicU64,
    pub relogins: AtomicU64,
    /// The longest any one request took, in milliseconds.
    pub slowest_ms: AtomicU64,
    /// That request: "METHOD route -> status, request id …".
    slowest: Mutex<String>,
    /// The first 5xx answers in full, with the service's log lines for each.
    pub failures: Failures,
}

impl Counts {
    fn took(&self, started: Instant, what: &str, response: &reqwest::Response) {
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if self.slowest_ms.fetch_max(ms, Ordering::SeqCst) < ms {
            let id = crate::helpers::request_id(response).unwrap_or("<none>");
            *self.slowest.lock().unwrap() =
                format!("{what} -> {}, request id {id}", response.status().as_u16());
        }
    }

    pub fn summary(&self) -> String {
        let n = |c: &AtomicU64| c.load(Ordering::SeqCst);
        format!(
            "{} writes, {} single reads, {} list reads, {} stale reads, {} 5xx, {} re-logins, \
             slowest request {} ms ({})",
            n(&self.writes),
            n(&self.single_reads),
            n(&self.list_reads),
            n(&self.stale),
            n(&self.server_errors),
            n(&self.relogins),
            n(&self.slowest_ms),
            self.slowest.lock().unwrap(),
        )
    }

    /// Asserts that no request answered 5xx, naming the first ones that did.
    pub fn assert_no_server_errors(&self) {
        assert_eq!(
            self.server_errors.load(Ordering::SeqCst),
            0,
            "5xx{}",
            self.failures.report()
        );
    }

    /// Counts a 5xx answer and keeps it for the report.
    async fn server_error(&self, what: &str, started: Instant, response: reqwest::Response) {
        self.server_errors.fetch_add(1, Ordering::SeqCst);
        self.failures.record(what, started, response).await;
    }
}

async fn writer(
    app: Arc<TestApp>,
    ids: Arc<Vec<String>>,
    floors: Arc<Floors>,
    counts: Arc<Counts>,
    until: Instant,
    seed: u64,
) {
    let mut n = seed;
    let mut token = app.admin_token.clone();
    while Instant::now() < until {
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let id = &ids[(n >> 33) as usize % ids.len()];
        let started = Instant::now();
        let response = app
            .client
            .put(app.url(&format!("/api/products/{id}")))
            .bearer_auth(&token)
            .json(&json!({"stock": (n >> 40) % 1000}))
            .send()
            .await
            .unwrap();
        counts.took(started, "PUT /api/products/{id}", &response);
        if response.status().is_server_error() {
            counts
                .server_error("PUT /api/products/{id}", started, response)
                .await;
            continue;
        }
        if response.status() == 401 {
            // A restarted Redis has forgotten every session; log in again, as a client would.
            counts.relogins.fetch_add(1, Ordering::SeqCst);
            let login = app
                .login(crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD)
                .await;
            if login.status() == 200 {
                token = login.json::<Value>().await.unwrap()["data"]["token"]
                    .as_str()
                    .unwrap()
                    .to_owned();
            }
            continue;
        }
        let body: Value = response.json().await.unwrap();
        let version = body["data"]["version"].as_u64().unwrap();
        floors.0[id].fetch_max(version, Ordering::SeqCst);
        counts.writes.fetch_add(1, Ordering::SeqCst);
    }
}

async fn reader(
    app: Arc<TestApp>,
    ids: Arc<Vec<String>>,
    floors: Arc<Floors>,
    counts: Arc<Counts>,
    until: Instant,
    seed: u64,
) {
    let mut n = seed;
    while Instant::now() < until {
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        if n.is_multiple_of(4) {
            let before: HashMap<&str, u64> = ids
                .iter()
                .map(|id| (id.as_str(), floors.floor(id)))
                .collect();
            let started = Instant::now();
            let response = app.list_products("category=race&limit=20").await;
            counts.took(started, "GET /api/products?category=race", &response);
            if response.status().is_server_error() {
                counts
                    .server_error(
                        "GET /api/products?category=race&limit=20",
                        started,
                        response,
                    )
                    .await;
                continue;
            }
            let body: Value = response.json().await.unwrap();
            for product in body["data"]["products"].as_array().unwrap() {
                let id = product["id"].as_str().unwrap();
                if product["version"].as_u64().unwrap() < before[id] {
                    counts.stale.fetch_add(1, Ordering::SeqCst);
                }
            }
            counts.list_reads.fetch_add(1, Ordering::SeqCst);
        } else {
            let id = &ids[(n >> 33) as usize % ids.len()];
            let floor = floors.floor(id);
            let started = Instant::now();
            let response = app.get_product(id).await;
            counts.took(started, "GET /api/products/{id}", &response);
            if response.status().is_server_error() {
                counts
                    .server_error("GET /api/products/{id}", started, response)
                    .await;
                continue;
            }
            let body: Value = response.json().await.unwrap();
            if body["data"]["version"].as_u64().unwrap() < floor {
                counts.stale.fetch_add(1, Ordering::SeqCst);
            }
            counts.single_reads.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Runs 8 writers and 32 readers over `ids` until `until`.
pub async fn race(app: &Arc<TestApp>, ids: &Arc<Vec<String>>, until: Instant) -> Arc<Counts> {
    let floors = Arc::new(Floors(
        ids.iter()
            .map(|id| (id.clone(), AtomicU64::new(1)))
            .collect(),
    ));
    let counts = Arc::new(Counts::default());
    let mut tasks = Vec::new();
    for seed in 0..8 {
        tasks.push(tokio::spawn(writer(
            app.clone(),
            ids.clone(),
            floors.clone(),
            counts.clone(),
            until,
            seed + 1,
        )));
    }
    for seed in 0..32 {
        tasks.push(tokio::spawn(reader(
            app.clone(),
            ids.clone(),
            floors.clone(),
            counts.clone(),
            until,
            seed + 100,
        )));
    }
    for task in tasks {
        task.await.unwrap();
    }
    counts
}

/// Creates the 20 products the race runs on.
pub async fn race_products(app: &TestApp) -> Arc<Vec<String>> {
    let mut ids = Vec::new();
    for i in 0..20 {
        let product = app
            .create_product(json!({"name": format!("Race {i:02}"), "category": "race"}))
            .await;
        ids.push(product["id"].as_str().unwrap().to_owned());
    }
    Arc::new(ids)
}

/// Every cached product equals MongoDB: same version, same fields.
pub async fn assert_cache_matches_mongodb(app: &TestApp, ids: &[String]) -> usize {
    let redis = app.redis().await;
    let products = app.mongo().await.collection::<Document>("products");
    let mut compared = 0;
    for id in ids {
        let stored = products
            .find_one(doc! {"_id": ObjectId::parse_str(id).unwrap()})
            .await
            .unwrap()
            .expect("product in MongoDB");
        let Some((version, entry)) = app.cached_entry(&redis, id).await else {
            continue;
        };
        let cached = &entry["product"];
        assert_eq!(
            version as i64,
            stored.get_i64("version").unwrap(),
            "version tag of {id}"
        );
        assert_eq!(
            cached["version"].as_i64(),
            Some(stored.get_i64("version").unwrap()),
            "{id}"
        );
        assert_eq!(
            cached["stock"].as_i64(),
            Some(stored.get_i64("stock").unwrap()),
            "{id}"
        );
        assert_eq!(
            cached["name"].as_str(),
            Some(stored.get_str("name").unwrap()),
            "{id}"
        );
        assert_eq!(
            cached["price_cents"].as_i64(),
            Some(stored.get_i64("priceCents").unwrap()),
            "{id}"
        );
        compared += 1;
    }
    compared
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_and_readers_never_see_older_data() {
    let _turn = crate::helpers::load_turn().await;
    let app = Arc::new(spawn_app().await);
    let ids = race_products(&app).await;
    let started = Instant::now();
    let counts = race(&app, &ids, started + Duration::from_secs(10)).await;
    let elapsed = started.elapsed();
    let compared = assert_cache_matches_mongodb(&app, &ids).await;
    println!(
        "8 writers / 32 readers for {:.1} s: {}; {compared} cached products equal MongoDB",
        elapsed.as_secs_f64(),
        counts.summary()
    );
    assert!(elapsed >= Duration::from_secs(10));
    assert!(
        counts.writes.load(Ordering::SeqCst) > 0 && counts.single_reads.load(Ordering::SeqCst) > 0
    );
    assert_eq!(
        counts.stale.load(Ordering::SeqCst),
        0,
        "no read after a returned write saw older data"
    );
    counts.assert_no_server_errors();
    assert_eq!(compared, 20, "every product ends up cached");
}

/// Two instances on one Redis and one database: concurrent GETs of one uncached product on
/// both read MongoDB once in total (the fill lock spans instances; the loser waits for the
/// winner's fill).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_read_an_uncached_product_from_mongodb_once_in_total() {
    let servers = crate::helpers::shared_servers();
    let id = uuid::Uuid::new_v4().simple().to_string();
    let shared = [
        ("REDIS_KEY_PREFIX", format!("fill:{}:", &id[..12])),
        ("MONGODB_DB", format!("fill_{}", &id[..12])),
        ("CACHE_LOCK_WAIT_MS", "3000".to_owned()),
    ];
    let extra: Vec<(&str, &str)> = shared.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let settings = || crate::helpers::test_settings(&servers.mongo_uri, &servers.redis_url, &extra);
    let a = Arc::new(crate::helpers::spawn_app_with(settings()).await);
    let b = Arc::new(crate::helpers::spawn_app_with(settings()).await);
    let product = a.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let redis = a.redis().await;
    let key = format!("{}product:{product}", a.settings.redis.key_prefix);
    let removed: i64 = redis.del(&key).await.unwrap();
    assert_eq!(removed, 1);

    let series = "cache_database_reads_total{layer=\"product\"}";
    let before = a.metric(series).await + b.metric(series).await;
    let requests: Vec<_> = (0..60)
        .map(|i| {
            let app = if i % 2 == 0 { a.clone() } else { b.clone() };
            let product = product.clone();
            tokio::spawn(async move {
                let response = app.get_product(&product).await;
                assert_eq!(response.status(), 200);
            })
        })
        .collect();
    for request in requests {
        request.await.unwrap();
    }
    let reads = a.metric(series).await + b.metric(series).await - before;
    println!("60 concurrent GETs over two instances: {reads} MongoDB read(s)");
    assert_eq!(reads, 1);
}
