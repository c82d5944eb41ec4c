//! Credential stuffing against one account from many addresses: after
//! `LOGIN_MAX_FAILURES` consecutive failures the account is locked, whatever the address,
//! with an exponential back-off; the lock ends by itself; unknown e-mails get exactly the
//! same answers, so the lock reveals nothing about which accounts exist. Failures from a
//! single address lock that address only: nobody can keep the owner out from one place.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{shared_servers, spawn_app_with, test_settings, TestApp};

const PASSWORD: &str = "the-right-password-1";

/// One login from its own address (a trusted proxy forwards it).
async fn login_from(
    app: &TestApp,
    n: u32,
    email: &str,
    password: &str,
) -> (u16, Option<String>, String) {
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .header("X-Forwarded-For", format!("203.0.113.{n}"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        response.status().as_u16(),
        retry_after,
        response.text().await.unwrap(),
    )
}

/// Twelve wrong passwords from twelve addresses, then the right one from a thirteenth.
async fn stuffing(app: &TestApp, email: &str) -> Vec<(u16, Option<String>, String)> {
    let mut answers = Vec::new();
    for n in 1..=12 {
        answers.push(login_from(app, n, email, "a-wrong-password-1").await);
    }
    answers.push(login_from(app, 13, email, PASSWORD).await);
    answers
}

/// An instance behind a trusted proxy (each test login brings its own address) that locks
/// after 10 failures, for `base_ms` first.
async fn throttled_app(base_ms: &str) -> TestApp {
    let servers = shared_servers();
    spawn_app_with(test_settings(
        &servers.mongo_uri,
        &servers.redis_url,
        &[
            ("TRUST_PROXY", "true"),
            ("LOGIN_MAX_FAILURES", "10"),
            ("LOGIN_BACKOFF_BASE_MS", base_ms),
        ],
    ))
    .await
}

#[tokio::test]
async fn failed_logins_lock_the_account_from_every_address_then_the_lock_ends() {
    let app = throttled_app("2000").await;
    assert_eq!(
        app.register("stuffed@example.com", PASSWORD).await.status(),
        201
    );

    let known = stuffing(&app, "stuffed@example.com").await;
    let statuses: Vec<u16> = known.iter().map(|a| a.0).collect();
    assert_eq!(statuses, [[401; 10].as_slice(), &[429; 3]].concat());
    let (_, retry_after, _) = &known[12];
    let retry_after: u64 = retry_after
        .as_deref()
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(
        (1..=2).contains(&retry_after),
        "first lock ≈ 2 s, got {retry_after}"
    );

    let unknown = stuffing(&app, "nobody-here@example.com").await;
    assert_eq!(
        unknown, known,
        "unknown and known accounts answer byte for byte alike"
    );

    tokio::time::sleep(Duration::from_secs(retry_after) + Duration::from_millis(200)).await;
    let (status, _, _) = login_from(&app, 14, "stuffed@example.com", PASSWORD).await;
    assert_eq!(status, 200, "the lock ended and the right password works");
    let (status, _, _) = login_from(&app, 15, "stuffed@example.com", "a-wrong-password-1").await;
    assert_eq!(status, 401, "a success starts the count over");
}

#[tokio::test]
async fn failures_from_one_address_lock_that_address_only() {
    let app = throttled_app("60000").await;
    let admin = crate::helpers::ADMIN_EMAIL;
    let right = crate::helpers::ADMIN_PASSWORD;
    let from_a: Vec<u16> = {
        let mut statuses = Vec::new();
        for _ in 0..11 {
            statuses.push(login_from(&app, 1, admin, "a-wrong-password-1").await.0);
        }
        statuses
    };
    assert_eq!(
        from_a,
        [[401; 10].as_slice(), &[429]].concat(),
        "the tenth failure locks address A"
    );
    let (status, _, _) = login_from(&app, 1, admin, right).await;
    assert_eq!(status, 429, "A stays locked, even with the right password");
    let (status, _, body) = login_from(&app, 2, admin, right).await;
    assert_eq!(status, 200, "address B logs in: {body}");
    let (status, retry_after, _) = login_from(&app, 1, admin, right).await;
    assert_eq!(status, 429, "B's success does not unlock A");
    assert!(retry_after.is_some(), "with Retry-After");
}
