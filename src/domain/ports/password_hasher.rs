use async_trait::async_trait;
use shaku::Interface;

use crate::domain::user::{Password, PasswordHash};

/// Slow, salted password hashing.
///
/// Contract: MUST run off the async worker threads; `verify` against a malformed hash is
/// `false`, never an error, and takes about as long as a real verification.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Interface {
    async fn hash(&self, password: &Password) -> PasswordHash;
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> bool;
}
