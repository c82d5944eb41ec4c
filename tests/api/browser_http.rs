//! What a browser front end and HTTP caches need: CORS for listed origins only, gzip and
//! brotli bodies that decode to the same JSON on cache MISS and HIT, HEAD on GET routes,
//! and `Cache-Control` that never lets a cache outlive a write or keep a personal answer.

use std::io::Read;

use serde_json::{json, Value};

use crate::helpers::{shared_servers, spawn_app, spawn_app_with, test_settings, TestApp};

const SHOP: &str = "https://shop.example.com";

async fn app_for_shop() -> TestApp {
    let servers = shared_servers();
    spawn_app_with(test_settings(
        &servers.mongo_uri,
        &servers.redis_url,
        &[("CORS_ALLOWED_ORIGINS", SHOP)],
    ))
    .await
}

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, app.url("/api/products"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cors_headers_go_to_listed_origins_only() {
    let app = app_for_shop().await;
    let allowed = preflight(&app, SHOP).await;
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(allowed.headers()["access-control-allow-origin"], SHOP);
    let methods = allowed.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        methods.contains("POST") && methods.contains("DELETE"),
        "{methods}"
    );
    let other = preflight(&app, "https://evil.example").await;
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let get = |origin: &'static str| {
        app.client
            .get(app.url("/api/products"))
            .header("Origin", origin)
            .send()
    };
    let from_shop = get(SHOP).await.unwrap();
    assert_eq!(from_shop.status(), 200);
    assert_eq!(from_shop.headers()["access-control-allow-origin"], SHOP);
    let exposed = from_shop.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("etag") && exposed.contains("x-ratelimit-remaining"));
    let from_elsewhere = get("https://evil.example").await.unwrap();
    assert_eq!(from_elsewhere.status(), 200, "served, without CORS headers");
    assert!(from_elsewhere
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    let unconfigured = spawn_app().await;
    let none = preflight(&unconfigured, SHOP).await;
    assert!(none.headers().get("access-control-allow-origin").is_none());
}

fn decode(encoding: &str, bytes: &[u8]) -> Value {
    let mut text = String::new();
    match encoding {
        "gzip" => flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .unwrap(),
        "br" => brotli::Decompressor::new(bytes, 4096)
            .read_to_string(&mut text)
            .unwrap(),
        other => panic!("unexpected encoding {other}"),
    };
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn gzip_and_brotli_bodies_decode_to_the_same_json_on_miss_and_hit() {
    let app = spawn_app().await;
    for i in 0..5 {
        app.create_product(json!({"name": format!("Compressed {i}")}))
            .await;
    }
    for encoding in ["gzip", "br"] {
        // A write first, so the product and the list are both real misses.
        let id = app.create_product(json!({})).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for path in [
            format!("/api/products/{id}"),
            "/api/products?limit=50".to_owned(),
        ] {
            let mut bodies = Vec::new();
            for expected in ["MISS", "HIT"] {
                let response = app
                    .client
                    .get(app.url(&path))
                    .header("Accept-Encoding", encoding)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                assert_eq!(response.headers()["content-encoding"], encoding, "{path}");
                assert_eq!(response.headers()["x-cache"], expected, "{path} {encoding}");
                bodies.push(decode(encoding, &response.bytes().await.unwrap()));
            }
            let plain: Value = app.get(&path).await.json().await.unwrap();
            assert_eq!(bodies, [plain.clone(), plain], "{path} {encoding}");
        }
    }
}

#[tokio::test]
async fn head_answers_with_the_get_headers_and_no_body() {
    let app = spawn_app().await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        format!("/api/products/{id}"),
        "/api/products".to_owned(),
        "/api/products/count".to_owned(),
        "/api/health".to_owned(),
    ] {
        let get = app.get(&path).await;
        let head = app.client.head(app.url(&path)).send().await.unwrap();
        assert_eq!(head.status(), 200, "{path}");
        for name in ["content-type", "etag", "cache-control"] {
            assert_eq!(
                head.headers().get(name),
                get.headers().get(name),
                "{path} {name}"
            );
        }
        assert!(head.bytes().await.unwrap().is_empty(), "{path}: no body");
    }
}

#[tokio::test]
async fn catalogue_reads_may_be_revalidated_and_personal_ones_never_stored() {
    let app = spawn_app().await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [format!("/api/products/{id}"), "/api/products".to_owned()] {
        let anonymous = app.get(&path).await;
        assert_eq!(
            anonymous.headers()["cache-control"],
            "public, no-cache",
            "{path}"
        );
        let vary: Vec<_> = anonymous
            .headers()
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
            .collect();
        assert!(vary.iter().any(|v| v.contains("authorization")), "{vary:?}");
        let signed_in = app.get_as(&path, &app.admin_token).await;
        assert_eq!(signed_in.headers()["cache-control"], "no-store", "{path}");
    }
}

/// Every answer (pages, JSON, errors, HEAD) carries the security headers; the status page
/// and Swagger UI get a policy of their own (the browser test checks they work under it).
#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    let head = |path: &'static str| {
        app.client
            .request(reqwest::Method::HEAD, app.url(path))
            .send()
    };
    let answers = [
        ("HEAD /status", head("/status").await.unwrap()),
        ("GET /status", app.get("/status").await),
        ("GET /api-docs/", app.get("/api-docs/").await),
        ("GET /api/products", app.get("/api/products").await),
        (
            "GET /api/products/nope",
            app.get("/api/products/nope").await,
        ),
        ("GET /api/cache/stats", app.get("/api/cache/stats").await),
    ];
    for (what, response) in &answers {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
        assert_eq!(header("x-frame-options"), "DENY", "{what}");
        let policy = header("content-security-policy");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{what}: {policy}"
        );
        let expected = match *what {
            "HEAD /status" | "GET /status" => "script-src 'sha256-",
            "GET /api-docs/" => "script-src 'self'",
            _ => "default-src 'none'; frame-ancestors 'none'",
        };
        assert!(policy.contains(expected), "{what}: {policy}");
    }
    assert_eq!(answers[4].1.status(), 400, "an error answer is covered too");
}
