use std::sync::Arc;

use super::repair::RepairJob;
use super::{CacheMetrics, CacheRepair, DataSource, SingleFlight};
use crate::domain::cache::CachePolicy;
use crate::domain::error::{CacheError, RepositoryError};
use crate::domain::ports::RedisService;
use crate::domain::product::Product;
use crate::domain::query::Page;

/// A load result shared between the callers of one flight.
pub(crate) type SharedLoad<T> = Result<T, Arc<RepositoryError>>;

/// Process-wide cache state shared by every product use case: policy, counters, in-flight
/// loads and the repair queue. One instance per process, created by the composition root.
#[derive(Default)]
pub struct CacheState {
    pub policy: CachePolicy,
    pub metrics: Arc<CacheMetrics>,
    pub repair: Arc<CacheRepair>,
    pub(crate) product_flights: SingleFlight<SharedLoad<(Option<Product>, DataSource)>>,
    pub(crate) page_flights: SingleFlight<SharedLoad<Page<Product>>>,
    pub(crate) count_flights: SingleFlight<SharedLoad<u64>>,
}

impl CacheState {
    pub fn new(policy: CachePolicy) -> Self {
        Self {
            policy,
            ..Self::default()
        }
    }

    /// Whether reads may use the cache: caching is on and no failed write awaits repair.
    pub fn usable(&self) -> bool {
        self.policy.enabled && self.repair.is_clean()
    }

    /// Bumps a generation counter, making every entry keyed by its old value unreachable at
    /// once. A failed bump is queued for repair; reads bypass the cache until it lands.
    pub(crate) async fn bump_generation(&self, cache: &dyn RedisService, key: &str) {
        if !self.policy.enabled {
            return;
        }
        match bump(cache, key).await {
            Ok(()) => self.metrics.invalidation(),
            Err(_) => {
                self.metrics.error();
                self.repair
                    .enqueue(RepairJob::Bump(key.to_owned()), &self.metrics);
            }
        }
    }
}

/// The value a missing generation counter starts from: the clock, so a counter lost with a
/// Redis restart or an eviction never comes back lower than a generation already used.
pub(crate) fn generation_seed() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// One increment of a generation counter, seeding it first if it is missing. Used by the
/// request path and the repair worker alike.
pub(crate) async fn bump(cache: &dyn RedisService, key: &str) -> Result<(), CacheError> {
    cache.get_or_init_counter(key, generation_seed()).await?;
    cache.incr(key).await.map(|_| ())
}
