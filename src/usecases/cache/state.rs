use std::sync::Arc;

use super::{CacheMetrics, CacheRepair, DataSource, SingleFlight};
use crate::domain::cache::CachePolicy;
use crate::domain::error::RepositoryError;
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
}
