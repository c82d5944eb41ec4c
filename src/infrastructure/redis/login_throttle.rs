use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::Client;
use shaku::Component;

use super::call::bounded_call;
use super::scripts::{LOGIN_LOCKED_FOR, LOGIN_SUCCEEDED, RECORD_LOGIN_FAILURE};
use crate::domain::client_key::ClientKeys;
use crate::domain::error::CacheError;
use crate::domain::ports::{
    LoginThrottle, LoginThrottlePolicy, ACCOUNT_WIDE_MIN_ADDRESSES, MAX_TRACKED_ADDRESSES,
};
use crate::domain::user::Email;

/// `LoginThrottle` on a Redis hash per account (account-wide `failures` and `until`, and a
/// count and lock per failing address), on the server of sessions and rate limits. The
/// scripts use the server clock, so instances agree; one key per account keeps each step
/// atomic on a cluster too.
#[derive(Component)]
#[shaku(interface = LoginThrottle)]
pub struct RedisLoginThrottle {
    client: Client,
    key_prefix: String,
    timeout: Duration,
    policy: LoginThrottlePolicy,
    keys: ClientKeys,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl RedisLoginThrottle {
    /// Keyed, so the key of an account cannot be found by hashing a list of e-mails.
    fn key(&self, account: &Email) -> String {
        let hash = self.keys.key(account.as_str(), 32);
        // Consecutive failed logins of one account, under a keyed digest of its e-mail.
        format!("{}login-failures:{hash}", self.key_prefix)
    }

    /// The client's address as stored: keyed, so stored fields name no address.
    fn address(&self, client: &str) -> String {
        self.keys.key(client, 16)
    }

    async fn call<T>(
        &self,
        command: impl Future<Output = Result<T, fred::error::Error>>,
    ) -> Result<T, CacheError> {
        bounded_call(&self.client, self.timeout, command).await
    }
}

fn lock(ms: i64) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms.unsigned_abs()))
}

#[async_trait]
impl LoginThrottle for RedisLoginThrottle {
    #[tracing::instrument(name = "redis.login.locked_for", level = "debug", skip_all)]
    async fn locked_for(
        &self,
        account: &Email,
        client: &str,
    ) -> Result<Option<Duration>, CacheError> {
        let args = vec![self.address(client)];
        let left: i64 = self
            .call(LOGIN_LOCKED_FOR.evalsha_with_reload(&self.client, self.key(account), args))
            .await?;
        Ok(lock(left))
    }

    #[tracing::instrument(name = "redis.login.failed", level = "debug", skip_all)]
    async fn failed(&self, account: &Email, client: &str) -> Result<Option<Duration>, CacheError> {
        let p = self.policy;
        let args = vec![
            p.max_failures.to_string(),
            millis(p.base).to_string(),
            millis(p.max).to_string(),
            millis(p.memory).to_string(),
            self.address(client),
            ACCOUNT_WIDE_MIN_ADDRESSES.to_string(),
            MAX_TRACKED_ADDRESSES.to_string(),
        ];
        let locked: i64 = self
            .call(RECORD_LOGIN_FAILURE.evalsha_with_reload(&self.client, self.key(account), args))
            .await?;
        Ok(lock(locked))
    }

    #[tracing::instrument(name = "redis.login.succeeded", level = "debug", skip_all)]
    async fn succeeded(&self, account: &Email, client: &str) -> Result<(), CacheError> {
        let args = vec![self.address(client)];
        let _: i64 = self
            .call(LOGIN_SUCCEEDED.evalsha_with_reload(&self.client, self.key(account), args))
            .await?;
        Ok(())
    }
}
