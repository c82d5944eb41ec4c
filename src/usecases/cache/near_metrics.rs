//! Counters of the in-process near tier, kept by the adapter that owns the tier and read
//! with the other cache counters.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

#[derive(Debug, Default)]
pub struct NearTierCounters {
    enabled: AtomicBool,
    trusted: AtomicBool,
    entries: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
    invalidations_received: AtomicU64,
    flushes_on_disconnect: AtomicU64,
}

/// The near tier as last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NearSnapshot {
    /// Configured on (`NEAR_CACHE_ENABLED`) and supported by the deployment.
    pub enabled: bool,
    /// Serving: its invalidation feed from Redis is confirmed.
    pub trusted: bool,
    /// Entries held (updated every heartbeat).
    pub entries: u64,
    pub hits: u64,
    pub misses: u64,
    /// Keys invalidated by Redis (client tracking) since start.
    pub invalidations_received: u64,
    /// Times the tier was emptied and bypassed because its feed dropped or went unconfirmed.
    pub flushes_on_disconnect: u64,
}

impl NearTierCounters {
    pub fn lookup(&self, hit: bool) {
        if hit { &self.hits } else { &self.misses }.fetch_add(1, Relaxed);
    }

    pub fn invalidations_received(&self, keys: u64) {
        self.invalidations_received.fetch_add(keys, Relaxed);
    }

    pub fn flushed_on_disconnect(&self) {
        self.flushes_on_disconnect.fetch_add(1, Relaxed);
    }

    pub fn state(&self, enabled: bool, trusted: bool, entries: u64) {
        self.enabled.store(enabled, Relaxed);
        self.trusted.store(trusted, Relaxed);
        self.entries.store(entries, Relaxed);
    }

    pub fn snapshot(&self) -> NearSnapshot {
        NearSnapshot {
            enabled: self.enabled.load(Relaxed),
            trusted: self.trusted.load(Relaxed),
            entries: self.entries.load(Relaxed),
            hits: self.hits.load(Relaxed),
            misses: self.misses.load(Relaxed),
            invalidations_received: self.invalidations_received.load(Relaxed),
            flushes_on_disconnect: self.flushes_on_disconnect.load(Relaxed),
        }
    }
}
