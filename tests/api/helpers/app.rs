//! `spawn_app`: the application on port 0 with a fresh database and key prefix, plus one
//! helper per endpoint.

use std::collections::HashMap;

use product_catalog::config::{Application, Settings, StopHandle};
use reqwest::{Client, Response};
use serde_json::Value;

use super::shared_servers;

pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub settings: Settings,
    /// A session of the admin account the app ensured at start-up.
    pub admin_token: String,
    stop: StopHandle,
}

pub const ADMIN_EMAIL: &str = "admin@test.example";
pub const ADMIN_PASSWORD: &str = "admin-password-123";

/// The app against the shared servers.
pub async fn spawn_app() -> TestApp {
    let servers = shared_servers();
    spawn_app_on(&servers.mongo_uri, &servers.redis_url).await
}

/// The app against the given servers (tests that stop a server bring their own).
pub async fn spawn_app_on(mongo_uri: &str, redis_url: &str) -> TestApp {
    spawn_app_with(test_settings(mongo_uri, redis_url, &[])).await
}

/// The app with explicit settings.
pub async fn spawn_app_with(settings: Settings) -> TestApp {
    super::logs::capture();
    let application = Application::build(settings.clone())
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", application.port());
    let stop = application.stop_handle();
    tokio::spawn(application.run_until_stopped());
    let client = Client::new();
    let mut app = TestApp {
        address,
        client,
        settings,
        admin_token: String::new(),
        stop,
    };
    let login = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    // Without Redis there are no sessions; tests of that case expect no token.
    if login.status() == 200 {
        let body: Value = login.json().await.unwrap();
        app.admin_token = body["data"]["token"].as_str().unwrap().to_owned();
    }
    app
}

/// Settings for a test: port 0, a fresh database and key prefix, short timeouts, plus
/// `extra` variables.
pub fn test_settings(mongo_uri: &str, redis_url: &str, extra: &[(&str, &str)]) -> Settings {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut vars: HashMap<&str, String> = HashMap::from([
        ("APP_PORT", "0".to_owned()),
        ("APP_WORKERS", "2".to_owned()),
        ("MONGODB_URI", mongo_uri.to_owned()),
        ("MONGODB_DB", format!("test_{}", &id[..16])),
        ("MONGODB_TIMEOUT_MS", "1000".to_owned()),
        // Product writes are transactions: on the Python MongoDB-wire server, eight writers
        // racing on twenty products while another test does the same retried for up to
        // 2.9 s (measured); 6 s keeps such a write from being reported as an outage.
        ("MONGODB_OPERATION_TIMEOUT_MS", "6000".to_owned()),
        ("REDIS_URL", redis_url.to_owned()),
        ("RATE_LIMIT_READ", "1000000/60s".to_owned()),
        ("RATE_LIMIT_WRITE", "1000000/60s".to_owned()),
        ("RATE_LIMIT_AUTH", "1000000/60s".to_owned()),
        ("ADMIN_EMAIL", ADMIN_EMAIL.to_owned()),
        ("ADMIN_PASSWORD", ADMIN_PASSWORD.to_owned()),
        ("REDIS_KEY_PREFIX", format!("test:{}:", &id[..16])),
        // Warming fills the first page and count at start; tests that count misses
        // start cold. The warming tests turn it on.
        ("CACHE_WARM_ON_START", "false".to_owned()),
    ]);
    vars.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    Settings::from_lookup(|name| vars.get(name).cloned()).expect("test settings")
}

