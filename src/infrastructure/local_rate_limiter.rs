//! The in-process fallback limiter, used while Redis is unreachable so an outage does not
//! remove protection. Same algorithm as the Redis one (sliding log), per process.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

use crate::domain::error::CacheError;
use crate::domain::ports::{RateDecision, RateLimiter, RateRule};

/// Keys beyond this many trigger a sweep of logs that have aged out entirely.
const SWEEP_AT: usize = 10_000;

#[derive(Default)]
pub struct LocalRateLimiter {
    logs: Mutex<HashMap<String, VecDeque<i64>>>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl LocalRateLimiter {
    /// The check at a given time, for tests.
    pub fn check_at(&self, key: &str, rule: RateRule, now: i64) -> RateDecision {
        let window = rule.window.as_millis() as i64;
        let mut logs = self.logs.lock().unwrap_or_else(|e| e.into_inner());
        if logs.len() > SWEEP_AT {
            logs.retain(|_, log| log.back().is_some_and(|newest| *newest > now - window));
        }
        let log = logs.entry(key.to_owned()).or_default();
        while log.front().is_some_and(|oldest| *oldest <= now - window) {
            log.pop_front();
        }
        let allowed = log.len() < rule.limit as usize;
        if allowed {
            log.push_back(now);
        }
        let reset_at_ms = log.front().map_or(now + window, |oldest| oldest + window);
        RateDecision {
            allowed,
            limit: rule.limit,
            remaining: rule.limit.saturating_sub(log.len() as u32),
            reset_at_ms,
            retry_after_ms: if allowed {
                0
            } else {
                (reset_at_ms - now).max(1)
            },
        }
    }
}

#[async_trait]
impl RateLimiter for LocalRateLimiter {
    async fn check(&self, key: &str, rule: RateRule) -> Result<RateDecision, CacheError> {
        Ok(self.check_at(key, rule, now_ms()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn allows_exactly_the_limit_per_window_and_rejections_cost_nothing() {
        let limiter = LocalRateLimiter::default();
        let rule = RateRule {
            limit: 3,
            window: Duration::from_secs(10),
        };
        let decisions: Vec<_> = (0..5)
            .map(|i| limiter.check_at("k", rule, 1_000 + i))
            .collect();
        assert_eq!(decisions.iter().filter(|d| d.allowed).count(), 3);
        assert_eq!(decisions[2].remaining, 0);
        assert_eq!(decisions[4].retry_after_ms, 10_000 - 4);
        assert!(
            limiter.check_at("other", rule, 1_005).allowed,
            "keys are independent"
        );
        assert!(!limiter.check_at("k", rule, 10_999).allowed);
        assert!(
            limiter.check_at("k", rule, 11_000).allowed,
            "the oldest left the window"
        );
    }
}
