use std::sync::Arc;

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
    /// The SKU is another product's.
    #[error("sku {sku} is already used by product {holder}")]
    SkuTaken { sku: String, holder: String },
    /// The request's idempotency key was first used for another request.
    #[error("this Idempotency-Key was used for a different request")]
    KeyReused,
    /// Another request with the same idempotency key is still being written.
    #[error("a request with this Idempotency-Key is in progress")]
    KeyInFlight,
    /// As many exports as an instance streams at once are streaming.
    #[error("too many exports are streaming; try again shortly")]
    Busy,
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
            RepositoryError::SkuTaken { sku, holder } => Self::SkuTaken { sku, holder },
            RepositoryError::AlreadyApplied => {
                Self::Unexpected("a keyed write's receipt reached the caller".into())
            }
        }
    }
}

/// A repository error shared by every caller of one single-flight load.
#[derive(Debug)]
struct SharedError(Arc<RepositoryError>);

impl std::fmt::Display for SharedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SharedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl From<Arc<RepositoryError>> for ProductError {
    fn from(error: Arc<RepositoryError>) -> Self {
        match error.as_ref() {
            RepositoryError::NotFound => Self::NotFound,
            RepositoryError::VersionConflict => Self::VersionMismatch,
            RepositoryError::Unavailable(_) => Self::Unavailable(Box::new(SharedError(error))),
            _ => Self::Unexpected(Box::new(SharedError(error))),
        }
    }
}
