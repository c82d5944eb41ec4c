//! Redis failing on request paths leaves one readable warn line per cause per interval,
//! with that cause, and nothing personal or secret.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::helpers::logs::{capture, captured};
use crate::helpers::{shared_servers, spawn_app_on, RedisServer, TestApp};

/// The failure lines this app wrote: (kind, cause, time).
fn failure_lines(app: &TestApp) -> Vec<(String, String, DateTime<Utc>)> {
    let namespace = &app.settings.redis.key_prefix;
    captured()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| {
            line["fields"]["message"] == "cache call failed; serving from MongoDB"
                && line["fields"]["namespace"] == namespace.as_str()
        })
        .map(|line| {
            let at: DateTime<Utc> = line["timestamp"].as_str().unwrap().parse().unwrap();
            let field = |name: &str| line["fields"][name].as_str().unwrap_or("").to_owned();
            (field("kind"), field("cause"), at)
        })
        .collect()
}

async fn read_for(app: &TestApp, id: &str, how_long: Duration) -> u32 {
    let until = tokio::time::Instant::now() + how_long;
    let mut reads = 0;
    while tokio::time::Instant::now() < until {
        let response = app.get_product(id).await;
        assert_eq!(response.status(), 200, "Redis trouble never fails a read");
        reads += 1;
    }
    reads
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_failures_are_logged_once_per_cause_per_interval_without_secrets() {
    capture();
    let mut redis = RedisServer::start();
    let app = spawn_app_on(&shared_servers().mongo_uri, &redis.url()).await;
    let token = app.user_token("logged-user@example.com").await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    redis.stop();
    let refused = read_for(&app, &id, Duration::from_millis(1_500)).await;
    redis.restart();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.health().await.json::<Value>().await.unwrap()["data"]["status"] != "ok" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Redis did not come back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // DEBUG SLEEP blocks the server for longer than REDIS_TIMEOUT_MS (250 ms here).
    let sleeper = {
        let url = redis.url();
        tokio::spawn(async move {
            use fred::prelude::ClientLike;
            let client = crate::helpers::redis_client(&url).await;
            let _: Value = client
                .custom(fred::cmd!("DEBUG"), vec!["SLEEP", "2"])
                .await
                .map(|()| Value::Null)
                .unwrap_or(Value::Null);
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let slow = read_for(&app, &id, Duration::from_millis(1_500)).await;
    sleeper.await.unwrap();

    let lines = failure_lines(&app);
    println!("{refused} reads with Redis stopped, {slow} while it slept; failure lines:");
    for (kind, cause, at) in &lines {
        println!("  {at} {kind}: {cause}");
    }
    for kind in ["connection", "timeout"] {
        let times: Vec<_> = lines.iter().filter(|l| l.0 == kind).map(|l| l.2).collect();
        assert!(!times.is_empty(), "no {kind} line");
        for pair in times.windows(2) {
            assert!(
                pair[1] - pair[0] >= chrono::Duration::milliseconds(9_900),
                "two {kind} lines within the interval: {pair:?}"
            );
        }
    }
    assert!(lines
        .iter()
        .any(|l| l.0 == "timeout" && l.1.contains("no answer within")));
    assert!(lines
        .iter()
        .any(|l| l.0 == "connection" && l.1.contains("cache unavailable")));
    let errors = app.metric("cache_errors_total").await;
    assert!(
        errors > lines.len() as u64,
        "{errors} failures, {} lines",
        lines.len()
    );

    let log = captured();
    for secret in [
        "logged-user@example.com",
        token.as_str(),
        app.admin_token.as_str(),
    ] {
        assert!(!log.contains(secret), "the log holds {secret}");
    }
}
