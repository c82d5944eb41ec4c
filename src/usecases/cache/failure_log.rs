//! Cache failures on request paths are counted every time and logged at most once per kind
//! per interval, so a Redis outage leaves one readable line per cause instead of one per
//! request, and never an unbounded flood.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::domain::error::{CacheError, CacheFailureKind};

/// How often one kind of failure may be logged.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
struct KindLog {
    /// Unix milliseconds of the last line written for this kind (0: never).
    last_logged_ms: AtomicI64,
    /// Failures of this kind since that line.
    suppressed: AtomicU64,
    /// Failures of this kind since start.
    total: AtomicU64,
}

/// The rate-limited log of cache failures.
#[derive(Debug)]
pub struct CacheFailureLog {
    /// The deployment's key prefix, so lines from several deployments (or several apps in
    /// one test process) can be told apart. Not secret, not personal.
    namespace: String,
    interval_ms: i64,
    kinds: [KindLog; CacheFailureKind::ALL.len()],
}

impl Default for CacheFailureLog {
    fn default() -> Self {
        Self::with_interval(DEFAULT_INTERVAL)
    }
}

fn slot(kind: CacheFailureKind) -> usize {
    CacheFailureKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(0)
}

impl CacheFailureLog {
    pub fn with_interval(interval: Duration) -> Self {
        Self {
            namespace: String::new(),
            interval_ms: i64::try_from(interval.as_millis()).unwrap_or(i64::MAX),
            kinds: Default::default(),
        }
    }

    /// The default interval, with lines labelled by `namespace`.
    pub fn for_namespace(namespace: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            ..Self::default()
        }
    }

    /// Records one failure of `operation` (a static name such as `product.get`; never a key,
    /// which could carry a user id). Returns whether a log line was written.
    pub fn record(&self, operation: &'static str, error: &CacheError) -> bool {
        let kind = error.kind();
        let log = &self.kinds[slot(kind)];
        log.total.fetch_add(1, Relaxed);
        let now = chrono::Utc::now().timestamp_millis();
        let last = log.last_logged_ms.load(Relaxed);
        let due = last == 0 || now - last >= self.interval_ms;
        if !due
            || log
                .last_logged_ms
                .compare_exchange(last, now, Relaxed, Relaxed)
                .is_err()
        {
            log.suppressed.fetch_add(1, Relaxed);
            return false;
        }
        let suppressed = log.suppressed.swap(0, Relaxed);
        tracing::warn!(
            kind = kind.as_str(),
            namespace = %self.namespace,
            operation,
            suppressed,
            cause = %crate::domain::error::error_chain(error),
            "cache call failed; serving from MongoDB"
        );
        true
    }

    /// Failures of `kind` since start.
    pub fn total(&self, kind: CacheFailureKind) -> u64 {
        self.kinds[slot(kind)].total.load(Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_once_per_kind_per_interval_and_counts_every_failure() {
        let log = CacheFailureLog::with_interval(Duration::from_secs(3600));
        let timeout = || CacheError::timed_out(Duration::from_millis(250));
        let down = || CacheError::Unavailable("connection refused".into());
        assert!(log.record("product.get", &timeout()));
        assert!(!log.record("product.get", &timeout()));
        assert!(!log.record("list.page", &timeout()));
        assert!(
            log.record("product.get", &down()),
            "another kind logs at once"
        );
        assert!(!log.record("product.get", &down()));
        assert_eq!(log.total(CacheFailureKind::Timeout), 3);
        assert_eq!(log.total(CacheFailureKind::Connection), 2);
    }

    #[test]
    fn logs_again_after_the_interval() {
        let log = CacheFailureLog::with_interval(Duration::ZERO);
        let error = CacheError::Script("boom".into());
        assert!(log.record("x", &error));
        assert!(log.record("x", &error));
    }
}
