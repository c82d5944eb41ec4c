use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::Client;
use shaku::Component;

use super::call::bounded_call;
use super::scripts::SLIDING_WINDOW;
use crate::domain::error::CacheError;
use crate::domain::ports::{RateDecision, RateLimiter, RateRule};

/// `RateLimiter` on Redis: one atomic Lua call per check, shared by every instance.
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
        let member = format!("{:016x}", rand::random::<u64>());
        let args = vec![
            rule.limit.to_string(),
            rule.window.as_millis().to_string(),
            member,
        ];
        let call = SLIDING_WINDOW.evalsha_with_reload::<Vec<i64>, _, _>(
            &self.client,
            format!("{}{key}", self.key_prefix),
            args,
        );
        let reply = bounded_call(&self.client, self.timeout, call).await?;
        let [allowed, remaining, reset_at_ms, now_ms] = reply[..] else {
            return Err(CacheError::Command("unexpected rate limit reply".into()));
        };
        let allowed = allowed == 1;
        Ok(RateDecision {
            allowed,
            limit: rule.limit,
            remaining: u32::try_from(remaining.max(0)).unwrap_or(0),
            reset_at_ms,
            retry_after_ms: if allowed {
                0
            } else {
                (reset_at_ms - now_ms).max(1)
            },
        })
    }
}
