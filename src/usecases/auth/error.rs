use thiserror::Error;

use crate::domain::error::{BoxError, CacheError, RepositoryError};

#[derive(Debug, Error)]
pub enum AuthError {
    /// Unknown e-mail or wrong password: deliberately one case, so responses do not tell
    /// which accounts exist.
    #[error("invalid e-mail or password")]
    InvalidCredentials,
    #[error("e-mail is already registered")]
    EmailTaken,
    #[error("a valid session is required")]
    Unauthenticated,
    #[error("the session store is unavailable")]
    Unavailable(#[source] BoxError),
    #[error("unexpected failure")]
    Unexpected(#[source] BoxError),
}

impl From<RepositoryError> for AuthError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::Duplicate => Self::EmailTaken,
            RepositoryError::Unavailable(source) => Self::Unavailable(source),
            other => Self::Unexpected(Box::new(other)),
        }
    }
}

impl From<CacheError> for AuthError {
    fn from(error: CacheError) -> Self {
        Self::Unavailable(Box::new(error))
    }
}
