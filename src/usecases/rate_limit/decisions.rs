//! What rate limiting reports about itself: its decisions counted by where they were taken
//! (read by the stats use case and `/metrics`), and the hook through which it reports a
//! failed Redis call to the process's one Redis failure count and log.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use crate::domain::error::CacheError;

/// Where a rate-limit decision was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateSource {
    /// From a lease or a remembered refusal, without a network call.
    Local,
    /// By a call to Redis (an exact decision or a new lease).
    Redis,
    /// By the in-process fallback limiter, Redis failing.
    Fallback,
}

/// Decisions since start, by source. Every count is a real event; nothing is estimated.
#[derive(Debug, Default)]
pub struct RateDecisions {
    local: AtomicU64,
    redis: AtomicU64,
    fallback: AtomicU64,
}

/// Rate-limit decisions by where they were taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateSnapshot {
    pub local: u64,
    pub redis: u64,
    pub fallback: u64,
}

impl RateDecisions {
    pub fn record(&self, source: RateSource) {
        match source {
            RateSource::Local => &self.local,
            RateSource::Redis => &self.redis,
            RateSource::Fallback => &self.fallback,
        }
        .fetch_add(1, Relaxed);
    }

    pub fn snapshot(&self) -> RateSnapshot {
        RateSnapshot {
            local: self.local.load(Relaxed),
            redis: self.redis.load(Relaxed),
            fallback: self.fallback.load(Relaxed),
        }
    }
}

/// Receives each failed Redis call of rate limiting with the operation's name. The
/// composition root connects it to the cache's failure count and rate-limited log, so an
/// outage shows as one count and one log line per cause whichever feature met it; the
/// default drops the report (for tests that do not look at it).
#[derive(Clone)]
pub struct FailureReport(Arc<ReportFn>);

type ReportFn = dyn Fn(&'static str, &CacheError) + Send + Sync;

impl FailureReport {
    pub fn new(report: impl Fn(&'static str, &CacheError) + Send + Sync + 'static) -> Self {
        Self(Arc::new(report))
    }

    pub fn failed(&self, operation: &'static str, error: &CacheError) {
        (self.0)(operation, error);
    }
}

impl Default for FailureReport {
    fn default() -> Self {
        Self::new(|_, _| {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_decision_under_its_source() {
        let decisions = RateDecisions::default();
        for source in [RateSource::Local, RateSource::Local, RateSource::Fallback] {
            decisions.record(source);
        }
        assert_eq!(
            decisions.snapshot(),
            RateSnapshot {
                local: 2,
                redis: 0,
                fallback: 1
            }
        );
    }
}
