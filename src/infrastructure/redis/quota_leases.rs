use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::Client;
use shaku::Component;

use super::call::bounded_call;
use super::scripts::RETURN_QUOTA;
use super::sliding_log::{take_slots, total_key};
use crate::domain::error::CacheError;
use crate::domain::ports::{QuotaGrant, QuotaLeases, RateRule};

/// `QuotaLeases` on the rate limiter's Redis logs: a lease is many slots taken in the one
/// call an exact check makes (`sliding_log`); a return is one more call.
#[derive(Component)]
#[shaku(interface = QuotaLeases)]
pub struct RedisQuotaLeases {
    client: Client,
    key_prefix: String,
    timeout: Duration,
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
        let key = format!("{}{key}", self.key_prefix);
        let slots = take_slots(
            &self.client,
            self.timeout,
            key,
            rule,
            want,
            lease_for,
            &ticket,
        )
        .await?;
        Ok(QuotaGrant {
            granted: slots.taken,
            remaining: slots.remaining,
            reset_at_ms: slots.reset_at_ms,
            now_ms: slots.now_ms,
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
        let log = format!("{}{key}", self.key_prefix);
        let keys = vec![log.clone(), total_key(&log)];
        let call = RETURN_QUOTA.evalsha_with_reload::<i64, _, _>(&self.client, keys, args);
        let freed = bounded_call(&self.client, self.timeout, call).await?;
        Ok(u32::try_from(freed.max(0)).unwrap_or(0))
    }
}
