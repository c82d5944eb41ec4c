//! Cost of one rate-limit decision: the sliding-log Lua script through the Redis adapter,
//! and the in-process fallback, the latter with 100 and with 100,000 clients held (its cost
//! per call must not grow with the number of clients).
//!
//! `cargo bench --features mock --bench rate_limiter` starts its own `redis-server` (or uses
//! `BENCH_REDIS_URL`) and times 20,000 sequential checks of each, one client key, with a
//! limit high enough that every request is admitted (the costliest path: it writes).

mod support;

use std::time::{Duration, Instant};

use product_catalog::domain::ports::{RateLimiter, RateRule};
use product_catalog::infrastructure::local_rate_limiter::LocalRateLimiter;
use product_catalog::infrastructure::redis::{build_client, RedisRateLimiter, RedisSettings};

const CHECKS: usize = 20_000;

async fn time(limiter: &dyn RateLimiter) -> (f64, f64, f64) {
    let rule = RateRule {
        limit: 1_000_000,
        window: Duration::from_secs(60),
    };
    let mut timings = Vec::with_capacity(CHECKS);
    for _ in 0..CHECKS {
        let started = Instant::now();
        let decision = limiter.check("rate:read:bench", rule).await.expect("check");
        timings.push(started.elapsed());
        assert!(decision.allowed);
    }
    support::summary(timings)
}

#[tokio::main]
async fn main() {
    let (url, _own) = support::start_redis();
    let settings = RedisSettings {
        cache_url: None,
        url: url.into(),
        key_prefix: format!("bench:{}:", uuid::Uuid::new_v4().simple()),
        command_timeout: Duration::from_secs(2),
        startup_timeout: Duration::from_secs(5),
        tls: Default::default(),
        wait_replicas: 0,
    };
    let client = build_client(&settings).await.unwrap();
    let redis = RedisRateLimiter::new(client, settings.key_prefix, settings.command_timeout);
    println!("rate-limit decision cost ({CHECKS} sequential checks, one client, all admitted)");
    println!(
        "{:>26} {:>10} {:>10} {:>10}",
        "limiter", "mean µs", "p50 µs", "p99 µs"
    );
    let (mean, p50, p99) = time(&redis).await;
    println!(
        "{:>26} {mean:>10.1} {p50:>10.1} {p99:>10.1}",
        "Redis (Lua, loopback)"
    );
    let (mean, p50, p99) = time(&LocalRateLimiter::default()).await;
    println!(
        "{:>26} {mean:>10.2} {p50:>10.2} {p99:>10.2}",
        "in-process fallback"
    );
    for clients in [100, 100_000] {
        let (mean, p50, p99) = time_many_clients(clients).await;
        println!(
            "{:>26} {mean:>10.2} {p50:>10.2} {p99:>10.2}",
            format!("fallback, {clients} clients")
        );
    }
}

/// The fallback holding `clients` client logs, checked round-robin across them.
async fn time_many_clients(clients: usize) -> (f64, f64, f64) {
    let rule = RateRule {
        limit: 1_000_000,
        window: Duration::from_secs(60),
    };
    let limiter = LocalRateLimiter::default();
    let keys: Vec<String> = (0..clients).map(|i| format!("rate:read:{i:08x}")).collect();
    for key in &keys {
        limiter.check(key, rule).await.expect("check");
    }
    let mut timings = Vec::with_capacity(CHECKS);
    for i in 0..CHECKS {
        let key = &keys[(i * 7_919) % clients];
        let started = Instant::now();
        let decision = limiter.check(key, rule).await.expect("check");
        timings.push(started.elapsed());
        assert!(decision.allowed);
    }
    support::summary(timings)
}
