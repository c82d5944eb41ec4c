//! Cost of invalidating every cached list page, with 10 and with 100,000 pages cached.
//!
//! `cargo bench --features mock --bench list_invalidation` starts its own `redis-server` on a
//! free loopback port (or uses `BENCH_REDIS_URL`), fills N list pages under the current
//! generation through the real `RedisService` adapter, then times the use-case
//! invalidation (`ListCache::invalidate`) 2,000 times and reports latency percentiles.
//! Invalidation is one generation bump, so the figures should not depend on N.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use product_catalog::domain::cache::CacheKeys;
use product_catalog::domain::ports::{MockProductRepository, RedisService};
use product_catalog::infrastructure::redis::{build_client, FredRedisService, RedisSettings};
use product_catalog::usecases::cache::{CacheState, ListCache};

const INVALIDATIONS: usize = 2_000;

struct OwnRedis(Child);

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_redis() -> (String, Option<OwnRedis>) {
    if let Ok(url) = std::env::var("BENCH_REDIS_URL") {
        return (url, None);
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server on PATH (scripts/test.sh installs it)");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (format!("redis://127.0.0.1:{port}"), Some(OwnRedis(child)))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn measure(url: &str, pages: usize) -> (usize, Duration, Duration, Duration) {
    let prefix = format!("bench:{}:", uuid::Uuid::new_v4().simple());
    let settings = RedisSettings {
        url: url.to_owned(),
        key_prefix: prefix,
        command_timeout: Duration::from_secs(2),
        startup_timeout: Duration::from_secs(5),
    };
    let client = build_client(&settings).await.unwrap();
    let cache: Arc<dyn RedisService> = Arc::new(FredRedisService::new(
        client,
        settings.key_prefix.clone(),
        settings.command_timeout,
    ));
    let generation = cache
        .get_or_init_counter(CacheKeys::LIST_GENERATION, 1)
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

    let state = Arc::new(CacheState::default());
    let lists = ListCache::new(
        Arc::new(MockProductRepository::new()),
        cache.clone(),
        state.clone(),
    );
    let mut timings = Vec::with_capacity(INVALIDATIONS);
    for _ in 0..INVALIDATIONS {
        let started = Instant::now();
        lists.invalidate().await;
        timings.push(started.elapsed());
    }
    assert!(state.repair.is_clean(), "every invalidation landed");
    timings.sort();
    let mean = timings.iter().sum::<Duration>() / INVALIDATIONS as u32;
    (
        cached,
        mean,
        percentile(&timings, 0.5),
        percentile(&timings, 0.99),
    )
}

#[tokio::main]
async fn main() {
    let (url, _own) = start_redis();
    println!("list invalidation ({INVALIDATIONS} invalidations per row, Redis on loopback)");
    println!(
        "{:>14} {:>12} {:>12} {:>12}",
        "cached pages", "mean µs", "p50 µs", "p99 µs"
    );
    for pages in [10, 100_000] {
        let (cached, mean, p50, p99) = measure(&url, pages).await;
        println!(
            "{:>14} {:>12.1} {:>12.1} {:>12.1}",
            cached,
            mean.as_secs_f64() * 1e6,
            p50.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e6
        );
    }
}
