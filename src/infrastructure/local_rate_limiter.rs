//! The in-process fallback limiter, used while Redis is unreachable so an outage does not
//! remove protection. Same algorithm as the Redis one (sliding log), per process.
//!
//! Each client log remembers the window of its own rule, so a log is only dropped once that
//! window has passed (a 15-minute `auth` log survives any amount of 60 s read traffic).
//! Expired logs are found through one FIFO per window length (push order is expiry order
//! within a window) and at most `SWEEP_PER_CALL` are looked at per call, so the cost of a
//! check does not grow with the number of clients. The map is capped at `MAX_CLIENTS`: past
//! it, the log closest to expiry is dropped to make room (that client may get a fresh
//! quota early; the alternative, refusing new clients, would turn an outage into a denial
//! of service).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

use crate::domain::error::CacheError;
use crate::domain::ports::{RateDecision, RateLimiter, RateRule};

/// Most client logs held at once.
pub const MAX_CLIENTS: usize = 100_000;

/// Expiry-queue entries examined per call.
const SWEEP_PER_CALL: usize = 4;

#[derive(Debug)]
struct ClientLog {
    times: VecDeque<i64>,
    window_ms: i64,
}

impl ClientLog {
    fn expires_at(&self) -> i64 {
        self.times
            .back()
            .map_or(i64::MIN, |newest| newest + self.window_ms)
    }
}

#[derive(Debug, Default)]
struct State {
    logs: HashMap<String, ClientLog>,
    /// Per window length: (expiry when queued, key), oldest first. One entry per live log.
    expiries: HashMap<i64, VecDeque<(i64, String)>>,
}

impl State {
    /// Looks at up to `budget` queue fronts whose queued expiry has passed: drops the log
    /// if it really expired, re-queues it at its current expiry if it was used since.
    fn sweep(&mut self, now: i64, budget: usize) {
        let mut left = budget;
        for queue in self.expiries.values_mut() {
            while left > 0 && queue.front().is_some_and(|(at, _)| *at <= now) {
                left -= 1;
                let Some((_, key)) = queue.pop_front() else {
                    break;
                };
                match self.logs.get(&key) {
                    Some(log) if log.expires_at() > now => queue.push_back((log.expires_at(), key)),
                    Some(_) => {
                        self.logs.remove(&key);
                    }
                    None => {}
                }
            }
        }
    }

    /// Drops the log closest to expiry, to make room for a new client at the cap.
    fn evict_one(&mut self) {
        let oldest = self
            .expiries
            .iter()
            .filter_map(|(window, queue)| queue.front().map(|(at, _)| (*at, *window)))
            .min();
        if let Some((_, window)) = oldest {
            if let Some((_, key)) = self.expiries.get_mut(&window).and_then(VecDeque::pop_front) {
                self.logs.remove(&key);
            }
        }
    }
}

#[derive(Default)]
pub struct LocalRateLimiter {
    state: Mutex<State>,
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
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.sweep(now, SWEEP_PER_CALL);
        if !state.logs.contains_key(key) {
            if state.logs.len() >= MAX_CLIENTS {
                state.sweep(now, SWEEP_PER_CALL * 4);
            }
            if state.logs.len() >= MAX_CLIENTS {
                state.evict_one();
            }
            state.logs.insert(
                key.to_owned(),
                ClientLog {
                    times: VecDeque::new(),
                    window_ms: window,
                },
            );
            state
                .expiries
                .entry(window)
                .or_default()
                .push_back((now + window, key.to_owned()));
        }
        let Some(log) = state.logs.get_mut(key) else {
            unreachable!("inserted above");
        };
        log.window_ms = log.window_ms.max(window);
        while log
            .times
            .front()
            .is_some_and(|oldest| *oldest <= now - window)
        {
            log.times.pop_front();
        }
        let allowed = log.times.len() < rule.limit as usize;
        if allowed {
            log.times.push_back(now);
        }
        let reset_at_ms = log
            .times
            .front()
            .map_or(now + window, |oldest| oldest + window);
        RateDecision {
            allowed,
            limit: rule.limit,
            remaining: rule.limit.saturating_sub(log.times.len() as u32),
            reset_at_ms,
            retry_after_ms: if allowed {
                0
            } else {
                (reset_at_ms - now).max(1)
            },
        }
    }

    /// Client logs held now.
    pub fn clients(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .logs
            .len()
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

    #[test]
    fn a_fifteen_minute_auth_log_survives_read_traffic_from_many_clients() {
        let limiter = LocalRateLimiter::default();
        let auth = RateRule {
            limit: 1,
            window: Duration::from_secs(900),
        };
        let read = RateRule {
            limit: 100,
            window: Duration::from_secs(60),
        };
        assert!(limiter.check_at("rate:auth:x", auth, 0).allowed);
        for i in 0..20_000 {
            limiter.check_at(&format!("rate:read:{i}"), read, 61_000 + i);
        }
        for i in 0..20_000 {
            limiter.check_at(&format!("rate:read:late{i}"), read, 200_000 + i);
        }
        assert!(
            !limiter.check_at("rate:auth:x", auth, 300_000).allowed,
            "still inside its 15-minute window"
        );
        assert!(limiter.check_at("rate:auth:x", auth, 900_001).allowed);
    }

    #[test]
    fn expired_logs_are_swept_and_the_map_is_capped() {
        let limiter = LocalRateLimiter::default();
        let read = RateRule {
            limit: 10,
            window: Duration::from_secs(60),
        };
        for i in 0..1_000 {
            limiter.check_at(&format!("a{i}"), read, i);
        }
        assert_eq!(limiter.clients(), 1_000);
        // Each later call sweeps a few expired logs: 300 calls clear them all.
        for i in 0..300 {
            limiter.check_at("b", read, 120_000 + i);
        }
        assert_eq!(limiter.clients(), 1, "only the live client is left");
        for i in 0..(MAX_CLIENTS + 10) {
            limiter.check_at(&format!("c{i}"), read, 200_000);
        }
        assert_eq!(limiter.clients(), MAX_CLIENTS);
    }
}
