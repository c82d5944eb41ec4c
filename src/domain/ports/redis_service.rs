use std::time::Duration;

use async_trait::async_trait;
use shaku::Interface;

use crate::domain::cache::GenerationalKey;
use crate::domain::error::CacheError;

/// Proof of holding a lock: only the holder of the token can release it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockToken(String);

impl LockToken {
    /// Wraps a token produced by the lock owner (an adapter's CSPRNG).
    pub fn new(token: String) -> Self {
        Self(token)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A value stored together with the version of the data it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionedValue {
    pub version: u64,
    pub value: String,
}

/// The cache port: a key/value store with expiry, counters, locks and versioned entries.
///
/// Keys are logical (`product:<id>`); the adapter adds the deployment's namespace prefix, so
/// a use case can never touch another service's keys. Contract:
/// - Every call MUST return within the adapter's configured timeout; when the server is
///   unreachable it MUST return `CacheError::Unavailable` rather than wait for a reconnect.
/// - `set` MUST apply the TTL atomically with the value (no key without expiry).
/// - `try_lock` MUST be atomic (set-if-absent with expiry) and return `None` when held.
/// - `unlock` MUST delete the lock only while it still holds `token` (compare-and-delete in
///   one atomic step), returning whether it did, so an expired holder cannot release a
///   lock that another caller acquired since.
/// - `set_if_newer` MUST compare and write in one atomic step: it stores the value only if
///   the key is absent or holds a version not newer than `version`, and returns whether it
///   stored. A slow reader therefore can never overwrite a fresher write-through. The value
///   MUST be a JSON object (the adapter stamps the current epoch into it).
/// - Versioned entries live in an epoch: after `retire_versioned`, `get_versioned` MUST
///   treat every entry stored before it as absent, at once and whatever their number, while
///   `set_if_newer` still compares against them, so a retired tombstone keeps refusing an
///   older fill.
/// - `scan_keys` MUST NOT block the server (SCAN, never KEYS) and is for background work only.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait RedisService: Interface {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError>;
    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError>;
    /// Returns whether a key was removed.
    async fn delete(&self, key: &str) -> Result<bool, CacheError>;
    /// Increments the counter `key`, first creating it at `initial` if it is missing, and
    /// returns the new value. MUST be one atomic call; with `ttl` the counter's expiry is
    /// (re)set in the same call, so no counter is ever left without one.
    async fn bump_counter(
        &self,
        key: &str,
        initial: i64,
        ttl: Option<Duration>,
    ) -> Result<i64, CacheError>;
    async fn try_lock(&self, key: &str, ttl: Duration) -> Result<Option<LockToken>, CacheError>;
    async fn unlock(&self, key: &str, token: &LockToken) -> Result<bool, CacheError>;
    /// Takes one unit from the budget counter `key`: increments it unless it has reached
    /// `budget`, creating it with expiry `window` (the window starts at the first unit
    /// taken). Returns whether a unit was taken. MUST be one atomic call, so concurrent
    /// callers on any number of instances never take more than `budget` per window.
    async fn spend_budget(
        &self,
        key: &str,
        budget: u64,
        window: Duration,
    ) -> Result<bool, CacheError>;
    /// Round trip to the server; used by health checks.
    async fn ping(&self) -> Result<Duration, CacheError>;
    async fn get_versioned(&self, key: &str) -> Result<Option<VersionedValue>, CacheError>;
    /// Starts a new epoch of versioned entries (one atomic call, O(1)).
    async fn retire_versioned(&self) -> Result<(), CacheError>;
    async fn set_if_newer(
        &self,
        key: &str,
        version: u64,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, CacheError>;
    /// Reads a counter, first creating it at `initial` if it does not exist (with `ttl` as
    /// its expiry when given, in the same atomic call).
    async fn get_or_init_counter(
        &self,
        key: &str,
        initial: i64,
        ttl: Option<Duration>,
    ) -> Result<i64, CacheError>;
    /// Reads the counter `counter` (creating it at `initial`, expiring after `counter_ttl`,
    /// if missing) and the value under
    /// `key.join(counter value)`. MUST be one atomic round trip on a single server; a
    /// clustered adapter may take two, since the second key is only known after the first.
    async fn get_under_generation(
        &self,
        counter: &str,
        initial: i64,
        counter_ttl: Option<Duration>,
        key: &GenerationalKey,
    ) -> Result<(i64, Option<String>), CacheError>;
    /// Up to `limit` keys matching a glob `pattern` (logical keys, prefix removed).
    async fn scan_keys(&self, pattern: &str, limit: usize) -> Result<Vec<String>, CacheError>;
    /// Server memory in use and the number of keys in this service's namespace.
    async fn usage(&self) -> Result<CacheUsage, CacheError>;
}

/// What the cache server reports about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheUsage {
    pub used_memory_bytes: u64,
    /// Keys under this deployment's prefix only.
    pub keys: u64,
}