/// The ids of the products of a list or wishlist answer (the whole envelope), in order.
pub fn product_ids(answer: &Value) -> Vec<String> {
    answer["data"]["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A valid create body; tests change what they need.
pub fn product_body() -> Value {
    serde_json::json!({
        "name": "Trail Shoe",
        "description": "Light trail running shoe",
        "price": 89.9,
        "stock": 12,
        "category": "footwear",
        "images": ["https://cdn.example/p/1.jpg"],
    })
}

impl TestApp {
    /// Stops the instance as SIGTERM would: its listener, relay and stream reader end.
    pub async fn stop(&self) {
        self.stop.stop();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
        while self.client.get(self.url("/health")).send().await.is_ok() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the app did not stop"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/auth/login"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn register(&self, email: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/auth/register"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .expect("request sent")
    }

    /// Registers (if needed) and logs in; returns the token.
    pub async fn user_token(&self, email: &str) -> String {
        let password = "user-password-123";
        let registered = self.register(email, password).await.status().as_u16();
        assert!(
            registered == 201 || registered == 409,
            "register {registered}"
        );
        let login = self.login(email, password).await;
        assert_eq!(login.status(), 200);
        login.json::<Value>().await.unwrap()["data"]["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn get_as(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    /// The `data` of `GET /api/cache/stats`, read as the admin.
    pub async fn cache_stats(&self) -> Value {
        let response = self.get_as("/api/cache/stats", &self.admin_token).await;
        assert_eq!(response.status(), 200, "cache stats");
        let stats: Value = response.json().await.unwrap();
        stats["data"].clone()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_product(&self, body: &Value) -> Response {
        self.client
            .post(self.url("/api/products"))
            .bearer_auth(&self.admin_token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Creates a valid product (with `overrides` merged in) and returns its JSON.
    pub async fn create_product(&self, overrides: Value) -> Value {
        let mut body = product_body();
        if let (Some(body), Some(overrides)) = (body.as_object_mut(), overrides.as_object()) {
            body.extend(overrides.clone());
        }
        let response = self.post_product(&body).await;
        assert_eq!(response.status(), 201, "create failed");
        let json: Value = response.json().await.unwrap();
        json["data"].clone()
    }

    pub async fn get_product(&self, id: &str) -> Response {
        self.get(&format!("/api/products/{id}")).await
    }

    pub async fn list_products(&self, query: &str) -> Response {
        self.get(&format!("/api/products?{query}")).await
    }

    pub async fn count_products(&self, query: &str) -> Response {
        self.get(&format!("/api/products/count?{query}")).await
    }

    pub async fn put_product(&self, id: &str, body: &Value, if_match: Option<&str>) -> Response {
        let mut request = self
            .client
            .put(self.url(&format!("/api/products/{id}")))
            .bearer_auth(&self.admin_token)
            .json(body);
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        request.send().await.expect("request sent")
    }

    pub async fn delete_product(&self, id: &str) -> Response {
        self.client
            .delete(self.url(&format!("/api/products/{id}")))
            .bearer_auth(&self.admin_token)
            .send()
            .await
            .expect("request sent")
    }

    /// `PATCH /api/products/{id}/wishlist` as the holder of `token`.
    pub async fn set_wishlist(&self, token: &str, id: &str, member: bool) -> Response {
        self.client
            .patch(self.url(&format!("/api/products/{id}/wishlist")))
            .bearer_auth(token)
            .json(&serde_json::json!({ "isWishlistStatus": member }))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn health(&self) -> Response {
        self.get("/api/health").await
    }

    /// A counter from `/metrics`, e.g. `cache_database_reads_total{layer="product"}`.
    pub async fn metric(&self, series: &str) -> u64 {
        let text = self.get("/metrics").await.text().await.unwrap();
        text.lines()
            .find_map(|line| {
                line.strip_prefix(series)
                    .and_then(|rest| rest.trim().parse().ok())
            })
            .unwrap_or_else(|| panic!("{series} not in /metrics:\n{text}"))
    }

    /// A Redis client on the app's server (keys must be given with the app's prefix).
    pub async fn redis(&self) -> fred::prelude::Client {
        super::redis_client(self.settings.redis.url.expose()).await
    }

    /// The raw cache entry of a product: its version tag and JSON body.
    pub async fn cached_entry(
        &self,
        redis: &fred::prelude::Client,
        id: &str,
    ) -> Option<(u64, Value)> {
        use fred::prelude::KeysInterface;
        let key = format!("{}product:{id}", self.settings.redis.key_prefix);
        let raw: Option<String> = redis.get(key).await.unwrap();
        raw.map(|raw| {
            let (version, body) = raw.split_once('|').unwrap();
            (
                version.parse().unwrap(),
                serde_json::from_str(body).unwrap(),
            )
        })
    }

    /// The app's MongoDB database, for checking what is really stored.
    pub async fn mongo(&self) -> mongodb::Database {
        let client = mongodb::Client::with_uri_str(self.settings.mongo.uri.expose())
            .await
            .unwrap();
        client.database(&self.settings.mongo.database)
    }

    /// Total products in this test's database, through the API.
    pub async fn product_total(&self) -> u64 {
        let json: Value = self.count_products("").await.json().await.unwrap();
        json["data"].as_u64().expect("count is an integer")
    }
}
