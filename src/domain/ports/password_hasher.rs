use async_trait::async_trait;
use shaku::Interface;

use crate::domain::user::{Password, PasswordHash};

/// Every hashing slot stayed taken for the whole wait: the caller should come back later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many password checks in progress")]
pub struct HasherBusy;

/// Slow, salted password hashing.
///
/// Contract: MUST run off the async worker threads; MUST bound how many hashes run at once
/// (each costs tens of MiB and a core for tens of milliseconds), answering `HasherBusy`
/// when no slot frees up within a short wait, so a flood of logins cannot exhaust memory;
/// `verify` against a malformed hash is `false`, never an error, and takes about as long
/// as a real verification.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Interface {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HasherBusy>;
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, HasherBusy>;
}
