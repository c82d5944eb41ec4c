//! Cache key design and cache policy: what is cached under which key, for how long.
//! Keys are logical; the Redis adapter prefixes them with the deployment's namespace.

use std::time::Duration;

use crate::domain::product::ProductId;

/// Logical keys of the cache's own entries (products, lists, counts, stored responses,
/// wishlist pages and their generations). Keys of the other features that keep state in
/// Redis are named by the code that owns them: sessions and login failures by their
/// adapters, rate-limit logs by `usecases::rate_limit`, the event stream and popularity by
/// theirs; every family has its own first word, so none collides with these.
pub struct CacheKeys;

impl CacheKeys {
    /// A single product (or a tombstone for a missing one).
    pub fn product(id: &ProductId) -> String {
        format!("product:{id}")
    }

    /// Lock that lets one instance at a time fill `product(id)`.
    pub fn product_lock(id: &ProductId) -> String {
        format!("lock:product:{id}")
    }

    /// Epoch of versioned (single-product) entries: an admin's "drop every product entry"
    /// starts a new one, which retires them all at once without deleting their version
    /// floors.
    pub const VERSIONED_EPOCH: &'static str = "products:epoch";
    /// Pattern matching every product key, for sampling (SCAN), never for request paths.
    pub const PRODUCT_PATTERN: &'static str = "product:*";

    /// Generation of list and count entries: every product write increments it, which makes
    /// every older list and count key unreachable at once (O(1) invalidation).
    pub const LIST_GENERATION: &'static str = "products:generation";

    /// One list page for a normalised query under a generation.
    pub fn list(generation: i64, query_hash: &str) -> String {
        Self::list_around(query_hash).join(generation)
    }

    /// The list key with the generation left open, for one-round-trip lookups.
    pub fn list_around(query_hash: &str) -> GenerationalKey {
        GenerationalKey {
            before: "products:list:".to_owned(),
            after: format!(":{query_hash}"),
        }
    }

    /// One count for a normalised filter under a generation.
    pub fn count(generation: i64, filter_hash: &str) -> String {
        Self::count_around(filter_hash).join(generation)
    }

    pub fn count_around(filter_hash: &str) -> GenerationalKey {
        GenerationalKey {
            before: "products:count:".to_owned(),
            after: format!(":{filter_hash}"),
        }
    }

    /// A stored HTTP response under a generation; `route_key` is the normalised request.
    pub fn http(generation: i64, route_key: &str) -> String {
        Self::http_around(route_key).join(generation)
    }

    /// Generation of one product's stored responses; bumped by every write to that product
    /// only, so a write to one product leaves every other product's response cached.
    pub fn product_response_generation(id: &crate::domain::product::ProductId) -> String {
        format!("http:generation:product:{id}")
    }

    /// Every stored HTTP response (and response generation).
    pub const HTTP_PATTERN: &'static str = "http:*";

    pub fn http_around(route_key: &str) -> GenerationalKey {
        GenerationalKey {
            before: "http:".to_owned(),
            after: format!(":{route_key}"),
        }
    }

    /// Fills of list and count pages in the current list window (see
    /// `CachePolicy::list_fill_budget`).
    pub const LIST_FILLS: &'static str = "products:list-fills";

    /// Generation of one user's wishlist pages; bumped when that user's wishlist changes.
    pub fn wishlist_generation(user: &crate::domain::user::UserId) -> String {
        format!("wishlist:generation:{user}")
    }

    /// One wishlist page: keyed by both the product-list generation (product edits) and
    /// the user's wishlist generation (membership changes).
    pub fn wishlist(
        user: &crate::domain::user::UserId,
        list_generation: i64,
        user_generation: i64,
        page: u32,
        limit: u32,
    ) -> String {
        format!("wishlist:{user}:{list_generation}:{user_generation}:{page}:{limit}")
    }

    /// Extracts the product id from a product key, for the consistency checker.
    pub fn product_id_of(key: &str) -> Option<ProductId> {
        key.strip_prefix("product:")
            .and_then(|id| ProductId::parse(id).ok())
    }
}

