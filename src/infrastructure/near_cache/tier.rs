//! The in-process tier: a bounded moka cache of what the hot paths read from Redis, with
//! the bookkeeping that keeps a slow reply from re-inserting data an invalidation has
//! already retired.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;

use crate::usecases::cache::CacheMetrics;

/// One value held in process memory, as the Redis adapter returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NearEntry {
    /// A generation counter.
    Counter(i64),
    /// A value stored under a generational key.
    Value(Arc<str>),
    /// A versioned entry (product) with its version.
    Versioned(u64, Arc<str>),
}

/// Invalidation stripes: a key's stripe counts the invalidations of every key hashing to it.
const STRIPES: usize = 4096;

/// Proof that no invalidation touched a key (nor a flush the tier) since the read began.
/// Taken before a Redis read; the reply may enter the tier only if it is still valid.
#[derive(Debug, Clone, Copy)]
pub struct ReadTicket {
    flushes: u64,
    stripe: usize,
    seen: u64,
}

impl ReadTicket {
    /// The name of a shared Redis read of `key` under this ticket. Readers that have seen
    /// another invalidation of the key's stripe, or another flush, get another name, so no
    /// reader joins a read that began before an invalidation it has seen.
    pub fn flight(&self, key: &str) -> String {
        format!("{}|{}|{key}", self.flushes, self.seen)
    }
}

/// The tier itself. Every lookup answers `None` while the tier is not trusted (its
/// invalidation feed is down or unconfirmed), so reads go to Redis.
///
/// Why tickets: a reply and the invalidation of the same key travel on different
/// connections; when the invalidation is applied first, inserting the reply would bring
/// back the retired value until the local TTL. A read takes a ticket (the key's stripe
/// count and the flush count) before it asks Redis, and its reply is kept only when both
/// are unchanged, checked again after the insert so an invalidation racing the insert
/// removes what it put.
pub struct NearTier {
    entries: Cache<String, NearEntry, foldhash::fast::RandomState>,
    stripes: Box<[AtomicU64]>,
    hasher: RandomState,
    flushes: AtomicU64,
    trusted: AtomicBool,
    metrics: Arc<CacheMetrics>,
}

