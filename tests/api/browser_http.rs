//! What a browser front end and HTTP caches need: CORS for listed origins only, gzip,
//! brotli and zstd bodies that decode to the same JSON on cache MISS and HIT, an ETag per
//! variant, HEAD on GET routes,
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
        "gzip" => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_string(&mut text)
                .unwrap();
        }
        "br" => {
            brotli::Decompressor::new(bytes, 4096)
                .read_to_string(&mut text)
                .unwrap();
        }
        "zstd" => text = String::from_utf8(zstd::stream::decode_all(bytes).unwrap()).unwrap(),
        other => panic!("unexpected encoding {other}"),
    };
    serde_json::from_str(&text).unwrap()
}

/// A description long enough that one product's answer is worth compressing.
fn long_description(seed: usize) -> String {
    format!("Compressible description {seed}. ").repeat(50)
}

async fn get_encoded(app: &TestApp, path: &str, accept: &str) -> reqwest::Response {
    let response = app
        .client
        .get(app.url(path))
        .header("Accept-Encoding", accept)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path} {accept}");
    response
}

#[tokio::test]
async fn compressed_bodies_decode_to_the_plain_json_on_miss_and_hit_for_every_coding() {
    let app = spawn_app().await;
    for i in 0..5 {
        app.create_product(
            json!({"name": format!("Compressed {i}"), "description": long_description(i)}),
        )
        .await;
    }
    for encoding in ["gzip", "br", "zstd"] {
        // A write first, so the product and the list are both real misses.
        let id = app
            .create_product(json!({"description": long_description(9)}))
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for path in [
            format!("/api/products/{id}"),
            "/api/products?limit=50".to_owned(),
            "/api/products/count".to_owned(),
        ] {
            // The first is a miss compressed on the way out, the rest replay a variant.
            let mut answers = Vec::new();
            for _ in 0..3 {
                let response = get_encoded(&app, &path, encoding).await;
                let vary: Vec<_> = response
                    .headers()
                    .get_all("vary")
                    .iter()
                    .map(|v| v.to_str().unwrap().to_owned())
                    .collect();
                assert!(
                    vary.iter().any(|v| v == "Accept-Encoding"),
                    "{path}: {vary:?}"
                );
                let etag = response.headers()["etag"].to_str().unwrap().to_owned();
                let x_cache = response.headers()["x-cache"].to_str().unwrap().to_owned();
                answers.push((x_cache, etag, response.bytes().await.unwrap()));
            }
            let plain = app.get(&path).await;
            let plain_etag = plain.headers()["etag"].to_str().unwrap().to_owned();
            let plain: Value = plain.json().await.unwrap();
            let verdicts: Vec<_> = answers
                .iter()
                .map(|(x_cache, ..)| x_cache.as_str())
                .collect();
            assert_eq!(verdicts, ["MISS", "HIT", "HIT"], "{path} {encoding}");
            for (_, etag, body) in answers {
                if path.ends_with("/count") {
                    // A tiny body is sent as it is: the coding would only add framing.
                    assert_eq!(etag, plain_etag, "{path}");
                    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), plain);
                    continue;
                }
                assert_eq!(decode(encoding, &body), plain, "{path} {encoding}");
                let variant = plain_etag.replace('"', "");
                assert_eq!(etag, format!("\"{variant}-{encoding}\""), "{path}");
            }
        }
    }
}

#[tokio::test]
async fn each_variant_revalidates_with_its_own_etag_and_a_write_changes_them_all() {
    let app = spawn_app().await;
    let id = app
        .create_product(json!({"description": long_description(1)}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/products/{id}");
    let mut tags = Vec::new();
    for encoding in ["identity", "gzip", "br", "zstd"] {
        let etag = get_encoded(&app, &path, encoding).await.headers()["etag"]
            .to_str()
            .unwrap()
            .to_owned();
        let revalidated = app
            .client
            .get(app.url(&path))
            .header("Accept-Encoding", encoding)
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(revalidated.status(), 304, "{encoding}");
        assert_eq!(revalidated.headers()["etag"], etag.as_str(), "{encoding}");
        tags.push(etag);
    }
    let distinct: std::collections::HashSet<_> = tags.iter().collect();
    assert_eq!(distinct.len(), 4, "{tags:?}");
    let updated = app
        .put_product(
            &id,
            &json!({"description": long_description(2)}),
            Some(&tags[2]),
        )
        .await;
    assert_eq!(
        updated.status(),
        200,
        "If-Match with a variant's tag is the product's version"
    );
    for (encoding, before) in ["identity", "gzip", "br", "zstd"].iter().zip(&tags) {
        let response = get_encoded(&app, &path, encoding).await;
        assert_ne!(&response.headers()["etag"], before.as_str(), "{encoding}");
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
            // The default CACHE_STALE_IF_ERROR_SECS: the service's own bound, offered on.
            "public, no-cache, stale-if-error=300",
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