/// A key with a generation number in the middle: `before + generation + after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerationalKey {
    pub before: String,
    pub after: String,
}

impl GenerationalKey {
    pub fn join(&self, generation: i64) -> String {
        format!("{}{generation}{}", self.before, self.after)
    }
}

/// Time-to-live and timing choices of the cache, from configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CachePolicy {
    /// Off: every read goes to MongoDB and nothing is written to the cache (for
    /// measuring, or for running without Redis on purpose).
    pub enabled: bool,
    pub product_ttl: Duration,
    pub list_ttl: Duration,
    /// How long a missing product (or a deleted one) is remembered as missing.
    pub missing_ttl: Duration,
    /// Each TTL is spread by ±this fraction so entries filled together do not expire together.
    pub jitter: f64,
    /// A hit with less than this fraction of its TTL left triggers one background refresh.
    pub refresh_ahead: f64,
    /// How long past its TTL a product, list, count or wishlist entry is still served while
    /// one background refresh runs (`CACHE_STALE_WHILE_REVALIDATE_SECS`).
    pub stale_while_revalidate: Duration,
    /// How long past its TTL such an entry is still served when MongoDB cannot be read
    /// (`CACHE_STALE_IF_ERROR_SECS`).
    pub stale_if_error: Duration,
    /// Lifetime of a fill lock; bounds how long a crashed holder can block others.
    pub lock_ttl: Duration,
    /// How long a reader that lost the lock race waits for the winner's fill before reading
    /// the database itself.
    pub lock_wait: Duration,
    /// Largest page (list, count, wishlist) or stored HTTP response kept as one cache entry;
    /// bigger ones are served but not stored, so one wide page cannot take a large share of
    /// Redis memory. Product entries are exempt: their size is bounded by validation, and
    /// a write-through must never be skipped.
    pub max_entry_bytes: usize,
    /// List and count pages that may be stored per list window (the longest jittered list
    /// TTL), across all instances. An entry outlives its window by at most one window, so
    /// at most twice this many list and count entries exist at any time.
    pub list_fill_budget: u64,
}

impl Default for CachePolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            product_ttl: Duration::from_secs(300),
            list_ttl: Duration::from_secs(60),
            missing_ttl: Duration::from_secs(30),
            jitter: 0.10,
            refresh_ahead: 0.20,
            stale_while_revalidate: Duration::from_secs(10),
            stale_if_error: Duration::from_secs(300),
            lock_ttl: Duration::from_secs(2),
            lock_wait: Duration::from_millis(300),
            max_entry_bytes: 64 * 1024,
            list_fill_budget: 1_000,
        }
    }
}

impl CachePolicy {
    /// `base` moved by `unit` (a value in [-1, 1]) times the jitter fraction.
    pub fn jittered(&self, base: Duration, unit: f64) -> Duration {
        let factor = 1.0 + self.jitter * unit.clamp(-1.0, 1.0);
        base.mul_f64(factor.max(0.0))
    }

    /// How long an entry is kept in Redis past its TTL so it can be served stale: the
    /// longer of the two stale windows.
    pub fn stale_span(&self) -> Duration {
        self.stale_while_revalidate.max(self.stale_if_error)
    }

    /// The longest a list or count entry can live in Redis (its longest TTL plus the stale
    /// span): the window of the fill budget, so at most twice the budget of entries exist.
    pub fn list_window(&self) -> Duration {
        self.jittered(self.list_ttl, 1.0) + self.stale_span()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn jitter_stays_within_ten_percent(secs in 1_u64..10_000, unit in -1.0_f64..=1.0) {
            let policy = CachePolicy::default();
            let base = Duration::from_secs(secs);
            let ttl = policy.jittered(base, unit);
            prop_assert!(ttl >= base.mul_f64(0.9) && ttl <= base.mul_f64(1.1));
        }
    }

    #[test]
    fn product_keys_round_trip() {
        let id = ProductId::parse("665f1c0e9b1e8a3d4c2b1a09").unwrap();
        assert_eq!(CacheKeys::product_id_of(&CacheKeys::product(&id)), Some(id));
        assert_eq!(CacheKeys::product_id_of("products:list:1:x"), None);
    }
}
