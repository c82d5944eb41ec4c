//! Cost of invalidating every cached list page, with 10 and with 100,000 pages cached.
//!
//! `cargo bench --features mock --bench list_invalidation` starts its own `redis-server` on a
//! free loopback port (or uses `BENCH_REDIS_URL`), fills N list pages under the current
//! generation through the real `RedisService` adapter, then times the use-case
//! invalidation (`CacheEvents::lists_invalidated`) 2,000 times and reports latency percentiles.
//! Invalidation is one generation bump, so the figures should not depend on N.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use product_catalog::domain::cache::CacheKeys;
use product_catalog::domain::ports::{MockProductRepository, RedisService};
use product_catalog::infrastructure::redis::{build_client, FredRedisService, RedisSettings};
use product_catalog::usecases::cache::{CacheContext, CacheEvents, CacheWriteEffects};

const INVALIDATIONS: usize = 2_000;

async fn measure(url: &str, pages: usize) -> (usize, (f64, f64, f64)) {
    let prefix = format!("bench:{}:", uuid::Uuid::new_v4().simple());
    let settings = RedisSettings {
        cache_url: None,
        url: url.into(),
        key_prefix: prefix,
        command_timeout: Duration::from_secs(2),
        startup_timeout: Duration::from_secs(5),
        tls: Default::default(),
        wait_replicas: 0,
    };
    let client = build_client(&settings).await.unwrap();
    let cache: Arc<dyn RedisService> = Arc::new(FredRedisService::new(
        client,
        settings.key_prefix.clone(),
        settings.command_timeout,
        settings.wait_replicas,
    ));
    let generation = cache
        .get_or_init_counter(CacheKeys::LIST_GENERATION, 1, None)
        .await
        .unwrap();
    let body = "x".repeat(1_000);
    for chunk in (0..pages).collect::<Vec<_>>().chunks(2_000) {
        let writes = chunk.iter().map(|i| {
            let key = CacheKeys::list(generation, &format!("{i:032x}"));
            let (cache, body) = (cache.clone(), &body);
            async move {
                cache
                    .set(&key, body, Duration::from_secs(600))
                    .await
                    .unwrap()
            }
        });
        join_all(writes).await;
    }
    let cached = cache
        .scan_keys("products:list:*", usize::MAX)
        .await
        .unwrap()
        .len();

    let context = Arc::new(CacheContext::default());
    let events = CacheWriteEffects::new(
        cache.clone(),
        Arc::new(MockProductRepository::new()),
        context.clone(),
    );
    let mut timings = Vec::with_capacity(INVALIDATIONS);
    for _ in 0..INVALIDATIONS {
        let started = Instant::now();
        events.lists_invalidated().await;
        timings.push(started.elapsed());
    }
    assert!(context.repair.is_clean(), "every invalidation landed");
    (cached, support::summary(timings))
}

#[tokio::main]
async fn main() {
    let (url, _own) = support::start_redis();
    println!("list invalidation ({INVALIDATIONS} invalidations per row, Redis on loopback)");
    println!(
        "{:>14} {:>12} {:>12} {:>12}",
        "cached pages", "mean µs", "p50 µs", "p99 µs"
    );
    for pages in [10, 100_000] {
        let (cached, (mean, p50, p99)) = measure(&url, pages).await;
        println!("{cached:>14} {mean:>12.1} {p50:>12.1} {p99:>12.1}");
    }
}
