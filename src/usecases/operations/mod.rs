//! What operators ask of the service: dependency health, cache statistics, cache
//! invalidation.

mod cache_stats;
mod check_health;
mod invalidate_cache;

pub use cache_stats::{CacheStats, CacheStatsParameters, CacheStatsReport, CacheStatsUseCase};
pub use check_health::{CheckHealth, CheckHealthUseCase, DependencyHealth, HealthReport};
pub use invalidate_cache::{
    InvalidateCache, InvalidateCacheParameters, InvalidateCacheUseCase, InvalidationReport,
    InvalidationScope,
};
