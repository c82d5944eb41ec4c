use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shaku::Interface;

use crate::domain::error::CacheError;
use crate::domain::user::{Role, Session, SessionToken, UserId};

/// Sessions, stored under a hash of their token.
///
/// Contract: the raw token MUST NOT be stored anywhere (only a one-way hash); `create` MUST
/// use 256 bits from a CSPRNG; `touch` MUST slide the expiry by `ttl` but never past
/// `created_at + max_lifetime`, end a session that reached that limit, and return `None`
/// for unknown, ended or expired tokens; `refresh` MUST NOT bring back a session that
/// ended meanwhile; `revoke_all` MUST end every session of that user and no other.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SessionStore: Interface {
    async fn create(
        &self,
        user_id: &UserId,
        roles: &[Role],
        ttl: Duration,
    ) -> Result<(SessionToken, Session), CacheError>;
    async fn touch(
        &self,
        token: &SessionToken,
        ttl: Duration,
        max_lifetime: Duration,
    ) -> Result<Option<Session>, CacheError>;
    /// Records the roles just read from the user record, and when.
    async fn refresh(
        &self,
        token: &SessionToken,
        roles: &[Role],
        checked_at: DateTime<Utc>,
    ) -> Result<(), CacheError>;
    async fn revoke(&self, token: &SessionToken) -> Result<(), CacheError>;
    /// Returns how many sessions were ended.
    async fn revoke_all(&self, user_id: &UserId) -> Result<u64, CacheError>;
    /// Round trip to the server holding sessions (which may not be the cache server); used
    /// by health checks.
    async fn ping(&self) -> Result<Duration, CacheError>;
}
