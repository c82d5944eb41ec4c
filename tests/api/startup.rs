//! Start-up with a dependency missing: Redis is optional, MongoDB is not.

use std::time::{Duration, Instant};

use product_catalog::config::Application;
use serde_json::Value;

use crate::helpers::{free_port, shared_servers, spawn_app_on, test_settings};

#[tokio::test]
async fn starts_degraded_without_redis_serves_reads_and_refuses_sessions_clearly() {
    let closed = format!("redis://127.0.0.1:{}", free_port());
    let app = spawn_app_on(&shared_servers().mongo_uri, &closed).await;
    let body: Value = app.health().await.json().await.unwrap();
    assert_eq!(body["data"]["status"], "degraded");
    assert_eq!(app.list_products("").await.status(), 200);
    assert_eq!(app.product_total().await, 0);
    let login = app
        .login(crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD)
        .await;
    assert_eq!(login.status(), 503, "sessions live in Redis");
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["status"], "error");
}

#[tokio::test]
async fn refuses_to_start_without_mongodb_after_a_bounded_wait() {
    let closed = format!("mongodb://127.0.0.1:{}/?directConnection=true", free_port());
    let settings = test_settings(
        &closed,
        &shared_servers().redis_url,
        &[
            ("MONGODB_STARTUP_TIMEOUT_MS", "1500"),
            ("MONGODB_TIMEOUT_MS", "300"),
        ],
    );
    let started = Instant::now();
    let error = match Application::build(settings).await {
        Ok(_) => panic!("started without MongoDB"),
        Err(error) => error,
    };
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let message = error.to_string();
    assert!(message.contains("MongoDB did not answer"), "{message}");
}
