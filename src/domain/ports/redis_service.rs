use std::time::Duration;

use async_trait::async_trait;
use shaku::Interface;

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

/// The cache port: a key/value store with expiry, counters and locks.
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
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait RedisService: Interface {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError>;
    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError>;
    /// Returns whether a key was removed.
    async fn delete(&self, key: &str) -> Result<bool, CacheError>;
    /// Atomically increments a counter (creating it at 0) and returns the new value.
    async fn incr(&self, key: &str) -> Result<i64, CacheError>;
    /// Remaining time to live; `None` when the key is missing or has no expiry.
    async fn ttl(&self, key: &str) -> Result<Option<Duration>, CacheError>;
    async fn try_lock(&self, key: &str, ttl: Duration) -> Result<Option<LockToken>, CacheError>;
    async fn unlock(&self, key: &str, token: &LockToken) -> Result<bool, CacheError>;
    /// Round trip to the server; used by health checks.
    async fn ping(&self) -> Result<Duration, CacheError>;
}
