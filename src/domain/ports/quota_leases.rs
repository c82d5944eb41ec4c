use std::time::Duration;

use async_trait::async_trait;
use shaku::Interface;

use super::RateRule;
use crate::domain::error::CacheError;

/// A slice of a client's quota reserved for one instance to spend without asking again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaGrant {
    /// Slots reserved (0 when the quota is spent).
    pub granted: u32,
    /// Slots still free for everyone after this grant.
    pub remaining: u32,
    /// Unix milliseconds at which the oldest counted request leaves the window.
    pub reset_at_ms: i64,
    /// The store's clock when it granted.
    pub now_ms: i64,
    /// Names the reserved slots, for `give_back`.
    pub ticket: String,
}

/// Leases of rate-limit quota, on the same per-client log as `RateLimiter`.
///
/// Contract: `lease` MUST reserve at most `rule.limit` minus what the window already
/// counts, atomically across every instance, and MUST count each reserved slot as a
/// request made at the lease's end (`lease_for` after the grant), so a slot spent at any
/// moment of the lease leaves the window no earlier than that request would: never more
/// than `rule.limit` in any window, leased or not. `give_back` frees the unspent tail of a
/// grant: `to` is its last slot (`granted`), `from` the first not spent; it MUST free
/// exactly those slots, and nothing once the grant has left the window.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait QuotaLeases: Interface {
    async fn lease(
        &self,
        key: &str,
        rule: RateRule,
        want: u32,
        lease_for: Duration,
    ) -> Result<QuotaGrant, CacheError>;
    /// Returns how many slots were freed.
    async fn give_back(
        &self,
        key: &str,
        ticket: &str,
        from: u32,
        to: u32,
    ) -> Result<u32, CacheError>;
}
