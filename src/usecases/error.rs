use thiserror::Error;

use crate::domain::error::{BoxError, RepositoryError};

/// How a product use case can fail, in terms the interface layer maps to HTTP.
#[derive(Debug, Error)]
pub enum ProductError {
    #[error("product not found")]
    NotFound,
    /// `If-Match` named a version that is no longer current.
    #[error("product version does not match")]
    VersionMismatch,
    /// An update that names no field at all.
    #[error("nothing to update")]
    NothingToUpdate,
    /// The system of record is unreachable; retrying later may succeed.
    #[error("product store unavailable")]
    Unavailable(#[source] BoxError),
    #[error("unexpected product store failure")]
    Unexpected(#[source] BoxError),
}

impl From<RepositoryError> for ProductError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::NotFound => Self::NotFound,
            RepositoryError::VersionConflict => Self::VersionMismatch,
            RepositoryError::Unavailable(source) => Self::Unavailable(source),
            RepositoryError::Unexpected(source) => Self::Unexpected(source),
            RepositoryError::Duplicate => Self::Unexpected("unexpected duplicate product".into()),
        }
    }
}
