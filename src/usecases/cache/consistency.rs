//! The background consistency checker: samples cached products (SCAN, never KEYS), compares
//! each with MongoDB, repairs what differs and counts it all.

use std::sync::Arc;
use std::time::Duration;

use super::product_entries::{self, Durability, ProductEntryView};
use super::CacheContext;
use crate::domain::cache::CacheKeys;
use crate::domain::ports::{ProductRepository, RedisService};
use crate::domain::product::ProductId;

/// What one run found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConsistencyReport {
    pub checked: u64,
    pub mismatches: u64,
    pub repaired: u64,
}

/// Checks up to `sample` cached products once. An entry matches when it holds exactly what
/// MongoDB holds (same version and fields), or is a tombstone for a product MongoDB lacks.
/// Mismatches are repaired by writing MongoDB's state through the version-checked path, or
/// by deleting the entry when MongoDB's state cannot replace it (cache ahead of MongoDB).
pub async fn check_once(
    repository: &dyn ProductRepository,
    cache: &dyn RedisService,
    context: &CacheContext,
    sample: usize,
) -> ConsistencyReport {
    let mut report = ConsistencyReport::default();
    let keys = match cache.scan_keys(CacheKeys::PRODUCT_PATTERN, sample).await {
        Ok(keys) => keys,
        Err(error) => {
            context.failed("consistency.scan", &error);
            return report;
        }
    };
    let cached_version = |id: ProductId| async move {
        product_entries::read(cache, &id).await.map(|entry| {
            entry.map(
                |ProductEntryView {
                     product, version, ..
                 }| (version, product),
            )
        })
    };
    for key in keys {
        let Some(id) = CacheKeys::product_id_of(&key) else {
            continue;
        };
        let Ok(Some((version, cached))) = cached_version(id.clone()).await else {
            continue;
        };
        let Ok(stored) = repository.find_by_id(&id).await else {
            continue;
        };
        report.checked += 1;
        let consistent = match (&cached, &stored) {
            (Some(cached), Some(stored)) => cached == stored,
            (None, None) => true,
            // A tombstone above the stored version is a delete racing a re-read: fine.
            (None, Some(stored)) => version > stored.version.get(),
            (Some(_), None) => false,
        };
        if consistent {
            continue;
        }
        // An entry that changed while we read MongoDB is a write in flight, not a mismatch.
        match cached_version(id.clone()).await {
            Ok(Some((again, _))) if again == version => {}
            _ => continue,
        }
        report.mismatches += 1;
        let repaired = match &stored {
            Some(stored) if stored.version.get() >= version => {
                let ttl = context.jittered(context.policy.product_ttl);
                product_entries::put(
                    cache,
                    context,
                    &id,
                    stored.version.get(),
                    Some(stored),
                    ttl,
                    Durability::MustLand,
                )
                .await;
                true
            }
            _ => cache.delete(&key).await.is_ok(),
        };
        if repaired {
            report.repaired += 1;
        }
        tracing::warn!(product = %id, cached_version = version, "cache entry disagreed with MongoDB");
    }
    report
}

/// Runs `check_once` every `interval` forever, recording each run in the cache metrics.
pub async fn run_consistency_checker(
    repository: Arc<dyn ProductRepository>,
    cache: Arc<dyn RedisService>,
    context: Arc<CacheContext>,
    interval: Duration,
    sample: usize,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let report = check_once(repository.as_ref(), cache.as_ref(), &context, sample).await;
        context.metrics.consistency_run(
            report.checked,
            report.mismatches,
            report.repaired,
            chrono::Utc::now().timestamp_millis(),
        );
    }
}
