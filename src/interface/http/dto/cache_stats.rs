use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::usecases::cache::LayerSnapshot;
use crate::usecases::CacheStatsReport;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LayerStats {
    pub hits: u64,
    pub misses: u64,
    pub database_reads: u64,
}

impl From<LayerSnapshot> for LayerStats {
    fn from(l: LayerSnapshot) -> Self {
        Self {
            hits: l.hits,
            misses: l.misses,
            database_reads: l.database_reads,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Layers {
    pub http: LayerStats,
    pub product: LayerStats,
    pub list: LayerStats,
    pub wishlist: LayerStats,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsistencyStats {
    pub checked: u64,
    pub mismatches: u64,
    pub repaired: u64,
    pub last_run_at: Option<DateTime<Utc>>,
}

/// Rate-limit decisions since start by where they were taken.
#[derive(Debug, Serialize, ToSchema)]
pub struct RateLimitStats {
    /// From a local lease of quota or a remembered refusal: no network call.
    pub local: u64,
    /// By a call to Redis (exact decisions and new leases).
    pub redis: u64,
    /// By the in-process fallback limiter while Redis failed.
    pub fallback: u64,
}

/// The in-process tier in front of Redis.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NearCacheStats {
    /// Configured on (`NEAR_CACHE_ENABLED`) and supported by the deployment.
    pub enabled: bool,
    /// Serving reads: its invalidation feed from Redis is confirmed.
    pub serving: bool,
    pub entries: u64,
    /// Cached reads answered from process memory.
    pub hits: u64,
    /// Lookups that went on to Redis.
    pub misses: u64,
    /// Keys Redis reported changed, each dropped from the tier.
    pub invalidations_received: u64,
    /// Times the tier was emptied and bypassed because its feed dropped or went unconfirmed.
    pub flushes_on_disconnect: u64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedisStats {
    pub connected: bool,
    /// Absent when Redis did not answer.
    pub used_memory_bytes: Option<u64>,
    /// Keys in this service's namespace only; absent when Redis did not answer.
    pub keys: Option<u64>,
}

/// `GET /api/cache/stats`: every figure is a count since start, none is estimated.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CacheStatsResponse {
    pub hits: u64,
    pub misses: u64,
    /// Hits as a percentage of lookups, 0–100.
    pub hit_rate: f64,
    pub layers: Layers,
    pub stale_fills_rejected: u64,
    pub single_flight_joins: u64,
    pub lock_waits: u64,
    pub refresh_aheads: u64,
    pub invalidations: u64,
    pub errors: u64,
    /// List and count pages served but not stored by the admission rule (fill budget).
    pub fills_not_admitted: u64,
    /// Pages and responses served but not stored for exceeding `CACHE_MAX_ENTRY_BYTES`.
    pub entries_too_large: u64,
    pub consistency: ConsistencyStats,
    pub rate_limit_decisions: RateLimitStats,
    pub near_cache: NearCacheStats,
    pub redis: RedisStats,
}

impl From<CacheStatsReport> for CacheStatsResponse {
    fn from(report: CacheStatsReport) -> Self {
        let m = report.metrics;
        Self {
            hits: m.hits(),
            misses: m.misses(),
            hit_rate: (m.hit_rate() * 100.0).round() / 100.0,
            layers: Layers {
                http: m.http.into(),
                product: m.product.into(),
                list: m.list.into(),
                wishlist: m.wishlist.into(),
            },
            stale_fills_rejected: m.stale_fills_rejected,
            single_flight_joins: m.single_flight_joins,
            lock_waits: m.lock_waits,
            refresh_aheads: m.refresh_aheads,
            invalidations: m.invalidations,
            errors: m.errors,
            fills_not_admitted: m.fills_not_admitted,
            entries_too_large: m.entries_too_large,
            consistency: ConsistencyStats {
                checked: m.consistency_checked,
                mismatches: m.consistency_mismatches,
                repaired: m.consistency_repaired,
                last_run_at: m
                    .consistency_last_run_ms
                    .and_then(DateTime::from_timestamp_millis),
            },
            rate_limit_decisions: RateLimitStats {
                local: report.rate_limit.local,
                redis: report.rate_limit.redis,
                fallback: report.rate_limit.fallback,
            },
            near_cache: NearCacheStats {
                enabled: m.near.enabled,
                serving: m.near.trusted,
                entries: m.near.entries,
                hits: m.near.hits,
                misses: m.near.misses,
                invalidations_received: m.near.invalidations_received,
                flushes_on_disconnect: m.near.flushes_on_disconnect,
            },
            redis: RedisStats {
                connected: report.redis_connected,
                used_memory_bytes: report.usage.map(|u| u.used_memory_bytes),
                keys: report.usage.map(|u| u.keys),
            },
        }
    }
}

/// `GET /api/cache/status`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CacheStatusResponse {
    pub connected: bool,
    pub round_trip_ms: Option<f64>,
    /// Cache writes waiting to be redone; reads bypass the cache meanwhile.
    pub repairs_pending: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvalidationResponse {
    pub scope: String,
    /// Live single-product entries deleted (`products`, `all`).
    pub product_keys_deleted: u64,
    /// Stored HTTP responses and their generations deleted (`http`, `all`).
    pub response_keys_deleted: u64,
}
