use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::error::CacheFailureKind;
use crate::domain::ports::{CacheUsage, RedisService};
use crate::usecases::cache::{CacheContext, CacheMetricsSnapshot};
use crate::usecases::rate_limit::{RateDecisions, RateSnapshot};

/// Cache counters plus what Redis says about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CacheStatsReport {
    pub metrics: CacheMetricsSnapshot,
    /// Rate-limit decisions by where they were taken.
    pub rate_limit: RateSnapshot,
    pub redis_connected: bool,
    /// Round trip of the ping that decided `redis_connected`.
    pub round_trip: Option<std::time::Duration>,
    /// Present when asked for and Redis answered (it scans this service's namespace).
    pub usage: Option<CacheUsage>,
    /// Cache writes waiting to be redone; while non-zero, reads bypass the cache.
    pub repairs_pending: bool,
    /// Failed cache calls since start, by cause.
    pub errors_by_kind: Vec<(CacheFailureKind, u64)>,
}

/// Reports the cache metrics the use cases keep, and Redis' state.
#[async_trait]
pub trait CacheStatsUseCase: Interface {
    /// `with_usage` adds memory and namespace key count; it walks the namespace with SCAN,
    /// so it is meant for on-demand admin use, not for every scrape.
    async fn execute(&self, with_usage: bool) -> CacheStatsReport;
}

#[derive(Component)]
#[shaku(interface = CacheStatsUseCase)]
pub struct CacheStats {
    #[shaku(inject)]
    cache: Arc<dyn RedisService>,
    context: Arc<CacheContext>,
    decisions: Arc<RateDecisions>,
}

#[cfg(test)]
impl CacheStats {
    pub fn new(
        cache: Arc<dyn RedisService>,
        context: Arc<CacheContext>,
        decisions: Arc<RateDecisions>,
    ) -> Self {
        Self {
            cache,
            context,
            decisions,
        }
    }
}

#[async_trait]
impl CacheStatsUseCase for CacheStats {
    async fn execute(&self, with_usage: bool) -> CacheStatsReport {
        let round_trip = self.cache.ping().await.ok();
        let redis_connected = round_trip.is_some();
        let usage = if with_usage && redis_connected {
            self.cache.usage().await.ok()
        } else {
            None
        };
        CacheStatsReport {
            metrics: self.context.metrics.snapshot(),
            rate_limit: self.decisions.snapshot(),
            redis_connected,
            round_trip,
            usage,
            repairs_pending: !self.context.repair.is_clean(),
            errors_by_kind: CacheFailureKind::ALL
                .iter()
                .map(|kind| (*kind, self.context.failures.total(*kind)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::CacheError;
    use crate::domain::ports::MockRedisService;
    use crate::usecases::cache::CacheLayer;

    #[tokio::test]
    async fn reports_counters_and_skips_usage_when_redis_is_down() {
        let state = Arc::new(CacheContext::default());
        state.metrics.hit(CacheLayer::Product);
        state.metrics.miss(CacheLayer::List);
        let mut cache = MockRedisService::new();
        cache
            .expect_ping()
            .returning(|| Err(CacheError::Unavailable("down".into())));
        let report = CacheStats::new(Arc::new(cache), state, Arc::default())
            .execute(true)
            .await;
        assert_eq!((report.metrics.hits(), report.metrics.misses()), (1, 1));
        assert_eq!(report.metrics.hit_rate(), 50.0);
        assert!(!report.redis_connected);
        assert_eq!(report.usage, None);
    }
}