impl NearTier {
    /// An untrusted, empty tier of at most `max_entries`, each living at most `ttl`.
    pub fn new(max_entries: u64, ttl: Duration, metrics: Arc<CacheMetrics>) -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(max_entries)
                .time_to_live(ttl)
                .build_with_hasher(foldhash::fast::RandomState::default()),
            stripes: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
            hasher: RandomState::new(),
            flushes: AtomicU64::new(0),
            trusted: AtomicBool::new(false),
            metrics,
        }
    }

    fn stripe(&self, key: &str) -> usize {
        (self.hasher.hash_one(key) as usize) % STRIPES
    }

    pub fn is_trusted(&self) -> bool {
        self.trusted.load(Ordering::Acquire)
    }

    /// The held value of `key`; `None` while untrusted.
    pub fn get(&self, key: &str) -> Option<NearEntry> {
        if !self.is_trusted() {
            return None;
        }
        self.entries.get(key)
    }

    /// Counts one lookup of the tier (a read served from memory, or one that went on to
    /// Redis); lookups while untrusted are not counted, they are bypasses.
    pub fn record(&self, hit: bool) {
        if self.is_trusted() {
            self.metrics.near.lookup(hit);
        }
    }

    /// A ticket for a Redis read of `key`, or `None` when the tier is not trusted (the
    /// reply must not be kept).
    pub fn ticket(&self, key: &str) -> Option<ReadTicket> {
        if !self.is_trusted() {
            return None;
        }
        let stripe = self.stripe(key);
        Some(ReadTicket {
            flushes: self.flushes.load(Ordering::Acquire),
            stripe,
            seen: self.stripes[stripe].load(Ordering::Acquire),
        })
    }

    fn valid(&self, ticket: &ReadTicket) -> bool {
        self.is_trusted()
            && self.flushes.load(Ordering::Acquire) == ticket.flushes
            && self.stripes[ticket.stripe].load(Ordering::Acquire) == ticket.seen
    }

    /// Keeps `entry` under `key` if nothing invalidated what `ticket` covers since it was
    /// taken.
    pub fn insert(&self, ticket: &ReadTicket, key: String, entry: NearEntry) {
        if !self.valid(ticket) {
            return;
        }
        self.entries.insert(key.clone(), entry);
        if !self.valid(ticket) {
            self.entries.invalidate(&key);
        }
    }

    /// Retires `key`: readers in flight for it will not keep their replies.
    pub fn invalidate(&self, key: &str) {
        self.stripes[self.stripe(key)].fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate(key);
    }

    /// Retires everything (O(1): moka drops older entries lazily).
    pub fn flush(&self) {
        self.flushes.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate_all();
    }

    /// The invalidation feed is gone or unconfirmed: stop serving and empty the tier.
    /// Returns whether the tier was trusted until now.
    pub fn distrust(&self) -> bool {
        let was = self.trusted.swap(false, Ordering::AcqRel);
        self.flush();
        was
    }

    /// The invalidation feed is confirmed: start again from empty.
    pub fn trust(&self) {
        self.flush();
        self.trusted.store(true, Ordering::Release);
    }

    /// Entries held (approximate: moka counts lazily).
    pub fn entry_count(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier() -> NearTier {
        let tier = NearTier::new(100, Duration::from_secs(60), Arc::default());
        tier.trust();
        tier
    }

    fn value(text: &str) -> NearEntry {
        NearEntry::Value(Arc::from(text))
    }

    #[test]
    fn readers_share_a_flight_only_while_no_invalidation_or_flush_came_between() {
        let tier = tier();
        let first = tier.ticket("k").unwrap().flight("k");
        assert_eq!(tier.ticket("k").unwrap().flight("k"), first);
        tier.invalidate("k");
        let after_invalidation = tier.ticket("k").unwrap().flight("k");
        assert_ne!(after_invalidation, first);
        tier.flush();
        assert_ne!(tier.ticket("k").unwrap().flight("k"), after_invalidation);
    }

    #[test]
    fn a_reply_read_before_an_invalidation_is_not_kept() {
        let tier = tier();
        let ticket = tier.ticket("k").unwrap();
        tier.invalidate("k");
        tier.insert(&ticket, "k".into(), value("old"));
        assert_eq!(tier.get("k"), None);
    }

    #[test]
    fn a_reply_with_an_untouched_ticket_is_kept_until_invalidated() {
        let tier = tier();
        let ticket = tier.ticket("k").unwrap();
        tier.insert(&ticket, "k".into(), value("v"));
        assert_eq!(tier.get("k"), Some(value("v")));
        tier.invalidate("k");
        assert_eq!(tier.get("k"), None);
    }

    #[test]
    fn a_flush_voids_every_ticket_taken_before_it() {
        let tier = tier();
        let ticket = tier.ticket("k").unwrap();
        tier.flush();
        tier.insert(&ticket, "k".into(), value("old"));
        assert_eq!(tier.get("k"), None);
    }

    #[test]
    fn an_untrusted_tier_serves_nothing_and_keeps_nothing() {
        let tier = tier();
        let ticket = tier.ticket("k").unwrap();
        tier.insert(&ticket, "k".into(), value("v"));
        assert!(tier.distrust());
        assert_eq!(tier.get("k"), None);
        assert!(tier.ticket("k").is_none());
        tier.insert(&ticket, "k".into(), value("v"));
        tier.trust();
        assert_eq!(tier.get("k"), None, "trust starts from an empty tier");
    }

    #[test]
    fn counts_hits_and_misses() {
        let metrics = Arc::new(CacheMetrics::default());
        let tier = NearTier::new(100, Duration::from_secs(60), metrics.clone());
        tier.trust();
        let ticket = tier.ticket("k").unwrap();
        tier.insert(&ticket, "k".into(), NearEntry::Counter(3));
        tier.record(tier.get("k").is_some());
        tier.record(tier.get("other").is_some());
        let near = metrics.snapshot().near;
        assert_eq!((near.hits, near.misses), (1, 1));
    }
}
