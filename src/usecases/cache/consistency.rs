//! The background consistency checker: samples cached products (SCAN, never KEYS), compares
//! each with MongoDB, repairs what differs and counts it all.

use std::sync::Arc;
use std::time::Duration;

use super::{CacheState, ProductCache};
use crate::domain::cache::CacheKeys;
use crate::domain::ports::{ProductRepository, RedisService};

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
    repository: &Arc<dyn ProductRepository>,
    cache: &Arc<dyn RedisService>,
    state: &Arc<CacheState>,
    sample: usize,
) -> ConsistencyReport {
    let mut report = ConsistencyReport::default();
    let Ok(keys) = cache.scan_keys(CacheKeys::PRODUCT_PATTERN, sample).await else {
        return report;
    };
    let products = ProductCache::new(repository.clone(), cache.clone(), state.clone());
    for key in keys {
        let Some(id) = CacheKeys::product_id_of(&key) else {
            continue;
        };
        let Ok(Some((version, cached))) = products.cached_version(&id).await else {
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
        match products.cached_version(&id).await {
            Ok(Some((again, _))) if again == version => {}
            _ => continue,
        }
        report.mismatches += 1;
        let repaired = match &stored {
            Some(stored) if stored.version.get() >= version => {
                products.write_through(stored).await;
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
    state: Arc<CacheState>,
    interval: Duration,
    sample: usize,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let report = check_once(&repository, &cache, &state, sample).await;
        state.metrics.consistency_run(
            report.checked,
            report.mismatches,
            report.repaired,
            chrono::Utc::now().timestamp_millis(),
        );
    }
}
