use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::Client;
use shaku::Component;

use super::sliding_log::take_slots;
use crate::domain::error::CacheError;
use crate::domain::ports::{RateDecision, RateLimiter, RateRule};

/// `RateLimiter` on Redis: one atomic Lua call per check (one slot taken from the
/// client's sliding log), shared by every instance.
#[derive(Component)]
#[shaku(interface = RateLimiter)]
pub struct RedisRateLimiter {
    client: Client,
    key_prefix: String,
    timeout: Duration,
}

impl RedisRateLimiter {
    pub fn new(client: Client, key_prefix: String, timeout: Duration) -> Self {
        Self {
            client,
            key_prefix,
            timeout,
        }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    #[tracing::instrument(name = "redis.rate_limit.check", level = "debug", skip_all)]
    async fn check(&self, key: &str, rule: RateRule) -> Result<RateDecision, CacheError> {
        let ticket = format!("{:016x}", rand::random::<u64>());
        let key = format!("{}{key}", self.key_prefix);
        let slot = take_slots(
            &self.client,
            self.timeout,
            key,
            rule,
            1,
            Duration::ZERO,
            &ticket,
        )
        .await?;
        let allowed = slot.taken == 1;
        Ok(RateDecision {
            allowed,
            limit: rule.limit,
            remaining: slot.remaining,
            reset_at_ms: slot.reset_at_ms,
            retry_after_ms: if allowed {
                0
            } else {
                (slot.reset_at_ms - slot.now_ms).max(1)
            },
        })
    }
}
