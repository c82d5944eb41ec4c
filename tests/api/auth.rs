//! Accounts, sessions and who may write.

use std::time::Duration;

use fred::prelude::{HashesInterface, KeysInterface, SetsInterface};
use serde_json::{json, Value};

use crate::helpers::{
    logs, product_body, shared_servers, spawn_app, spawn_app_with, test_settings,
};

#[tokio::test]
async fn register_login_use_logout_and_the_token_is_rejected_after() {
    let app = spawn_app().await;
    let registered = app.register("Ann@Example.com", "ann-password-1").await;
    assert_eq!(registered.status(), 201);
    let user: Value = registered.json().await.unwrap();
    assert_eq!(user["data"]["email"], "ann@example.com", "normalised");
    assert_eq!(user["data"]["roles"], json!(["customer"]));
    assert!(user["data"].get("passwordHash").is_none() && !user.to_string().contains("argon2"));

    assert_eq!(
        app.register("ANN@example.com", "another-password")
            .await
            .status(),
        409,
        "case-insensitive"
    );
    let wrong = app.login("ann@example.com", "not-the-password").await;
    let unknown = app.login("nobody@example.com", "not-the-password").await;
    assert_eq!(
        (wrong.status(), unknown.status()),
        (
            reqwest::StatusCode::UNAUTHORIZED,
            reqwest::StatusCode::UNAUTHORIZED
        )
    );
    let (wrong, unknown): (Value, Value) =
        (wrong.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!(
        wrong, unknown,
        "the same answer for an unknown account and a wrong password"
    );

    let login: Value = app
        .login("ann@example.com", "ann-password-1")
        .await
        .json()
        .await
        .unwrap();
    let token = login["data"]["token"].as_str().unwrap().to_owned();
    let (token_user, secret) = token.split_once('.').expect("<userId>.<secret>");
    assert_eq!(
        token_user, user["data"]["id"],
        "the user part is the hash tag"
    );
    assert_eq!(secret.len(), 43, "256 bits, base64url");
    let session = app.get_as("/api/auth/session", &token).await;
    assert_eq!(session.status(), 200);
    let session: Value = session.json().await.unwrap();
    assert_eq!(session["data"]["user"]["id"], user["data"]["id"]);

    let logout = app
        .client
        .post(app.url("/api/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 200);
    let after = app.get_as("/api/auth/session", &token).await;
    assert_eq!(after.status(), 401);
    assert_eq!(
        app.get("/api/auth/session").await.status(),
        401,
        "no token at all"
    );
}

#[tokio::test]
async fn logout_all_ends_every_session_of_that_user_only() {
    let app = spawn_app().await;
    let first = app.user_token("bo@example.com").await;
    let second = app.user_token("bo@example.com").await;
    let other = app.user_token("cy@example.com").await;
    let ended = app
        .client
        .post(app.url("/api/auth/logout-all"))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 200);
    assert_eq!(ended.json::<Value>().await.unwrap()["data"]["ended"], 2);
    assert_eq!(app.get_as("/api/auth/session", &first).await.status(), 401);
    assert_eq!(app.get_as("/api/auth/session", &second).await.status(), 401);
    assert_eq!(
        app.get_as("/api/auth/session", &other).await.status(),
        200,
        "another user is untouched"
    );
}

#[tokio::test]
async fn an_expired_session_is_rejected() {
    let servers = shared_servers();
    let app = spawn_app_with(test_settings(
        &servers.mongo_uri,
        &servers.redis_url,
        &[("SESSION_TTL_SECS", "1")],
    ))
    .await;
    let token = app.user_token("dee@example.com").await;
    assert_eq!(app.get_as("/api/auth/session", &token).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(app.get_as("/api/auth/session", &token).await.status(), 401);
}

#[tokio::test]
async fn product_writes_need_an_admin_session() {
    let app = spawn_app().await;
    let anonymous = app
        .client
        .post(app.url("/api/products"))
        .json(&product_body())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let customer = app.user_token("eve@example.com").await;
    let forbidden = app
        .client
        .post(app.url("/api/products"))
        .bearer_auth(&customer)
        .json(&product_body())
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), 403);
    let bogus = app
        .client
        .post(app.url("/api/products"))
        .bearer_auth("forged-token")
        .json(&product_body())
        .send()
        .await
        .unwrap();
    assert_eq!(bogus.status(), 401);
    assert_eq!(app.product_total().await, 0, "nothing was written");
    let created = app.post_product(&product_body()).await;
    assert_eq!(created.status(), 201, "admin");
    let id = created.json::<Value>().await.unwrap()["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (method, expected) in [(reqwest::Method::PUT, 403), (reqwest::Method::DELETE, 403)] {
        let response = app
            .client
            .request(method, app.url(&format!("/api/products/{id}")))
            .bearer_auth(&customer)
            .json(&json!({"stock": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected);
    }
    for path in ["/api/cache/stats", "/api/cache/status"] {
        assert_eq!(app.get_as(path, &customer).await.status(), 403, "{path}");
        assert_eq!(app.get(path).await.status(), 401, "{path}");
    }
}

#[tokio::test]
async fn redis_holds_no_usable_token_and_logs_hold_no_secrets() {
    let app = spawn_app().await;
    let email = "frank.secret@example.com";
    let password = "frank-password-77";
    assert_eq!(app.register(email, password).await.status(), 201);
    let login: Value = app.login(email, password).await.json().await.unwrap();
    let token = login["data"]["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get_as("/api/auth/session", &token).await.status(), 200);
    let _ = app.login(email, "wrong-password-0").await;

    let redis = app.redis().await;
    let prefix = &app.settings.redis.key_prefix;
    let namespace = product_catalog::infrastructure::redis::FredRedisService::new(
        redis.clone(),
        prefix.clone(),
        Duration::from_secs(2),
        0,
    );
    let keys: Vec<String> =
        product_catalog::domain::ports::RedisService::scan_keys(&namespace, "*", usize::MAX)
            .await
            .unwrap()
            .into_iter()
            .map(|k| format!("{prefix}{k}"))
            .collect();
    let mut dump = String::new();
    for key in &keys {
        dump.push_str(key);
        let kind: String = redis.r#type(key.as_str()).await.unwrap();
        match kind.as_str() {
            "string" => dump.push_str(
                &redis
                    .get::<String, _>(key.as_str())
                    .await
                    .unwrap_or_default(),
            ),
            "hash" => {
                let fields: std::collections::HashMap<String, String> =
                    redis.hgetall(key.as_str()).await.unwrap();
                dump.push_str(&format!("{fields:?}"));
            }
            "set" => dump.push_str(&format!(
                "{:?}",
                redis
                    .smembers::<Vec<String>, _>(key.as_str())
                    .await
                    .unwrap()
            )),
            _ => {}
        }
    }
    assert!(
        keys.iter().any(|k| k.contains("session:")),
        "sessions are in Redis: {keys:?}"
    );
    assert!(!dump.contains(&token), "the token itself is never stored");
    assert!(!dump.contains(email) && !dump.contains(password));

    let logs = logs::captured();
    assert!(!logs.is_empty(), "logs were captured");
    for secret in [
        token.as_str(),
        password,
        email,
        "wrong-password-0",
        app.admin_token.as_str(),
        crate::helpers::ADMIN_PASSWORD,
    ] {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
}

/// A login answer holds a bearer token, and every answer to a signed-in request is
/// personal: none may be kept by a shared or browser cache.
#[tokio::test]
async fn tokens_and_personal_answers_are_never_stored_by_caches() {
    let app = spawn_app().await;
    let password = "user-password-123";
    app.register("nostore@example.com", password).await;
    let login = app.login("nostore@example.com", password).await;
    assert_eq!(login.status(), 200);
    assert_eq!(login.headers()["cache-control"], "no-store");
    let token = login.json::<Value>().await.unwrap()["data"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        "/api/auth/session",
        "/api/products/wishlist",
        "/api/products",
    ] {
        let response = app.get_as(path, &token).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
    let anonymous = app.list_products("").await;
    assert_ne!(
        anonymous
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store"),
        "anonymous catalogue reads stay cacheable"
    );
}
