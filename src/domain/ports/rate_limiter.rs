use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use shaku::Interface;

use crate::domain::error::CacheError;

/// A limit: at most `limit` requests in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateRule {
    pub limit: u32,
    pub window: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must look like 300/60s (1 to 1000000 requests per 1 to 86400 seconds)")]
pub struct RateRuleError;

impl RateRule {
    /// Parses `N/SECONDSs`, e.g. `300/60s`.
    pub fn parse(raw: &str) -> Result<Self, RateRuleError> {
        let (limit, window) = raw.trim().split_once('/').ok_or(RateRuleError)?;
        let seconds = window.strip_suffix('s').ok_or(RateRuleError)?;
        let limit: u32 = limit.parse().map_err(|_| RateRuleError)?;
        let seconds: u64 = seconds.parse().map_err(|_| RateRuleError)?;
        if !(1..=1_000_000).contains(&limit) || !(1..=86_400).contains(&seconds) {
            return Err(RateRuleError);
        }
        Ok(Self {
            limit,
            window: Duration::from_secs(seconds),
        })
    }
}

impl fmt::Display for RateRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}s", self.limit, self.window.as_secs())
    }
}

/// The outcome of one rate-limit check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    pub allowed: bool,
    pub limit: u32,
    /// Requests left in the current window after this one.
    pub remaining: u32,
    /// Unix milliseconds at which the oldest counted request leaves the window.
    pub reset_at_ms: i64,
    /// Milliseconds until a rejected client may retry (0 when allowed).
    pub retry_after_ms: i64,
}

/// Counts requests per client key.
///
/// Contract: `check` MUST be atomic across every instance sharing the store (one round trip,
/// no read-modify-write race), MUST NOT count a rejected request, and MUST never allow more
/// than `rule.limit` requests in any window of `rule.window`.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait RateLimiter: Interface {
    async fn check(&self, key: &str, rule: RateRule) -> Result<RateDecision, CacheError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules() {
        assert_eq!(
            RateRule::parse("300/60s").unwrap(),
            RateRule {
                limit: 300,
                window: Duration::from_secs(60)
            }
        );
        for bad in ["300", "300/60", "0/60s", "10/0s", "x/60s", "10/60m"] {
            assert!(RateRule::parse(bad).is_err(), "{bad}");
        }
    }
}
