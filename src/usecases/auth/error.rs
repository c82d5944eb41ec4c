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
    /// Too many consecutive failures for this account: wait this long.
    #[error("too many failed logins for this account")]
    Throttled { retry_after: std::time::Duration },
    /// Every password-hashing slot is taken (a login flood): come back in a moment.
    #[error("too many logins in progress")]
    Busy,
    #[error("the session store is unavailable")]
    Unavailable(#[source] BoxError),
    #[error("unexpected failure")]
    Unexpected(#[source] BoxError),
}

impl From<crate::domain::ports::HasherBusy> for AuthError {
    fn from(_: crate::domain::ports::HasherBusy) -> Self {
        Self::Busy
    }
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
