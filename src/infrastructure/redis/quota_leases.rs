use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::Client;
use shaku::Component;

use super::call::bounded_call;
use super::scripts::{LEASE_QUOTA, RETURN_QUOTA};
use crate::domain::error::CacheError;
use crate::domain::ports::{QuotaGrant, QuotaLeases, RateRule};

/// `QuotaLeases` on the rate limiter's Redis logs: one Lua call per lease or return, on
/// the server clock.
#[derive(Component)]
#[shaku(interface = QuotaLeases)]
pub struct RedisQuotaLeases {
    client: Client,
    key_prefix: String,
    timeout: Duration,
}

impl RedisQuotaLeases {
    pub fn new(client: Client, key_prefix: String, timeout: Duration) -> Self {
        Self {
            client,
            key_prefix,
            timeout,
        }
    }
}

#[async_trait]
impl QuotaLeases for RedisQuotaLeases {
    #[tracing::instrument(name = "redis.rate_limit.lease", level = "debug", skip_all)]
    async fn lease(
        &self,
        key: &str,
        rule: RateRule,
        want: u32,
        lease_for: Duration,
    ) -> Result<QuotaGrant, CacheError> {
        let ticket = format!("lease:{:016x}", rand::random::<u64>());
        let args = vec![
            rule.limit.to_string(),
            rule.window.as_millis().to_string(),
            want.to_string(),
            lease_for.as_millis().to_string(),
            ticket.clone(),
        ];
        let call = LEASE_QUOTA.evalsha_with_reload::<Vec<i64>, _, _>(
            &self.client,
            format!("{}{key}", self.key_prefix),
            args,
        );
        let reply = bounded_call(&self.client, self.timeout, call).await?;
        let [granted, remaining, reset_at_ms, now_ms] = reply[..] else {
            return Err(CacheError::Command("unexpected lease reply".into()));
        };
        let count = |n: i64| u32::try_from(n.max(0)).unwrap_or(0);
        Ok(QuotaGrant {
            granted: count(granted),
            remaining: count(remaining),
            reset_at_ms,
            now_ms,
            ticket,
        })
    }

    #[tracing::instrument(name = "redis.rate_limit.give_back", level = "debug", skip_all)]
    async fn give_back(
        &self,
        key: &str,
        ticket: &str,
        from: u32,
        to: u32,
    ) -> Result<u32, CacheError> {
        let args = vec![ticket.to_owned(), from.to_string(), to.to_string()];
        let call = RETURN_QUOTA.evalsha_with_reload::<i64, _, _>(
            &self.client,
            format!("{}{key}", self.key_prefix),
            args,
        );
        let freed = bounded_call(&self.client, self.timeout, call).await?;
        Ok(u32::try_from(freed.max(0)).unwrap_or(0))
    }
}
