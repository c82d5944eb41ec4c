use std::time::Duration;

use async_trait::async_trait;
use shaku::Interface;

use crate::domain::error::CacheError;
use crate::domain::user::Email;

/// Consecutive failed logins per account and client address, shared by every instance.
///
/// Two throttles, because one alone is either weak or a weapon. Failures from one address
/// lock that address out of that account (guessing from one place is slowed); failures
/// spread over several addresses (credential stuffing) lock the account for every
/// address. An account-wide lock on failures from a single address would let anyone keep
/// the owner out with one wrong password per lock period; a per-address lock alone would
/// let a botnet guess at full speed. The price of the split: whoever controls
/// `ACCOUNT_WIDE_MIN_ADDRESSES` addresses can still lock an account for everyone.
///
/// Contract: the account MUST be stored only as a one-way hash of the e-mail and the
/// address only as a keyed hash (no e-mail or address in keys or values); `failed` MUST
/// count and, from the policy's threshold on, lock the address (its own failures) or the
/// account (all failures, once they come from at least `ACCOUNT_WIDE_MIN_ADDRESSES`
/// addresses) for an exponentially growing, capped time, in one atomic step; `locked_for`
/// MUST NOT count anything (a refused attempt neither extends a lock nor costs a password
/// hash) and MUST answer the longer of the two locks; `succeeded` MUST clear the account's
/// count and the address's, leaving other addresses' counts; what is kept per account MUST
/// be bounded whatever the number of addresses; unknown and known e-mails MUST be treated
/// alike. `client` is the caller's address as the rate limiter groups it.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait LoginThrottle: Interface {
    /// How long the account must still wait, when it is locked.
    async fn locked_for(
        &self,
        account: &Email,
        client: &str,
    ) -> Result<Option<Duration>, CacheError>;
    /// Counts one failure; returns the lock it starts, if any.
    async fn failed(&self, account: &Email, client: &str) -> Result<Option<Duration>, CacheError>;
    /// A successful login: the account's count and this address's start over.
    async fn succeeded(&self, account: &Email, client: &str) -> Result<(), CacheError>;
}

/// Distinct failing addresses from which failures lock the account for every address.
pub const ACCOUNT_WIDE_MIN_ADDRESSES: u32 = 3;
/// Addresses counted one by one per account; failures from further ones count towards the
/// account-wide lock only (which by then is engaged).
pub const MAX_TRACKED_ADDRESSES: u32 = 256;

/// When failed logins lock an address or an account, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginThrottlePolicy {
    /// Consecutive failures after which the address, or the account, is locked
    /// (`LOGIN_MAX_FAILURES`).
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
