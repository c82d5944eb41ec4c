//! Distributed rate limiting over real Redis.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::helpers::{shared_servers, spawn_app_with, test_settings, RedisServer, TestApp};

fn limited_settings(
    redis_url: &str,
    prefix: Option<&str>,
    read: &str,
) -> product_catalog::config::Settings {
    let mut extra = vec![("RATE_LIMIT_READ", read), ("TRUST_PROXY", "true")];
    // One deployment: one key prefix and one database (which holds the secret that keys
    // clients, so instances of it key a client alike).
    let database = prefix.map(|p| format!("deployment_{}", &p[7..23]));
    if let (Some(prefix), Some(database)) = (prefix, &database) {
        extra.push(("REDIS_KEY_PREFIX", prefix));
        extra.push(("MONGODB_DB", database));
    }
    test_settings(&shared_servers().mongo_uri, redis_url, &extra)
}

async fn get_as(app: &TestApp, client_ip: &str) -> reqwest::Response {
    app.client
        .get(app.url("/api/products"))
        .header("X-Forwarded-For", client_ip)
        .send()
        .await
        .unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> i64 {
    response.headers()[name].to_str().unwrap().parse().unwrap()
}

/// 16 concurrent clients with one key send 200 requests spread over `apps`.
async fn burst(apps: &[Arc<TestApp>], client_ip: &'static str) -> (u32, u32) {
    let sent = Arc::new(AtomicU32::new(0));
    let (ok, limited) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (apps, sent, ok, limited) =
                (apps.to_vec(), sent.clone(), ok.clone(), limited.clone());
            tokio::spawn(async move {
                loop {
                    let n = sent.fetch_add(1, Ordering::SeqCst);
                    if n >= 200 {
                        break;
                    }
                    let response = get_as(&apps[n as usize % apps.len()], client_ip).await;
                    match response.status().as_u16() {
                        200 => ok.fetch_add(1, Ordering::SeqCst),
                        429 => {
                            let retry = header(&response, "retry-after");
                            assert!((1..=60).contains(&retry), "Retry-After {retry}");
                            assert_eq!(header(&response, "x-ratelimit-remaining"), 0);
                            assert_eq!(header(&response, "x-ratelimit-limit"), 50);
                            let body: serde_json::Value = response.json().await.unwrap();
                            assert_eq!(body["status"], "error");
                            limited.fetch_add(1, Ordering::SeqCst)
                        }
                        other => panic!("unexpected status {other}"),
                    };
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    (ok.load(Ordering::SeqCst), limited.load(Ordering::SeqCst))
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_per_minute_admits_exactly_fifty_of_two_hundred() {
    let app = Arc::new(
        spawn_app_with(limited_settings(
            &shared_servers().redis_url,
            None,
            "50/60s",
        ))
        .await,
    );
    let (ok, limited) = burst(std::slice::from_ref(&app), "10.1.1.1").await;
    println!("50/min, 16 clients, 200 requests: {ok} admitted, {limited} limited");
    assert_eq!((ok, limited), (50, 150));

    let other = get_as(&app, "10.1.1.2").await;
    assert_eq!(other.status(), 200, "a second key is unaffected");
    assert_eq!(header(&other, "x-ratelimit-remaining"), 49);

    let blocked = get_as(&app, "10.1.1.1").await;
    assert_eq!(blocked.status(), 429);
    let reset = header(&blocked, "x-ratelimit-reset");
    assert!(
        reset > now_secs() && reset <= now_secs() + 61,
        "reset {reset} is a Unix time within the window"
    );
}

/// The same limiter on a two-second window, so the return of the quota is seen without
/// waiting a minute.
#[tokio::test]
async fn the_quota_returns_once_the_window_has_passed() {
    let app = spawn_app_with(limited_settings(&shared_servers().redis_url, None, "3/2s")).await;
    for _ in 0..3 {
        assert_eq!(get_as(&app, "10.1.2.1").await.status(), 200);
    }
    let blocked = get_as(&app, "10.1.2.1").await;
    assert_eq!(blocked.status(), 429);
    let reset = header(&blocked, "x-ratelimit-reset");
    assert!(
        reset >= now_secs() && reset <= now_secs() + 3,
        "reset {reset} is a Unix time within the window"
    );
    let wait = (reset - now_secs()).max(0) as u64 + 1;
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let back = get_as(&app, "10.1.2.1").await;
    assert_eq!(back.status(), 200, "the quota is back after the window");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_redis_share_the_quota_exactly() {
    let prefix = format!("shared:{}:", uuid::Uuid::new_v4().simple());
    let redis = &shared_servers().redis_url;
    let a = Arc::new(spawn_app_with(limited_settings(redis, Some(&prefix), "50/60s")).await);
    let b = Arc::new(spawn_app_with(limited_settings(redis, Some(&prefix), "50/60s")).await);
    let (ok, limited) = burst(&[a, b], "10.2.2.2").await;
    println!("two instances, 50/min, 200 requests: {ok} admitted, {limited} limited");
    assert_eq!((ok, limited), (50, 150));
}

#[tokio::test]
async fn with_redis_down_requests_pass_and_the_local_limiter_still_limits() {
    let mut redis = RedisServer::start();
    let app = spawn_app_with(limited_settings(&redis.url(), None, "5/60s")).await;
    redis.stop();
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let response = get_as(&app, "10.3.3.3").await;
        if response.status() == 200 {
            assert_eq!(response.headers()["x-cache"], "BYPASS");
        }
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
}

/// Login attempts are limited per address even when the caller sends a session token of
/// its own: keyed by the session user, every self-made account bought a fresh quota.
#[tokio::test]
async fn a_bearer_token_does_not_buy_a_fresh_login_quota() {
    let app = spawn_app_with(test_settings(
        &shared_servers().mongo_uri,
        &shared_servers().redis_url,
        &[("RATE_LIMIT_AUTH", "6/60s")],
    ))
    .await;
    let password = "user-password-123";
    assert_eq!(
        app.register("quota@example.com", password).await.status(),
        201
    );
    let login = app.login("quota@example.com", password).await;
    assert_eq!(login.status(), 200);
    let left = header(&login, "x-ratelimit-remaining");
    assert!(left > 0, "the test needs some quota left, got {left}");
    let token = login.json::<serde_json::Value>().await.unwrap()["data"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut statuses = Vec::new();
    for _ in 0..=left {
        let attempt = app
            .client
            .post(app.url("/api/auth/login"))
            .bearer_auth(&token)
            .json(
                &serde_json::json!({"email": "quota@example.com", "password": "wrong-password-1"}),
            )
            .send()
            .await
            .unwrap();
        statuses.push(attempt.status().as_u16());
    }
    let mut expected = vec![401; left as usize];
    expected.push(429);
    assert_eq!(
        statuses, expected,
        "the address's quota ({left} left) applies"
    );
}

/// Every route that does work counts against the caller's quota (health pings both
/// servers, metrics and cache stats read Redis, session routes read sessions); only the
/// probes that touch nothing stay unlimited.
#[tokio::test]
async fn health_metrics_session_and_cache_routes_are_limited_but_bare_probes_are_not() {
    let app = spawn_app_with(test_settings(
        &shared_servers().mongo_uri,
        &shared_servers().redis_url,
        &[("RATE_LIMIT_READ", "4/60s"), ("RATE_LIMIT_WRITE", "1/60s")],
    ))
    .await;
    let mut statuses = Vec::new();
    for path in [
        "/api/health",
        "/metrics",
        "/api/cache/stats",
        "/api/auth/session",
        "/api/health/ready",
        "/api/cache/status",
    ] {
        statuses.push(app.get(path).await.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 401, 401, 429, 429]);
    let logout = |path: &'static str| app.client.post(app.url(path)).send();
    assert_eq!(logout("/api/auth/logout").await.unwrap().status(), 401);
    assert_eq!(logout("/api/auth/logout-all").await.unwrap().status(), 429);
    for probe in ["/health", "/api/health/live"] {
        assert_eq!(app.get(probe).await.status(), 200, "{probe}");
    }
}

async fn statuses_with_forwarded(app: &TestApp, forwarded: impl Fn(u32) -> String) -> Vec<u16> {
    let mut statuses = Vec::new();
    for i in 0..7 {
        let response = app
            .client
            .get(app.url("/api/products"))
            .header("X-Forwarded-For", forwarded(i))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    statuses
}

/// Behind a proxy that appends to `X-Forwarded-For`, a client that writes its own first
/// hop (a new one each time) is still one client; a peer that is not a trusted proxy is
/// keyed by its own address whatever the header says.
#[tokio::test]
async fn forged_forwarded_hops_do_not_escape_the_limit() {
    let servers = shared_servers();
    let expected = [200, 200, 200, 200, 200, 429, 429];
    let behind_proxy = spawn_app_with(test_settings(
        &servers.mongo_uri,
        &servers.redis_url,
        &[
            ("RATE_LIMIT_READ", "5/60s"),
            ("TRUST_PROXY", "true"),
            ("TRUSTED_PROXIES", "127.0.0.1/32"),
        ],
    ))
    .await;
    let forged_first_hop = |i| format!("198.51.100.{i}, 203.0.113.9");
    assert_eq!(
        statuses_with_forwarded(&behind_proxy, forged_first_hop).await,
        expected
    );
    let untrusted_peer = spawn_app_with(test_settings(
        &servers.mongo_uri,
        &servers.redis_url,
        &[
            ("RATE_LIMIT_READ", "5/60s"),
            ("TRUST_PROXY", "true"),
            ("TRUSTED_PROXIES", "10.0.0.0/8"),
        ],
    ))
    .await;
    let forged_everything = |i| format!("203.0.113.{i}");
    assert_eq!(
        statuses_with_forwarded(&untrusted_peer, forged_everything).await,
        expected
    );
}

/// The app's keys in Redis matching `pattern` (after its prefix).
async fn keys_matching(app: &TestApp, pattern: &str) -> Vec<String> {
    let pattern = format!("{}{pattern}", app.settings.redis.key_prefix);
    crate::helpers::keys_matching(&app.redis().await, &pattern).await
}

#[tokio::test]
async fn rate_limit_keys_are_keyed_digests_that_no_address_list_reverses() {
    use product_catalog::domain::client_key::ClientKeys;
    let address = "203.0.113.77";
    let plain = product_catalog::domain::digest::sha256_hex(format!("ip:{address}").as_bytes(), 12);

    let configured = spawn_app_with(test_settings(
        &shared_servers().mongo_uri,
        &shared_servers().redis_url,
        &[
            ("TRUST_PROXY", "true"),
            ("CLIENT_KEY_SECRET", "a-secret-of-more-than-16-bytes"),
        ],
    ))
    .await;
    assert_eq!(get_as(&configured, address).await.status(), 200);
    let keys = keys_matching(&configured, "rate:{read:*}").await;
    let keyed =
        ClientKeys::new(b"a-secret-of-more-than-16-bytes").key(&format!("ip:{address}"), 12);
    assert!(
        keys.iter().any(|k| k.ends_with(&format!("{keyed}}}"))),
        "{keys:?}"
    );
    assert!(
        !keys.iter().any(|k| k.contains(&plain)),
        "a plain digest of the address: {keys:?}"
    );

    // Unconfigured: the secret comes from MongoDB, never from Redis.
    let unconfigured = spawn_app_with(limited_settings(
        &shared_servers().redis_url,
        Some(&format!("secret:{}:", uuid::Uuid::new_v4().simple())),
        "100/60s",
    ))
    .await;
    assert_eq!(get_as(&unconfigured, address).await.status(), 200);
    let keys = keys_matching(&unconfigured, "rate:{read:*}").await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(
        !keys[0].contains(&plain),
        "a plain digest of the address: {keys:?}"
    );
    let stored = unconfigured
        .mongo()
        .await
        .collection::<mongodb::bson::Document>("service_secrets")
        .find_one(mongodb::bson::doc! { "_id": "client-keys" })
        .await
        .unwrap()
        .expect("the shared secret is in MongoDB");
    let secret = stored.get_str("secret").unwrap();
    assert_eq!(secret.len(), 64);
    use fred::prelude::KeysInterface;
    let redis = unconfigured.redis().await;
    for key in keys_matching(&unconfigured, "*").await {
        let value: Option<String> = redis.get(&key).await.unwrap_or(None);
        assert!(
            !value.unwrap_or_default().contains(secret),
            "{key} holds the secret"
        );
    }
}

/// Calls of Lua scripts (`EVAL`, `EVALSHA`) a Redis server has run.
async fn script_calls(url: &str) -> u64 {
    use fred::prelude::ClientLike;
    let client = crate::helpers::redis_client(url).await;
    let stats: String = client
        .info(Some(fred::types::InfoKind::CommandStats))
        .await
        .unwrap();
    let _ = client.quit().await;
    stats
        .lines()
        .filter(|l| l.starts_with("cmdstat_evalsha:") || l.starts_with("cmdstat_eval:"))
        .filter_map(|l| {
            l.split("calls=")
                .nth(1)?
                .split(',')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

/// A large quota is spent mostly from local leases: two instances, 10,000 per minute,
/// 12,000 requests from 8 concurrent clients on one key split over both. The shared limit
/// still holds exactly, and the server holding rate limits runs fewer than one script per
/// ten admitted requests (cache entries live on another server, so it counts only
/// rate-limit and session calls).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_quota_is_spent_from_local_leases_without_exceeding_it() {
    let main = RedisServer::start();
    let prefix = format!("lease:{}:", uuid::Uuid::new_v4().simple());
    let settings = || {
        test_settings(
            &shared_servers().mongo_uri,
            &main.url(),
            &[
                ("RATE_LIMIT_READ", "10000/60s"),
                ("TRUST_PROXY", "true"),
                ("REDIS_KEY_PREFIX", prefix.as_str()),
                ("MONGODB_DB", &format!("lease_{}", &prefix[6..22])),
                ("REDIS_CACHE_URL", shared_servers().redis_url.as_str()),
            ],
        )
    };
    let apps = [
        Arc::new(spawn_app_with(settings()).await),
        Arc::new(spawn_app_with(settings()).await),
    ];
    let before = script_calls(&main.url()).await;
    let sent = Arc::new(AtomicU32::new(0));
    let (ok, limited) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (apps, sent, ok, limited) =
                (apps.clone(), sent.clone(), ok.clone(), limited.clone());
            tokio::spawn(async move {
                loop {
                    let n = sent.fetch_add(1, Ordering::SeqCst);
                    if n >= 12_000 {
                        break;
                    }
                    let response = get_as(&apps[n as usize % 2], "10.9.9.9").await;
                    match response.status().as_u16() {
                        200 => ok.fetch_add(1, Ordering::SeqCst),
                        429 => limited.fetch_add(1, Ordering::SeqCst),
                        other => panic!("unexpected status {other}"),
                    };
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let calls = script_calls(&main.url()).await - before;
    let (ok, limited) = (ok.load(Ordering::SeqCst), limited.load(Ordering::SeqCst));
    let mut local = 0;
    for app in &apps {
        local += app
            .metric("rate_limit_decisions_by_source_total{source=\"local\"}")
            .await;
    }
    println!(
        "two instances, 10000/min, 12000 requests: {ok} admitted, {limited} limited, \
         {calls} rate-limit scripts on Redis ({:.3} per admitted request), \
         {local} decisions taken locally",
        f64::from(calls as u32) / f64::from(ok.max(1))
    );
    assert!(local >= 11_000, "most decisions are local: {local}");
    assert!(ok <= 10_000, "never more than the limit: {ok}");
    assert!(ok >= 9_900, "leases give back what they do not spend: {ok}");
    assert_eq!(ok + limited, 12_000);
    assert!(
        (calls as f64) < 0.1 * f64::from(ok),
        "{calls} script calls for {ok} admitted requests"
    );
}
