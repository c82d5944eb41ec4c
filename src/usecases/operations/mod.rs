//! What operators ask of the service: dependency health, cache statistics, the
//! effective cache settings, cache invalidation.

mod cache_config;
mod cache_stats;
mod check_health;
mod invalidate_cache;

pub use cache_config::{
    CacheConfig, CacheConfigParameters, CacheConfigReport, CacheConfigUseCase, NearTierBounds,
};
pub use cache_stats::{CacheStats, CacheStatsParameters, CacheStatsReport, CacheStatsUseCase};
pub use check_health::{CheckHealth, CheckHealthUseCase, DependencyHealth, HealthReport};
pub use invalidate_cache::{
    InvalidateCache, InvalidateCacheParameters, InvalidateCacheUseCase, InvalidationReport,
    InvalidationScope,
};
