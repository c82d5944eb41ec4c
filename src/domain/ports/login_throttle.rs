use std::time::Duration;

use async_trait::async_trait;
use shaku::Interface;

use crate::domain::error::CacheError;
use crate::domain::user::Email;

/// Consecutive failed logins per account, shared by every instance, so credential stuffing
/// from many addresses against one account is slowed whatever the per-address limits.
///
/// Contract: the account MUST be stored only as a one-way hash of the e-mail (no e-mail in
/// keys); `failed` MUST count and, from the policy's threshold on, lock the account for an
/// exponentially growing, capped time, in one atomic step; `locked_for` MUST NOT count
/// anything (a refused attempt neither extends the lock nor costs a password hash);
/// unknown and known e-mails MUST be treated alike.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait LoginThrottle: Interface {
    /// How long the account must still wait, when it is locked.
    async fn locked_for(&self, account: &Email) -> Result<Option<Duration>, CacheError>;
    /// Counts one failure; returns the lock it starts, if any.
    async fn failed(&self, account: &Email) -> Result<Option<Duration>, CacheError>;
    /// A successful login: the count starts over.
    async fn succeeded(&self, account: &Email) -> Result<(), CacheError>;
}

/// When failed logins lock an account, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginThrottlePolicy {
    /// Consecutive failures after which the account is locked (`LOGIN_MAX_FAILURES`).
    pub max_failures: u32,
    /// The first lock; each further failure doubles it (`LOGIN_BACKOFF_BASE_MS`).
    pub base: Duration,
    /// The longest lock (`LOGIN_BACKOFF_MAX_SECS`).
    pub max: Duration,
    /// How long a run of failures is remembered without a new one.
    pub memory: Duration,
}

impl Default for LoginThrottlePolicy {
    fn default() -> Self {
        Self {
            max_failures: 10,
            base: Duration::from_secs(1),
            max: Duration::from_secs(900),
            memory: Duration::from_secs(86_400),
        }
    }
}
