//! `product-catalog seed N`: fills the catalog with N generated products through the
//! create use case (so caches stay consistent), with a progress line on a terminal and a
//! one-line summary otherwise. Cache writes that failed are redone before it returns, so a
//! seed during a Redis blip cannot leave other instances serving old lists. Its outbox
//! entries are relayed before it returns (what cannot be, a running server relays).

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use shaku::HasComponent;

use super::wiring::{event_wiring, outbox_relay, prepared_database};
use super::{build_module, client_keys, Settings, StartupError};
use crate::domain::ports::RedisService;
use crate::domain::product::{
    Category, Description, Images, Money, NewProduct, ProductName, Stock,
};
use crate::infrastructure::redis::RedisClients;
use crate::usecases::cache::CacheContext;
use crate::usecases::events::{OutboxRelay, RoundReport};
use crate::usecases::CreateProductUseCase;

const CATEGORIES: [&str; 5] = ["footwear", "apparel", "outdoor", "bags", "accessories"];

fn product(i: u32) -> Option<NewProduct> {
    Some(NewProduct {
        sku: None,
        name: ProductName::parse(&format!("Seed product {i:06}")).ok()?,
        description: Description::parse(&format!("Generated product number {i} for load tests"))
            .ok()?,
        price: Money::from_cents(i64::from(i % 100_000) * 7 + 99).ok()?,
        stock: Stock::parse(i64::from(i % 500)).ok()?,
        category: Category::parse(CATEGORIES[i as usize % CATEGORIES.len()]).ok()?,
        images: Images::default(),
        is_active: !i.is_multiple_of(10),
    })
}

/// How long `seed` keeps redoing failed cache writes before it gives up.
const REPAIR_WAIT: Duration = Duration::from_secs(5);

/// `done` of `count` as a whole percentage (in 64 bits: `done * 100` overflows 32 bits
/// past 42,949,672).
fn percent(done: u32, count: u32) -> u64 {
    u64::from(done) * 100 / u64::from(count.max(1))
}

/// Redoes the failed cache writes of this run until none is left or `REPAIR_WAIT` passes;
/// returns whether the cache is settled.
async fn settle_cache(context: &CacheContext, cache: &dyn RedisService) -> bool {
    let deadline = Instant::now() + REPAIR_WAIT;
    loop {
        if context.repair.is_clean() {
            return true;
        }
        context.repair.drain(cache, &context.metrics).await;
        if context.repair.is_clean() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Relays this run's events until a round finds nothing more to do or `REPAIR_WAIT`
/// passes; what is left, a running server relays.
async fn drain_outbox(relay: &OutboxRelay) {
    let deadline = Instant::now() + REPAIR_WAIT;
    while Instant::now() < deadline && relay.round().await != RoundReport::default() {}
}

/// Creates `count` products, 16 at a time; returns how many were created.
pub async fn seed(settings: Settings, count: u32) -> Result<u32, StartupError> {
    let database = prepared_database(&settings).await?;
    let keys = client_keys(&settings, &database).await?;
    let redis = RedisClients::build(&settings.redis).await?;
    let context = Arc::new(CacheContext::new(settings.cache));
    let events = event_wiring(&settings).await?;
    let (instance, signals) = (events.instance.clone(), events.signals.clone());
    let module = build_module(
        &settings,
        database,
        redis,
        None,
        context.clone(),
        keys,
        events,
    );
    let relay = Arc::new(outbox_relay(
        &module,
        instance,
        signals,
        Arc::default(),
        &settings,
    ));
    // Relayed while seeding, so running servers find the entries settled (this process
    // applied their cache effects) instead of redoing them after the grace period.
    let relaying = tokio::spawn({
        let relay = relay.clone();
        async move {
            loop {
                relay.wait_and_round().await;
            }
        }
    });
    let cache: Arc<dyn RedisService> = module.resolve();
    let terminal = std::io::stderr().is_terminal();
    let create: Arc<dyn CreateProductUseCase> = module.resolve();
    let mut created: u32 = 0;
    let mut failed: u32 = 0;
    let mut results = futures_util::stream::iter(0..count)
        .map(|i| {
            let create = create.clone();
            async move {
                match product(i) {
                    Some(p) => create.execute(p, None).await.is_ok(),
                    None => false,
                }
            }
        })
        .buffer_unordered(16);
    let step = (count / 100).max(1);
    while let Some(ok) = results.next().await {
        if ok {
            created += 1;
        } else {
            failed += 1;
        }
        let done = created + failed;
        if terminal && (done.is_multiple_of(step) || done == count) {
            eprint!(
                "\rseeding {done}/{count} ({}%), {failed} failed",
                percent(done, count)
            );
            let _ = std::io::stderr().flush();
        }
    }
    if terminal {
        eprintln!();
    }
    if !settle_cache(&context, cache.as_ref()).await {
        return Err(StartupError::CacheNotSettled { created });
    }
    drain_outbox(&relay).await;
    relaying.abort();
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_right_past_the_32_bit_limit() {
        assert_eq!(percent(50_000_000, 100_000_000), 50);
        assert_eq!(percent(u32::MAX, u32::MAX), 100);
        assert_eq!(percent(0, 0), 0);
    }
}
