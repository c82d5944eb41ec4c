//! Cache counters, kept by the use cases and read by the stats use case and `/metrics`.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

use super::near_metrics::{NearSnapshot, NearTierCounters};

/// Which cache a hit or miss belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheLayer {
    Http,
    Product,
    List,
    Wishlist,
}

#[derive(Debug, Default)]
struct LayerCounters {
    hits: AtomicU64,
    misses: AtomicU64,
    database_reads: AtomicU64,
}

/// Every counter is a real event count since start; nothing is estimated.
#[derive(Debug, Default)]
pub struct CacheMetrics {
    http: LayerCounters,
    product: LayerCounters,
    list: LayerCounters,
    wishlist: LayerCounters,
    stale_fills_rejected: AtomicU64,
    single_flight_joins: AtomicU64,
    lock_waits: AtomicU64,
    refresh_aheads: AtomicU64,
    invalidations: AtomicU64,
    errors: AtomicU64,
    fills_not_admitted: AtomicU64,
    entries_too_large: AtomicU64,
    repairs_pending_peak: AtomicU64,
    consistency_checked: AtomicU64,
    consistency_mismatches: AtomicU64,
    consistency_repaired: AtomicU64,
    consistency_last_run_ms: AtomicI64,
    /// The in-process tier in front of Redis.
    pub near: NearTierCounters,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LayerSnapshot {
    pub hits: u64,
    pub misses: u64,
    /// Reads that reached MongoDB on behalf of this layer.
    pub database_reads: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheMetricsSnapshot {
    pub http: LayerSnapshot,
    pub product: LayerSnapshot,
    pub list: LayerSnapshot,
    pub wishlist: LayerSnapshot,
    pub stale_fills_rejected: u64,
    pub single_flight_joins: u64,
    pub lock_waits: u64,
    pub refresh_aheads: u64,
    pub invalidations: u64,
    pub errors: u64,
    /// List and count pages served but not stored: first seen while the fill budget was
    /// half spent, or the budget was spent.
    pub fills_not_admitted: u64,
    /// Values served but not stored because they exceed `CACHE_MAX_ENTRY_BYTES`.
    pub entries_too_large: u64,
    pub consistency_checked: u64,
    pub consistency_mismatches: u64,
    pub consistency_repaired: u64,
    /// Unix milliseconds of the last completed consistency run, if any.
    pub consistency_last_run_ms: Option<i64>,
    pub near: NearSnapshot,
}

impl CacheMetricsSnapshot {
    pub fn hits(&self) -> u64 {
        self.http.hits + self.product.hits + self.list.hits + self.wishlist.hits
    }

    pub fn misses(&self) -> u64 {
        self.http.misses + self.product.misses + self.list.misses + self.wishlist.misses
    }

    /// Hits as a percentage of lookups (0 when there were none).
    pub fn hit_rate(&self) -> f64 {
        let lookups = self.hits() + self.misses();
        if lookups == 0 {
            0.0
        } else {
            self.hits() as f64 * 100.0 / lookups as f64
        }
    }
}

impl CacheMetrics {
    fn layer(&self, layer: CacheLayer) -> &LayerCounters {
        match layer {
            CacheLayer::Http => &self.http,
            CacheLayer::Product => &self.product,
            CacheLayer::List => &self.list,
            CacheLayer::Wishlist => &self.wishlist,
        }
    }

    pub fn hit(&self, layer: CacheLayer) {
        self.layer(layer).hits.fetch_add(1, Relaxed);
    }

    pub fn miss(&self, layer: CacheLayer) {
        self.layer(layer).misses.fetch_add(1, Relaxed);
    }

    pub fn database_read(&self, layer: CacheLayer) {
        self.layer(layer).database_reads.fetch_add(1, Relaxed);
    }

    pub fn stale_fill_rejected(&self) {
        self.stale_fills_rejected.fetch_add(1, Relaxed);
    }

    pub fn single_flight_join(&self) {
        self.single_flight_joins.fetch_add(1, Relaxed);
    }

    pub fn lock_wait(&self) {
        self.lock_waits.fetch_add(1, Relaxed);
    }

    pub fn refresh_ahead(&self) {
        self.refresh_aheads.fetch_add(1, Relaxed);
    }

    pub fn invalidation(&self) {
        self.invalidations.fetch_add(1, Relaxed);
    }

    pub fn error(&self) {
        self.errors.fetch_add(1, Relaxed);
    }

    pub fn fill_not_admitted(&self) {
        self.fills_not_admitted.fetch_add(1, Relaxed);
    }

    pub fn entry_too_large(&self) {
        self.entries_too_large.fetch_add(1, Relaxed);
    }

    pub fn repairs_pending(&self, pending: u64) {
        self.repairs_pending_peak.fetch_max(pending, Relaxed);
    }

    pub fn consistency_run(&self, checked: u64, mismatches: u64, repaired: u64, at_ms: i64) {
        self.consistency_checked.fetch_add(checked, Relaxed);
        self.consistency_mismatches.fetch_add(mismatches, Relaxed);
        self.consistency_repaired.fetch_add(repaired, Relaxed);
        self.consistency_last_run_ms.store(at_ms, Relaxed);
    }

    pub fn snapshot(&self) -> CacheMetricsSnapshot {
        let layer = |l: &LayerCounters| LayerSnapshot {
            hits: l.hits.load(Relaxed),
            misses: l.misses.load(Relaxed),
            database_reads: l.database_reads.load(Relaxed),
        };
        let last_run = self.consistency_last_run_ms.load(Relaxed);
        CacheMetricsSnapshot {
            http: layer(&self.http),
            product: layer(&self.product),
            list: layer(&self.list),
            wishlist: layer(&self.wishlist),
            stale_fills_rejected: self.stale_fills_rejected.load(Relaxed),
            single_flight_joins: self.single_flight_joins.load(Relaxed),
            lock_waits: self.lock_waits.load(Relaxed),
            refresh_aheads: self.refresh_aheads.load(Relaxed),
            invalidations: self.invalidations.load(Relaxed),
            errors: self.errors.load(Relaxed),
            fills_not_admitted: self.fills_not_admitted.load(Relaxed),
            entries_too_large: self.entries_too_large.load(Relaxed),
            consistency_checked: self.consistency_checked.load(Relaxed),
            consistency_mismatches: self.consistency_mismatches.load(Relaxed),
            consistency_repaired: self.consistency_repaired.load(Relaxed),
            consistency_last_run_ms: (last_run > 0).then_some(last_run),
            near: self.near.snapshot(),
        }
    }
}
