//! What every cache component of one process shares: the policy from configuration, the
//! counters, the failure log, the repair queue and the post-commit task runner. Built once
//! by the composition root and handed to each component.

use std::sync::Arc;
use std::time::Duration;

use super::generations::{self, Generation};
use super::{CacheFailureLog, CacheMetrics, CacheRepair, PostCommitTasks, Refreshes};
use crate::domain::cache::CachePolicy;
use crate::domain::error::CacheError;
use crate::domain::ports::RedisService;

#[derive(Default)]
pub struct CacheContext {
    pub policy: CachePolicy,
    pub metrics: Arc<CacheMetrics>,
    pub repair: Arc<CacheRepair>,
    pub failures: CacheFailureLog,
    pub post_commit: PostCommitTasks,
    /// Keys whose stale entry is being refreshed in the background.
    pub refreshes: Arc<Refreshes>,
}

impl CacheContext {
    pub fn new(policy: CachePolicy) -> Self {
        Self {
            policy,
            ..Self::default()
        }
    }

    /// As `new`, with failure log lines labelled by the deployment's key prefix.
    pub fn for_namespace(policy: CachePolicy, namespace: &str) -> Self {
        Self {
            policy,
            failures: CacheFailureLog::for_namespace(namespace),
            ..Self::default()
        }
    }

    /// Whether reads may use the cache: caching is on and no failed write awaits repair.
    pub fn usable(&self) -> bool {
        self.policy.enabled && self.repair.is_clean()
    }

    /// `base` spread by the policy's jitter, so entries filled together expire apart.
    pub fn jittered(&self, base: Duration) -> Duration {
        self.policy.jittered(base, rand::random_range(-1.0..=1.0))
    }

    /// Whether a value of this size may be stored; counts the ones that may not.
    pub fn fits(&self, raw: &str) -> bool {
        let fits = raw.len() <= self.policy.max_entry_bytes;
        if !fits {
            self.metrics.entry_too_large();
        }
        fits
    }

    /// The current value of `generation` for a request path, or `None` when the cache is to
    /// be bypassed: not usable, or the read failed (counted and logged as `operation`).
    pub(crate) async fn current_generation(
        &self,
        cache: &dyn RedisService,
        generation: &Generation,
        operation: &'static str,
    ) -> Option<i64> {
        if !self.usable() {
            return None;
        }
        match generations::current(cache, generation).await {
            Ok(value) => Some(value),
            Err(error) => {
                self.failed(operation, &error);
                None
            }
        }
    }

    /// Counts and (rate-limited) logs one failed cache call on a request path.
    pub fn failed(&self, operation: &'static str, error: &CacheError) {
        self.metrics.error();
        self.failures.record(operation, error);
    }
}
