//! The fred adapter against a real Redis server.

use std::time::{Duration, Instant};

use product_catalog::domain::error::CacheError;
use product_catalog::domain::ports::{LockToken, RedisService};
use product_catalog::infrastructure::redis::{build_client, FredRedisService, RedisSettings};

use crate::helpers::{shared_servers, RedisServer};

async fn service(url: &str, prefix: &str) -> FredRedisService {
    let settings = RedisSettings {
        cache_url: None,
        url: url.into(),
        key_prefix: prefix.to_owned(),
        command_timeout: Duration::from_millis(250),
        startup_timeout: Duration::from_secs(2),
        tls: Default::default(),
        wait_replicas: 0,
    };
    let client = build_client(&settings).await.unwrap();
    FredRedisService::new(client, settings.key_prefix, settings.command_timeout, 0)
}

fn prefix() -> String {
    format!("adapter:{}:", uuid::Uuid::new_v4().simple())
}

/// Milliseconds left on `key` as the server sees it (-2 missing, -1 no expiry).
async fn pttl(url: &str, key: &str) -> i64 {
    use fred::prelude::KeysInterface;
    let settings = RedisSettings {
        cache_url: None,
        url: url.into(),
        key_prefix: String::new(),
        command_timeout: Duration::from_secs(1),
        startup_timeout: Duration::from_secs(2),
        tls: Default::default(),
        wait_replicas: 0,
    };
    let client = build_client(&settings).await.unwrap();
    client.pttl(key).await.unwrap()
}

#[tokio::test]
async fn values_expire_and_counters_count() {
    let url = &shared_servers().redis_url;
    let prefix = prefix();
    let redis = service(url, &prefix).await;
    redis
        .set("k", "v", Duration::from_millis(300))
        .await
        .unwrap();
    assert_eq!(redis.get("k").await.unwrap().as_deref(), Some("v"));
    let ttl = pttl(url, &format!("{prefix}k")).await;
    assert!(ttl <= 300 && ttl > 0, "ttl {ttl}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(redis.get("k").await.unwrap(), None, "expired");
    assert_eq!(pttl(url, &format!("{prefix}k")).await, -2);

    assert_eq!(redis.bump_counter("n", 0, None).await.unwrap(), 1);
    assert_eq!(redis.bump_counter("n", 0, None).await.unwrap(), 2);
    assert_eq!(
        pttl(url, &format!("{prefix}n")).await,
        -1,
        "no expiry asked"
    );
    assert!(redis.delete("n").await.unwrap());
    assert!(!redis.delete("n").await.unwrap());

    assert_eq!(
        redis
            .bump_counter("g", 100, Some(Duration::from_secs(60)))
            .await
            .unwrap(),
        101
    );
    let ttl = pttl(url, &format!("{prefix}g")).await;
    assert!(
        ttl > 50_000 && ttl <= 60_000,
        "seeded, incremented and expiring in one call: {ttl}"
    );
    assert_eq!(
        redis
            .get_or_init_counter("h", 7, Some(Duration::from_secs(60)))
            .await
            .unwrap(),
        7
    );
    assert!(pttl(url, &format!("{prefix}h")).await > 50_000);
}

#[tokio::test]
async fn prefixes_isolate_deployments() {
    let url = &shared_servers().redis_url;
    let a = service(url, &prefix()).await;
    let b = service(url, &prefix()).await;
    a.set("same", "a", Duration::from_secs(5)).await.unwrap();
    assert_eq!(b.get("same").await.unwrap(), None);
}

#[tokio::test]
async fn locks_are_exclusive_and_only_the_holder_releases() {
    let redis = service(&shared_servers().redis_url, &prefix()).await;
    let token = redis
        .try_lock("lock", Duration::from_secs(5))
        .await
        .unwrap()
        .expect("acquired");
    assert!(
        redis
            .try_lock("lock", Duration::from_secs(5))
            .await
            .unwrap()
            .is_none(),
        "held"
    );
    let forged = LockToken::new("not-the-token".to_owned());
    assert!(
        !redis.unlock("lock", &forged).await.unwrap(),
        "a wrong token releases nothing"
    );
    assert!(
        redis
            .try_lock("lock", Duration::from_secs(5))
            .await
            .unwrap()
            .is_none(),
        "still held"
    );
    assert!(redis.unlock("lock", &token).await.unwrap());
    assert!(
        !redis.unlock("lock", &token).await.unwrap(),
        "second release is a no-op"
    );

    let expiring = redis
        .try_lock("short", Duration::from_millis(100))
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let next = redis
        .try_lock("short", Duration::from_secs(5))
        .await
        .unwrap()
        .expect("expired lock is free");
    assert!(
        !redis.unlock("short", &expiring).await.unwrap(),
        "late holder cannot release the new lock"
    );
    assert!(redis.unlock("short", &next).await.unwrap());
}

#[tokio::test]
async fn an_unreachable_server_fails_fast_and_recovers() {
    let mut server = RedisServer::start();
    let redis = service(&server.url(), &prefix()).await;
    assert!(redis.ping().await.is_ok());
    server.stop();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let error = redis.get("k").await.unwrap_err();
    assert!(matches!(error, CacheError::Unavailable(_)), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "took {:?}",
        started.elapsed()
    );

    server.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    while redis.ping().await.is_err() {
        assert!(Instant::now() < deadline, "did not reconnect");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    redis.set("k", "v", Duration::from_secs(5)).await.unwrap();
}
