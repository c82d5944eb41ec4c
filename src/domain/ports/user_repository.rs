use async_trait::async_trait;
use shaku::Interface;

use crate::domain::error::RepositoryError;
use crate::domain::user::{Email, NewUser, PasswordHash, User, UserId};

/// Users in the system of record.
///
/// Contract: e-mail is unique case-insensitively (callers pass normalised `Email`s);
/// `insert` MUST return `Duplicate` when the e-mail is taken. `ensure_admin` MUST be
/// idempotent: it creates the user, or gives an existing one the admin role and the hash;
/// when it changes an existing user it MUST set `sessions_valid_from` to the present, so
/// sessions opened under the old credentials end.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Interface {
    async fn insert(&self, user: NewUser) -> Result<User, RepositoryError>;
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepositoryError>;
    async fn find_by_id(&self, id: &UserId) -> Result<Option<User>, RepositoryError>;
    async fn ensure_admin(
        &self,
        email: &Email,
        password_hash: PasswordHash,
    ) -> Result<User, RepositoryError>;
}
